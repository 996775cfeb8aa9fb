"""The one request path: an adapter's settings plus one call's options, to a validated body.

Both adapters describe a call the same way (`ChatSettings` for what the instance fixes,
a mapping of per-call options), so defaults, precedence and validation are the same in
LangChain and LlamaIndex. Every extra dict goes through `extra.split_extra`: what the
request path builds itself is routed to its normaliser or refused, never sent raw.
Precedence, lowest first: the instance's fields, its extra fields (`model_kwargs` /
`additional_kwargs`), its `extra_body`, the call's options, the call's `extra_body`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors.classes import ParameterError
from .._types import Message
from .extra import REQUEST_OPTIONS, ExtraFields, check_call_stream, sort_extra, split_extra
from .params import FIELD_PARAMS, KNOWN_PARAMS, validate_params
from .request import request_body, request_options_part

#: Per-call options read here that are never body fields themselves.
_CONTROL = frozenset({"model", "extra_body", "stream", "stream_usage"})
_NO_FIELDS: frozenset[str] = frozenset()
_NO_OPTIONS: Mapping[str, Any] = {}


@dataclass(slots=True)
class ChatSettings:
    """What an adapter instance fixes for every call, in neutral form.

    `params` are its generation fields (None: unset); `extra` its free-form request fields
    (`model_kwargs`/`additional_kwargs`, named `extra_name` in errors), whose known
    parameters are validated like fields; `fields` its constructor arguments (refused in
    any extra dict).
    """

    model: str
    params: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    extra_body: Mapping[str, Any] | None = None
    stream_usage: bool = True
    preserve_reasoning_in_history: bool = False
    extra_name: str = "extra"
    fields: Collection[str] = _NO_FIELDS

    def layers(self) -> tuple[ExtraFields, ExtraFields]:
        """The instance's extra fields and `extra_body`, sorted (lowest precedence first)."""
        return (
            split_extra(self.extra, self.extra_name, fields=self.fields),
            split_extra(self.extra_body, "extra_body", fields=self.fields),
        )

    def generation_params(self) -> dict[str, Any]:
        """The instance's generation parameters after precedence (unvalidated; None: unset)."""
        params = {k: v for k, v in self.params.items() if v is not None}
        for layer in self.layers():
            params.update(layer.params)
        return params

    def check(self) -> dict[str, Any]:
        """Validate what the instance fixes now (at construction), before any call.

        A parameter set both as a field and in the extra fields is refused: which one should
        win is a guess either way.
        """
        twice = [
            name
            for name in FIELD_PARAMS
            if self.params.get(name) is not None
            and isinstance(self.extra, Mapping)
            and self.extra.get(name) is not None
        ]
        if twice:
            raise ParameterError(
                f"{twice[0]} is given twice, as a field and in the extra request fields "
                "(model_kwargs / additional_kwargs): pass it once"
            )
        for layer in self.layers():
            _check_options(layer.options)
        return validate_params(self.model, **self.generation_params())


def _check_options(options: Mapping[str, Any]) -> None:
    """Body options fixed at construction, normalised now so a bad one fails early."""
    if options:
        request_options_part(options, None)
        if "stream_usage" in options:
            _stream_usage(options["stream_usage"])


def chat_request(
    settings: ChatSettings,
    messages: Sequence[Message],
    *,
    stream: bool,
    options: Mapping[str, Any] | None = None,
    ignore: Collection[str] = (),
) -> dict[str, Any]:
    """The validated JSON body of one call: `settings`, then this call's `options`.

    `options` may hold `model`, generation parameters, `tools`, `tool_choice`,
    `parallel_tool_calls`, `response_format`, `extra_body`, `stream_usage` and any other
    field for the body; names in `ignore` are the framework's own and never sent.
    """
    options = options or _NO_OPTIONS
    if "stream" in options:
        check_call_stream(options["stream"], stream)
    out = ExtraFields({k: v for k, v in settings.params.items() if v is not None})
    if settings.extra:
        sort_extra(settings.extra, settings.extra_name, out, settings.fields)
    if settings.extra_body:
        sort_extra(settings.extra_body, "extra_body", out, settings.fields)
    if options:
        _sort_options(options, ignore, settings.fields, out)
    request = out.options
    return request_body(
        options.get("model") or settings.model,
        messages,
        out.params,
        request.get("tools"),
        request.get("tool_choice"),
        request.get("parallel_tool_calls"),
        request.get("response_format"),
        stream,
        _stream_usage(request.get("stream_usage", settings.stream_usage)),
        settings.preserve_reasoning_in_history,
        out.body,
    )


def _sort_options(
    options: Mapping[str, Any], ignore: Collection[str], fields: Collection[str], out: ExtraFields
) -> None:
    """One call's options and `extra_body` over the instance's (`out`), sorted alike."""
    free: dict[str, Any] = {}
    for name, value in options.items():
        if name in KNOWN_PARAMS:
            out.params[name] = value
        elif name in REQUEST_OPTIONS or name == "stream_usage":
            if value is not None:
                out.options[name] = value
        elif name not in _CONTROL and name not in ignore:
            free[name] = value
    if free:
        sort_extra(free, "call kwargs", out, fields)
    call_extra = options.get("extra_body")
    if call_extra:
        sort_extra(call_extra, "extra_body", out, fields)


def _stream_usage(value: Any) -> bool:
    """`stream_usage` as given (a real bool: "no" must not mean yes)."""
    if not isinstance(value, bool):
        raise ParameterError(f"stream_usage must be True or False (got {value!r})")
    return value
