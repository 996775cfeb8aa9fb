"""OpenTelemetry GenAI spans and metrics from the core client, against the emulator.

The emulator's answer to "Hi" on ernie-4.5-vl: 'You said: "Hi"', 4 tokens in, 6 out, 16 credits.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import ernie_aiml
import pytest
from ernie_aiml import (
    AIMLClient,
    Message,
    RetryPolicy,
    ServerError,
    StreamInterruptedError,
    build_chat_request,
    track_usage,
)
from ernie_aiml._observe.telemetry import DURATION_BUCKETS, TOKEN_BUCKETS
from ernie_aiml.emulator import ErrorReply, SSEReply, stream_events
from opentelemetry.trace import SpanKind, StatusCode
from support import OTel

MODEL = "baidu/ernie-4.5-vl-424b-a47b"
KEY = "sk-aiml-SECRET-0123456789"
PARAMS = {
    "temperature": 0.3,
    "top_p": 0.9,
    "max_tokens": 256,
    "seed": 7,
    "stop": ["END"],
    "frequency_penalty": 0.5,
    "presence_penalty": -0.5,
}
BODY = build_chat_request(MODEL, [Message(role="user", content="Hi")], params=PARAMS)
REQUEST = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "aimlapi",
    "gen_ai.request.model": MODEL,
    "server.address": "127.0.0.1",
    "gen_ai.request.temperature": 0.3,
    "gen_ai.request.top_p": 0.9,
    "gen_ai.request.max_tokens": 256,
    "gen_ai.request.seed": 7,
    "gen_ai.request.stop_sequences": ("END",),
    "gen_ai.request.frequency_penalty": 0.5,
    "gen_ai.request.presence_penalty": -0.5,
}
RESPONSE = {
    "gen_ai.response.model": MODEL,
    "gen_ai.response.finish_reasons": ("stop",),
    "gen_ai.usage.input_tokens": 5,
    "gen_ai.usage.output_tokens": 6,
    "aiml.credits_used": 17,
    "aiml.usd_spent": 8.5e-06,  # the emulator's rate: $1 = 2,000,000 credits
}
DELAYS: list[float] = []


@pytest.fixture
def client(emulator: Any) -> AIMLClient:
    """A client of the emulator whose retries record their delay instead of sleeping."""
    DELAYS.clear()

    async def no_sleep(delay: float) -> None:
        DELAYS.append(delay)

    policy = RetryPolicy(sleep=DELAYS.append, async_sleep=no_sleep, random=lambda: 0.0)
    return AIMLClient(api_key=KEY, base_url=emulator.base_url, retry_policy=policy)


def _check(span: Any, emulator: Any, *, stream: bool = False, response: bool = True) -> dict:
    """The span's attributes after checking the ones every call has; returns the rest."""
    attributes = dict(span.attributes)
    assert span.name == f"chat {MODEL}"
    assert span.kind is SpanKind.CLIENT
    assert attributes.pop("server.port") == int(emulator.base_url.split(":")[2].split("/")[0])
    expected = {**REQUEST, **({"gen_ai.request.stream": True} if stream else {})}
    if response:
        expected.update(RESPONSE)
    for name, value in expected.items():
        assert attributes.pop(name) == value, name
    return attributes


def _ids(attributes: dict) -> tuple[bool, bool]:
    response_id = attributes.pop("gen_ai.response.id")
    inference_id = attributes.pop("aiml.inference_id")
    return len(response_id) == 32, len(inference_id) == 36


def test_chat_span_and_metrics(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    completion = client.chat(BODY)
    [span] = otel.spans
    rest = _check(span, emulator)
    assert rest.pop("gen_ai.response.id") == completion.id
    assert rest.pop("aiml.inference_id") == completion.inference_id
    assert rest == {}  # no content without opting in; no retries
    assert span.status.status_code is StatusCode.UNSET
    assert span.events == ()

    metrics = otel.metrics()
    [duration] = metrics["gen_ai.client.operation.duration"]
    common = {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "aimlapi",
        "gen_ai.request.model": MODEL,
        "gen_ai.response.model": MODEL,
        "server.address": "127.0.0.1",
        "server.port": span.attributes["server.port"],
    }
    assert (dict(duration.attributes), duration.count) == (common, 1)
    assert tuple(duration.explicit_bounds) == DURATION_BUCKETS
    tokens = {p.attributes["gen_ai.token.type"]: p for p in metrics["gen_ai.client.token.usage"]}
    assert (tokens["input"].sum, tokens["output"].sum) == (5, 6)
    assert dict(tokens["input"].attributes) == {**common, "gen_ai.token.type": "input"}
    assert tuple(tokens["output"].explicit_bounds) == TOKEN_BUCKETS


async def test_achat_span(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    await client.achat(BODY)
    [span] = otel.spans
    assert _ids(rest := _check(span, emulator)) == (True, True)
    assert rest == {}


def test_stream_span_ends_with_the_stream(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    with client.stream(BODY) as stream:
        deltas = list(stream)
        assert otel.spans != []  # ended with the stream's last event, not at close
    [span] = otel.spans
    rest = _check(span, emulator, stream=True)
    assert rest.pop("gen_ai.response.id") == deltas[0].id
    assert rest.pop("aiml.inference_id") == stream.inference_id
    assert rest == {}


async def test_astream_span(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    async with client.astream(BODY) as stream:
        [d async for d in stream]
    [span] = otel.spans
    assert _ids(rest := _check(span, emulator, stream=True)) == (True, True)
    assert rest == {}


def test_stream_closed_early_ends_its_span(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    with client.stream(BODY) as stream:
        next(iter(stream))
        assert otel.spans == []
    [span] = otel.spans
    rest = _check(span, emulator, stream=True, response=False)
    assert rest == {"gen_ai.response.id": span.attributes["gen_ai.response.id"]} | {
        "gen_ai.response.model": MODEL
    }
    assert span.status.status_code is StatusCode.UNSET


def test_stream_opened_and_closed_unread(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    with client.stream(BODY):
        pass
    [span] = otel.spans
    assert _check(span, emulator, stream=True, response=False) == {}


def test_retries_are_events_on_one_span(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    emulator.enqueue(ErrorReply(503, "busy"), ErrorReply(429, "slow down", {"retry-after": "2"}))
    client.chat(BODY)
    [span] = otel.spans
    rest = _check(span, emulator)
    assert rest.pop("http.request.resend_count") == 2
    assert [(e.name, dict(e.attributes)) for e in span.events] == [
        (
            "aiml.retry",
            {
                "aiml.retry.attempt": 1,
                "aiml.retry.delay_s": 0.5,
                "error.type": "ServerError",
                "http.response.status_code": 503,
            },
        ),
        (
            "aiml.retry",
            {
                "aiml.retry.attempt": 2,
                "aiml.retry.delay_s": 2.0,
                "error.type": "RateLimitError",
                "http.response.status_code": 429,
            },
        ),
    ]
    assert DELAYS == [0.5, 2.0]


async def test_stream_retries_on_one_span(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    emulator.enqueue(ErrorReply(502, "bad gateway"))
    async with client.astream(BODY) as stream:
        [d async for d in stream]
    [span] = otel.spans
    rest = _check(span, emulator, stream=True)
    assert rest.pop("http.request.resend_count") == 1
    assert [e.attributes["http.response.status_code"] for e in span.events] == [502]


def test_failure_sets_error_type(client: AIMLClient, emulator: Any, otel: OTel) -> None:
    emulator.enqueue(*[ErrorReply(500, "boom")] * 3)
    with pytest.raises(ServerError) as info:
        client.chat(BODY)
    [span] = otel.spans
    rest = _check(span, emulator, response=False)
    assert rest == {
        "error.type": "ServerError",
        "http.request.resend_count": 2,
        "aiml.request_id": info.value.request_id,
    }
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == str(info.value)
    assert [e.name for e in span.events] == ["aiml.retry", "aiml.retry", "exception"]
    [duration] = otel.metrics()["gen_ai.client.operation.duration"]
    assert duration.attributes["error.type"] == "ServerError"
    assert "gen_ai.client.token.usage" not in otel.metrics()


def test_interrupted_stream_keeps_the_usage_it_saw(
    client: AIMLClient, emulator: Any, otel: OTel
) -> None:
    events = stream_events("partial answer", model=MODEL, prompt=4)
    usage_event = events.pop()
    emulator.enqueue(SSEReply([events[0], usage_event, *events[1:]], cut_after=2))
    with pytest.raises(StreamInterruptedError):
        list(client.stream(BODY))
    [span] = otel.spans
    attributes = span.attributes
    assert attributes["error.type"] == "StreamInterruptedError"
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (
        4,
        2,
    )
    assert attributes["aiml.credits_used"] == 8


def test_content_only_when_opted_in(
    client: AIMLClient, emulator: Any, otel: OTel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    client.chat(BODY)
    list(client.stream(BODY))
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "false")
    client.chat(BODY)
    captured, streamed, plain = otel.spans
    expected_in = [{"role": "user", "parts": [{"type": "text", "content": "Hi"}]}]
    expected_out = [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": 'You said: "Hi"'}],
            "finish_reason": "stop",
        }
    ]
    for span in (captured, streamed):
        assert json.loads(span.attributes["gen_ai.input.messages"]) == expected_in
        assert json.loads(span.attributes["gen_ai.output.messages"]) == expected_out
    assert "gen_ai.input.messages" not in plain.attributes
    assert "gen_ai.output.messages" not in plain.attributes


def test_tool_calls_and_results_in_captured_content(
    client: AIMLClient, emulator: Any, otel: OTel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    history = [
        Message(role="system", content="Be brief."),
        Message(role="user", content="6*7?"),
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "multiply", "arguments": '{"a": 6, "b": 7}'},
                }
            ],
        },
        {"role": "tool", "content": "42", "tool_call_id": "call_1"},
    ]
    body = {
        "model": MODEL,
        "messages": [*build_chat_request(MODEL, history[:2])["messages"], *history[2:]],
    }
    client.chat(body)
    [span] = otel.spans
    assert json.loads(span.attributes["gen_ai.input.messages"]) == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "6*7?"}]},
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": "multiply",
                    "arguments": {"a": 6, "b": 7},
                }
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "call_1", "response": "42"}],
        },
    ]


def test_the_key_is_never_recorded(
    client: AIMLClient, emulator: Any, otel: OTel, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    emulator.enqueue(ErrorReply(503, f"echo {KEY}"), ErrorReply(401, f"bad key {KEY}"))
    with pytest.raises(ernie_aiml.AuthenticationError, match=r"bad key \*\*\*"):
        client.chat(BODY)
    client.chat(BODY)
    list(client.stream(BODY))
    assert len(otel.spans) == 3
    for span in otel.spans:
        recorded = [span.name, span.status.description, *span.attributes.values()]
        for event in span.events:
            recorded += [event.name, *event.attributes.values()]
        assert all(KEY not in str(value) for value in recorded), span.name
    assert KEY not in str(otel.metrics())


def test_off_without_a_provider_and_import_stays_light() -> None:
    """No provider: no telemetry object; `import ernie_aiml` never imports OpenTelemetry."""
    code = (
        "import sys, ernie_aiml\n"
        "from ernie_aiml._observe import telemetry as _telemetry\n"
        "assert 'opentelemetry' not in sys.modules, 'imported'\n"
        "assert _telemetry.current() is None\n"
        "import opentelemetry.trace, opentelemetry.metrics\n"
        "assert _telemetry.current() is None\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "opentelemetry.trace.set_tracer_provider(TracerProvider())\n"
        "on = _telemetry.current()\n"
        "assert on is not None and on.tracer is not None and on.tokens is None\n"
        "assert _telemetry.current() is on\n"
        "print('ok')\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "ok\n", "")


def test_global_tracer_provider_is_used(emulator: Any) -> None:
    """With the global provider set (once per process: here in a child), spans appear."""
    code = (
        "import ernie_aiml\n"
        "from opentelemetry import trace\n"
        "from opentelemetry.sdk.trace import TracerProvider\n"
        "from opentelemetry.sdk.trace.export import SimpleSpanProcessor\n"
        "from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter\n"
        "exporter = InMemorySpanExporter()\n"
        "provider = TracerProvider()\n"
        "provider.add_span_processor(SimpleSpanProcessor(exporter))\n"
        "trace.set_tracer_provider(provider)\n"
        f"client = ernie_aiml.AIMLClient(api_key='k1', base_url={emulator.base_url!r})\n"
        f"client.chat({json.dumps({'model': MODEL, 'messages': [{'role': 'user', 'content': 'Hi'}]})})\n"
        "print([(s.name, s.attributes['gen_ai.usage.output_tokens']) for s in exporter.get_finished_spans()])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, f"[('chat {MODEL}', 6)]\n", "")


# ------------------------------------------------------------------ the tool-choice fallback

FORCED = build_chat_request(
    "baidu/ernie-5.0",
    [Message(role="user", content="Hi")],
    tools=[{"type": "function", "function": {"name": "ping", "parameters": {"type": "object"}}}],
    tool_choice="required",
)
REFUSAL = "tool_choice 'required' is not supported when thinking is enabled"


def _fallback_span(otel: OTel) -> Any:
    """The one span of a call whose forced tool choice was refused once, then answered."""
    [span] = otel.spans
    assert span.status.status_code is StatusCode.UNSET
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert span.attributes["http.request.resend_count"] == 1
    [event] = span.events
    assert (event.name, dict(event.attributes)) == (
        "aiml.retry",
        {
            "aiml.retry.attempt": 1,
            "aiml.retry.delay_s": 0.0,
            "error.type": "BadRequestError",
            "http.response.status_code": 400,
        },
    )
    return span


def test_a_refused_forced_choice_is_one_span_with_the_refusal_as_an_event(
    client: AIMLClient, emulator: Any, otel: OTel
) -> None:
    emulator.enqueue(ErrorReply(400, REFUSAL))
    with track_usage() as tally:
        completion = client.chat(FORCED)
    assert completion.tool_choice_fallback == "enable_thinking=false"
    _fallback_span(otel)
    assert (tally.calls, tally.failed_calls, len(emulator.chat_requests)) == (1, 0, 2)


def test_a_stream_read_without_opening_ends_its_one_span_at_its_end(
    client: AIMLClient, emulator: Any, otel: OTel
) -> None:
    emulator.enqueue(ErrorReply(400, REFUSAL))
    stream = client.stream(FORCED)
    deltas = list(stream)  # no `with`, no open(): the fallback happens inside the iteration
    assert deltas[-1].usage is not None
    assert stream.tool_choice_fallback == "enable_thinking=false"
    assert _fallback_span(otel).attributes["gen_ai.usage.output_tokens"] > 0


def test_a_stream_never_connected_is_neither_traced_nor_counted(
    client: AIMLClient, emulator: Any, otel: OTel
) -> None:
    with track_usage(max_calls=1) as tally:
        client.stream(BODY).close()
        client.chat(BODY)  # the budget's one call is still there
    assert (otel.spans[0].name, len(otel.spans), tally.calls) == (f"chat {MODEL}", 1, 1)


def test_max_completion_tokens_is_the_requests_max_tokens(
    client: AIMLClient, emulator: Any, otel: OTel
) -> None:
    body = build_chat_request(
        MODEL, [Message(role="user", content="Hi")], params={"max_completion_tokens": 64}
    )
    client.chat(body)
    [span] = otel.spans
    assert span.attributes["gen_ai.request.max_tokens"] == 64
