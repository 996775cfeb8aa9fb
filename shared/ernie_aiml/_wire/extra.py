"""The free-form request fields (`model_kwargs`, `additional_kwargs`, `extra_body`, call kwargs).

A key the request path builds itself never reaches the wire raw from one of these dicts:
a generation parameter or a body option (`tools`, `tool_choice`, `parallel_tool_calls`,
`response_format`, `stream_options`) is routed to the same normaliser as its first-class
form; `model`, `messages` and `stream` (and an adapter's constructor arguments) are refused
with a `ParameterError` naming the key and what to use instead. The caller's dict is read,
never changed.
"""

from __future__ import annotations

import difflib
import warnings
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from .._errors.classes import ParameterError
from .params import KNOWN_PARAMS

#: Body options that have a first-class form and its normaliser in `build_chat_request`.
REQUEST_OPTIONS = frozenset({"tools", "tool_choice", "parallel_tool_calls", "response_format"})
#: What an extra dict may route besides the generation parameters (`stream_options` becomes
#: `stream_usage`).
ROUTED = KNOWN_PARAMS | REQUEST_OPTIONS | {"stream_usage", "stream_options"}

_REFUSED = {
    "messages": "the conversation is the call's own input (invoke / chat): it is never "
    "replaced by a request field",
    "model": "pass model=... to the constructor (or as a call option)",
    "stream": "the call chooses streaming (stream() / astream(), stream_chat(), or LangChain's "
    "streaming=True)",
    "extra_body": "pass extra_body=... itself (a constructor argument or a call option)",
}


@dataclass(slots=True)
class ExtraFields:
    """One extra dict, sorted: generation `params`, body `options`, free-form `body` fields.

    Read-only for the callers of `split_extra` (an empty dict's is shared).
    """

    params: dict[str, Any] = field(default_factory=dict)
    options: dict[str, Any] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)


#: What an empty dict sorts into; shared, so read it, never fill it.
_NOTHING = ExtraFields()


def split_extra(
    extra: Mapping[str, Any] | None, where: str, *, fields: Collection[str] = ()
) -> ExtraFields:
    """Sort `extra` (named `where` in errors) into what the request path routes and the rest.

    `fields` are the adapter's constructor arguments: refused here (an `api_key` would
    otherwise be sent in the body), except the ones the request path routes.
    """
    if not extra:
        return _NOTHING
    out = ExtraFields()
    sort_extra(extra, where, out, fields)
    return out


def sort_extra(
    extra: Mapping[str, Any], where: str, into: ExtraFields, fields: Collection[str] = ()
) -> None:
    """`split_extra` into an existing `ExtraFields` (over what it holds: later sources win)."""
    if not isinstance(extra, Mapping):
        raise ParameterError(f"{where} must be a dict of request fields (got {extra!r})")
    for key, value in extra.items():
        if key in KNOWN_PARAMS:
            into.params[key] = value
        elif key in REQUEST_OPTIONS or key == "stream_usage":
            into.options[key] = value
        elif key == "stream_options":
            into.options["stream_usage"] = _stream_usage(value, where)
        elif key in _REFUSED:
            raise ParameterError(f"{where}[{key!r}] is not accepted: {_REFUSED[key]}")
        elif key in fields:
            raise ParameterError(
                f"{where}[{key!r}] is not accepted: {key} is a constructor argument; "
                f"pass {key}=... directly"
            )
        else:
            into.body[key] = value


def _stream_usage(value: Any, where: str) -> bool | None:
    """`stream_options` as the `stream_usage` switch it stands for (None: removed)."""
    if value is None:
        return False
    if isinstance(value, Mapping) and set(value) <= {"include_usage"}:
        usage = value.get("include_usage", False)
        if isinstance(usage, bool):
            return usage
    raise ParameterError(
        f"{where}['stream_options'] takes only {{'include_usage': True/False}} "
        f"(got {value!r}); stream_usage=... says the same"
    )


def check_call_stream(value: Any, stream: bool) -> None:
    """A call's `stream` option must agree with how it is called (LangChain passes it so)."""
    if value is not None and value is not stream:
        raise ParameterError(
            f"stream={value!r} given to a {'streaming' if stream else 'non-streaming'} call: "
            f"{_REFUSED['stream']}"
        )


def collect_unknown_arguments(
    values: Mapping[str, Any],
    fields: Collection[str],
    owner: str,
    extra_name: str,
    *,
    stacklevel: int = 2,
) -> dict[str, Any]:
    """Constructor `values` with the arguments that are not `owner`'s `fields` moved into
    its extra dict `extra_name` (a new dict: the caller's are never changed).

    A parameter the request path knows (`provider`, `response_format`, ...) moves quietly.
    A name close to a known one is a typo: `ParameterError` naming the closest. Any other is
    kept as a request field (as langchain-openai does) with a `UserWarning` pointing
    `stacklevel` frames above the caller (at the user's line).
    """
    moved = {k: v for k, v in values.items() if k not in fields}
    if not moved:
        return dict(values)
    for name in moved:
        if name not in ROUTED:
            _refuse_or_warn(name, fields, owner, extra_name, stacklevel + 2)
    given = values.get(extra_name) or {}
    if not isinstance(given, Mapping):
        raise ParameterError(f"{extra_name} must be a dict of request fields (got {given!r})")
    twice = sorted(set(moved).intersection(given))
    if twice:
        raise ParameterError(
            f"{twice[0]} is given twice, as an argument and in {extra_name}: pass it once"
        )
    kept = {k: v for k, v in values.items() if k not in moved}
    kept[extra_name] = {**given, **moved}
    return kept


def _refuse_or_warn(
    name: str, fields: Collection[str], owner: str, extra_name: str, stacklevel: int
) -> None:
    """A near miss of a known name is refused; any other unknown name is warned about."""
    close = difflib.get_close_matches(name, [*fields, *ROUTED], n=1, cutoff=0.75)
    if close:
        raise ParameterError(
            f"{name} is not a parameter of {owner}: did you mean {close[0]}? (to send "
            f"{name} as a request field, put it in {extra_name})"
        )
    warnings.warn(
        f"{name} is not a parameter of {owner}: it is sent as a request field "
        f"(put it in {extra_name} to say so and silence this warning)",
        UserWarning,
        stacklevel=stacklevel,
    )
