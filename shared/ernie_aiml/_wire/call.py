"""The one request path: an adapter's settings plus one call's options, to a validated body.

Both adapters describe a call the same way (`ChatSettings` for what the instance fixes,
a mapping of per-call options), so defaults, precedence and validation are the same in
LangChain and LlamaIndex. Precedence, lowest first: the instance's generation fields, the
known parameters in its extra fields (`model_kwargs`/`additional_kwargs`), the call's
options. Body fields: the other extra fields, then `extra_body`, then the call's
`extra_body`, then any other call option the framework does not claim.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .._errors.classes import ParameterError
from .._types import Message
from .params import FIELD_PARAMS, KNOWN_PARAMS, validate_params
from .request import build_chat_request

#: Per-call options that shape the body besides the generation parameters.
REQUEST_OPTIONS = frozenset({"tools", "tool_choice", "parallel_tool_calls", "response_format"})
#: Per-call options read here that are never body fields themselves.
_CONTROL = frozenset({"model", "extra_body", "stream", "stream_usage"})


@dataclass(slots=True)
class ChatSettings:
    """What an adapter instance fixes for every call, in neutral form.

    `params` are its generation fields (None: unset); `extra` its free-form request fields
    (`model_kwargs`/`additional_kwargs`), whose known parameters are validated like fields.
    """

    model: str
    params: Mapping[str, Any] = field(default_factory=dict)
    extra: Mapping[str, Any] = field(default_factory=dict)
    extra_body: Mapping[str, Any] | None = None
    stream_usage: bool = True
    preserve_reasoning_in_history: bool = False

    def generation_params(self, overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The generation parameters after precedence (unvalidated; None values kept out)."""
        params = {k: v for k, v in self.params.items() if v is not None}
        for source in (self.extra, overrides):
            if source:
                for name in KNOWN_PARAMS.intersection(source):
                    params[name] = source[name]
        return params

    def check(self) -> dict[str, Any]:
        """Validate what the instance fixes now (at construction), before any call.

        A parameter set both as a field and in the extra fields is refused: which one should
        win is a guess either way.
        """
        twice = [
            name
            for name in FIELD_PARAMS
            if self.params.get(name) is not None and self.extra.get(name) is not None
        ]
        if twice:
            raise ParameterError(
                f"{twice[0]} is given twice, as a field and in the extra request fields "
                "(model_kwargs / additional_kwargs): pass it once"
            )
        return validate_params(self.model, **self.generation_params())


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
    options = options or {}
    model = options.get("model") or settings.model
    stream_usage = options.get("stream_usage")
    return build_chat_request(
        model,
        messages,
        params=settings.generation_params(options),
        tools=options.get("tools"),
        tool_choice=options.get("tool_choice"),
        parallel_tool_calls=options.get("parallel_tool_calls"),
        response_format=options.get("response_format"),
        stream=stream,
        stream_usage=settings.stream_usage if stream_usage is None else stream_usage,
        preserve_reasoning_in_history=settings.preserve_reasoning_in_history,
        extra_body=_body_fields(settings, options, ignore) or None,
    )


def _body_fields(
    settings: ChatSettings, options: Mapping[str, Any], ignore: Collection[str]
) -> dict[str, Any]:
    """The free-form body fields, in precedence order (later wins)."""
    fields = {k: v for k, v in settings.extra.items() if k not in KNOWN_PARAMS}
    if settings.extra_body:
        fields.update(settings.extra_body)
    call_extra = options.get("extra_body")
    if call_extra:
        fields.update(call_extra)
    for name, value in options.items():
        if (
            name not in KNOWN_PARAMS
            and name not in REQUEST_OPTIONS
            and name not in _CONTROL
            and name not in ignore
        ):
            fields[name] = value
    return fields
