"""OpenTelemetry GenAI spans and metrics for every chat call, when a provider is set.

Follows the OpenTelemetry GenAI semantic conventions: one CLIENT span `chat {model}` per
logical call (all its attempts; each retry an `aiml.retry` event), the `gen_ai.*`
request, response and usage attributes, AIML's own `aiml.*` ones, and the histograms
`gen_ai.client.token.usage` and `gen_ai.client.operation.duration`. Message content
only when `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true`. Headers, and so the
key, are never read here.

Off by default at the cost of one `sys.modules` lookup per call: OpenTelemetry is never
imported by this package; if the application has not imported it, nothing can be on.
When it has, the providers are looked up per call and the tracer and instruments are
cached for as long as the providers stay the same objects.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from .._types import Completion, Delta, Usage
from .._version import __version__
from .content import completion_messages, input_messages, stream_messages

#: `gen_ai.provider.name`: who the client talks to and bills (AIML), not who trained the
#: model (that is in `gen_ai.request.model`, e.g. "baidu/ernie-5.0"). Not a well-known
#: value of the conventions, which allow custom ones; it pairs with our `aiml.*` attributes.
PROVIDER = "aimlapi"
CAPTURE_ENV = "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT"
_SCOPE = "ernie_aiml"
_SCHEMA_URL = "https://opentelemetry.io/schemas/1.37.0"
#: The conventions' advised bucket boundaries.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304,
                 16777216, 67108864)  # fmt: skip
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48,
                    40.96, 81.92)  # fmt: skip
#: Request body key → span attribute, for the parameters a request sets.
_REQUEST_ATTRIBUTES = (
    ("temperature", "gen_ai.request.temperature"),
    ("top_p", "gen_ai.request.top_p"),
    ("max_tokens", "gen_ai.request.max_tokens"),
    ("seed", "gen_ai.request.seed"),
    ("frequency_penalty", "gen_ai.request.frequency_penalty"),
    ("presence_penalty", "gen_ai.request.presence_penalty"),
    ("enable_thinking", "aiml.request.enable_thinking"),
    ("thinking_budget", "aiml.request.thinking_budget"),
)
_modules = sys.modules
#: Meter providers that record nothing: the API's default proxy and its no-op one.
_NO_METERS = frozenset({"_ProxyMeterProvider", "NoOpMeterProvider"})


class _Settings:
    """Providers and content capture given to `configure_telemetry` (None: the global ones)."""

    tracer_provider: Any = None
    meter_provider: Any = None
    capture_content: bool | None = None


class Instruments:
    """The tracer and histograms of one (tracer provider, meter provider) pair."""

    __slots__ = ("duration", "tokens", "trace", "tracer")

    def __init__(self, trace: Any, tracer: Any, tokens: Any, duration: Any) -> None:
        self.trace = trace  # the `opentelemetry.trace` module: SpanKind, Status
        self.tracer = tracer
        self.tokens = tokens
        self.duration = duration


_settings = _Settings()
_cached_for: tuple[Any, Any] = (None, None)
_cached: Instruments | None = None


def configure_telemetry(
    *,
    tracer_provider: Any = None,
    meter_provider: Any = None,
    capture_message_content: bool | None = None,
) -> None:
    """Use these OpenTelemetry providers instead of the global ones (None: the global one).

    For tests and applications that keep several providers; `capture_message_content`
    overrides `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT` when not None.
    """
    _settings.tracer_provider = tracer_provider
    _settings.meter_provider = meter_provider
    _settings.capture_content = capture_message_content


def current() -> Instruments | None:
    """What to record a call with, or None (one dict lookup when OpenTelemetry is absent)."""
    if "opentelemetry" not in _modules:
        return None
    return _resolve()


def _resolve() -> Instruments | None:
    """The instruments of the current providers, rebuilt only when a provider changes."""
    global _cached_for, _cached
    tracer_provider, meter_provider = _providers()
    seen_tracer, seen_meter = _cached_for
    if tracer_provider is seen_tracer and meter_provider is seen_meter:
        return _cached
    trace = _modules.get("opentelemetry.trace") or _import("opentelemetry.trace")
    metrics = _modules.get("opentelemetry.metrics") or _import("opentelemetry.metrics")
    if trace is None or metrics is None:
        return None
    instruments = _build(trace, metrics, tracer_provider, meter_provider)
    _cached_for, _cached = (tracer_provider, meter_provider), instruments
    return instruments


def _providers() -> tuple[Any, Any]:
    """The tracer and meter providers in use: ours if given, else the API's globals.

    Through the API's public getters: reading its private globals instead saves too little
    per call to be worth depending on them.
    """
    tracer_provider = _settings.tracer_provider
    meter_provider = _settings.meter_provider
    if tracer_provider is not None and meter_provider is not None:
        return tracer_provider, meter_provider
    trace = _modules.get("opentelemetry.trace") or _import("opentelemetry.trace")
    metrics_api = _modules.get("opentelemetry.metrics") or _import("opentelemetry.metrics")
    if trace is None or metrics_api is None:
        return tracer_provider, meter_provider
    if tracer_provider is None:
        tracer_provider = trace.get_tracer_provider()
    if meter_provider is None:
        meter_provider = metrics_api.get_meter_provider()
    return tracer_provider, meter_provider


def _import(name: str) -> Any:
    try:
        __import__(name)
    except ImportError:
        return None
    return _modules[name]


def _build(
    trace: Any, metrics: Any, tracer_provider: Any, meter_provider: Any
) -> Instruments | None:
    """A tracer if a real tracer provider is set, histograms if a real meter provider is."""
    tracer = tokens = duration = None
    if tracer_provider is not None and not isinstance(
        tracer_provider, (trace.ProxyTracerProvider, trace.NoOpTracerProvider)
    ):
        tracer = tracer_provider.get_tracer(_SCOPE, __version__, schema_url=_SCHEMA_URL)
    if meter_provider is not None and type(meter_provider).__name__ not in _NO_METERS:
        meter = meter_provider.get_meter(_SCOPE, __version__, schema_url=_SCHEMA_URL)
        tokens = meter.create_histogram(
            "gen_ai.client.token.usage",
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=TOKEN_BUCKETS,
        )
        duration = meter.create_histogram(
            "gen_ai.client.operation.duration",
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
        )
    if tracer is None and tokens is None:
        return None
    return Instruments(trace, tracer, tokens, duration)


def capture_content() -> bool:
    """Whether message content may be recorded (opt-in, per the conventions)."""
    if _settings.capture_content is not None:
        return _settings.capture_content
    return os.environ.get(CAPTURE_ENV, "").strip().lower() in (
        "true",
        "1",
        "span_only",
        "span_and_event",
    )


@lru_cache(maxsize=64)
def _server(url: str) -> tuple[str | None, int | None]:
    """`server.address` and `server.port` of a request URL (never its user info)."""
    parts = urlsplit(url)
    port = parts.port or (
        443 if parts.scheme == "https" else 80 if parts.scheme == "http" else None
    )
    return parts.hostname, port


class CallTrace:
    """The span and metrics of one logical chat call, from first attempt to its end."""

    __slots__ = (
        "capture",
        "finish_reasons",
        "instruments",
        "metric_attributes",
        "output",
        "resends",
        "response_id",
        "response_model",
        "span",
        "started",
    )

    def __init__(self, instruments: Instruments, url: str, body: Mapping[str, Any]) -> None:
        self.instruments = instruments
        self.started = time.perf_counter()
        self.resends = 0
        self.finish_reasons: list[str] = []
        self.response_id: str | None = None
        self.response_model: str | None = None
        self.capture = capture_content()
        self.output: list[Delta] | None = [] if self.capture else None
        model = body.get("model")
        host, port = _server(url)
        common: dict[str, Any] = {"gen_ai.operation.name": "chat", "gen_ai.provider.name": PROVIDER}
        if isinstance(model, str):
            common["gen_ai.request.model"] = model
        if host:
            common["server.address"] = host
        if port:
            common["server.port"] = port
        self.metric_attributes = common
        tracer = instruments.tracer
        self.span = None
        if tracer is not None:
            attributes = {**common, **_request_attributes(body)}
            if self.capture:
                attributes["gen_ai.input.messages"] = input_messages(body.get("messages"))
            self.span = tracer.start_span(
                f"chat {model}" if model else "chat",
                kind=instruments.trace.SpanKind.CLIENT,
                attributes=attributes,
            )

    def retry(self, error: BaseException | None, attempt: int, delay: float) -> None:
        """One retry: an `aiml.retry` event with the failed attempt's status and the wait."""
        self.resends += 1
        span = self.span
        if span is None:
            return
        event: dict[str, Any] = {"aiml.retry.attempt": attempt + 1, "aiml.retry.delay_s": delay}
        if error is not None:
            event["error.type"] = type(error).__name__
            status = getattr(error, "status_code", None)
            if status is not None:
                event["http.response.status_code"] = status
        span.add_event("aiml.retry", event)

    def see(self, delta: Delta) -> None:
        """Note what a streamed delta says about the response (id, model, finish reason)."""
        if delta.id and self.response_id is None:
            self.response_id = delta.id
        if delta.model and self.response_model is None:
            self.response_model = delta.model
        if delta.finish_reason:
            self.finish_reasons.append(delta.finish_reason)
        if self.output is not None:
            self.output.append(delta)

    def completed(self, completion: Completion) -> None:
        """Note a non-streamed answer."""
        self.response_id = completion.id
        self.response_model = completion.model
        if completion.finish_reason:
            self.finish_reasons.append(completion.finish_reason)
        span = self.span
        if span is not None and self.capture:
            span.set_attribute("gen_ai.output.messages", completion_messages(completion))
            self.capture = False

    def end(
        self,
        usage: Usage | None,
        credits_used: float | None,
        usd_spent: float | None,
        inference_id: str | None,
        request_id: str | None,
        error: BaseException | None,
    ) -> None:
        """End the span with the response and usage, and record the metrics."""
        elapsed = time.perf_counter() - self.started
        attributes = self.metric_attributes
        if self.response_model:
            attributes = {**attributes, "gen_ai.response.model": self.response_model}
        instruments = self.instruments
        if instruments.duration is not None:
            duration_attributes = attributes
            if error is not None:
                duration_attributes = {**attributes, "error.type": type(error).__name__}
            instruments.duration.record(elapsed, duration_attributes)
            if usage is not None:
                tokens = instruments.tokens
                tokens.record(usage.prompt_tokens, {**attributes, "gen_ai.token.type": "input"})
                tokens.record(
                    usage.completion_tokens, {**attributes, "gen_ai.token.type": "output"}
                )
        span = self.span
        if span is not None:
            self._finish_span(span, usage, credits_used, usd_spent, inference_id, request_id, error)

    def _finish_span(
        self,
        span: Any,
        usage: Usage | None,
        credits_used: float | None,
        usd_spent: float | None,
        inference_id: str | None,
        request_id: str | None,
        error: BaseException | None,
    ) -> None:
        values: dict[str, Any] = {
            "gen_ai.response.id": self.response_id,
            "gen_ai.response.model": self.response_model,
            "aiml.credits_used": credits_used,
            "aiml.usd_spent": usd_spent,
            "aiml.inference_id": inference_id,
            "aiml.request_id": request_id,
        }
        if self.finish_reasons:
            values["gen_ai.response.finish_reasons"] = self.finish_reasons
        if self.resends:
            values["http.request.resend_count"] = self.resends
        if usage is not None:
            values["gen_ai.usage.input_tokens"] = usage.prompt_tokens
            values["gen_ai.usage.output_tokens"] = usage.completion_tokens
            values["gen_ai.usage.reasoning.output_tokens"] = usage.reasoning_tokens
            values["gen_ai.usage.cache_read.input_tokens"] = usage.cached_tokens
        if self.capture and self.output:
            values["gen_ai.output.messages"] = stream_messages(self.output)
        span.set_attributes({k: v for k, v in values.items() if v is not None})
        if error is not None:
            trace = self.instruments.trace
            span.set_attribute("error.type", type(error).__name__)
            # Type and message only: our errors' messages are scrubbed of the key, while a
            # stack trace would carry the chained library exception's text unscrubbed.
            span.add_event(
                "exception",
                {"exception.type": type(error).__name__, "exception.message": str(error)},
            )
            span.set_status(trace.Status(trace.StatusCode.ERROR, str(error)))
        span.end()


def _request_attributes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The `gen_ai.request.*` attributes of the parameters this request sets."""
    attributes: dict[str, Any] = {}
    for key, name in _REQUEST_ATTRIBUTES:
        value = body.get(key)
        if value is not None:
            attributes[name] = value
    if "gen_ai.request.max_tokens" not in attributes and body.get("max_completion_tokens"):
        attributes["gen_ai.request.max_tokens"] = body["max_completion_tokens"]
    stop = body.get("stop")
    if stop is not None:
        attributes["gen_ai.request.stop_sequences"] = (
            [stop] if isinstance(stop, str) else list(stop)
        )
    if body.get("stream") is True:
        attributes["gen_ai.request.stream"] = True
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping):
        kind = response_format.get("type")
        attributes["gen_ai.output.type"] = (
            "json" if kind in ("json_object", "json_schema") else "text"
        )
    return attributes
