"""Hypothesis fuzzing of the SSE decoder and the response/delta/usage parsers.

The promise: on any input, nothing escapes but the package's own typed errors
(`AIMLError` subclasses). Example counts are explicit (`max_examples`) for the deep profile
(`make fuzz`, well under a minute); `make test` runs a twentieth of each (`fuzz_budget`).
The totals are reported by `--hypothesis-show-statistics`.
"""

from __future__ import annotations

import contextlib
import copy
import json
from typing import Any

import pytest
from ernie_aiml import AIMLError, ResponseParseError
from ernie_aiml._transport.sse import SSEDecoder
from ernie_aiml._wire.response import parse_completion, parse_delta, parse_usage
from ernie_aiml.emulator import completion_body, stream_events
from fuzz_budget import examples
from hardening_support import CONTENT, EVENTS, REASONING
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FAST = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
# counts are the deep profile's (`make fuzz`); `make test` runs a twentieth: see fuzz_budget

# ------------------------------------------------------------------ the SSE decoder

SSE_ATOMS = st.sampled_from(
    [
        b"data: ",
        b"data:",
        b"event: ",
        b"id: ",
        b"retry: ",
        b": keep-alive",
        b"\n",
        b"\r",
        b"\r\n",
        b"\n\n",
        b"[DONE]",
        b'{"a":1}',
        "文心".encode(),
        b"\xe6\x96",
        b"\xff",
        b"\x00",
    ]
)
SSE_BYTES = st.one_of(
    st.binary(max_size=400),
    st.lists(st.one_of(SSE_ATOMS, st.binary(max_size=8)), max_size=60).map(b"".join),
)


def _decode(data: bytes, cuts: list[int]) -> list[tuple[Any, ...]]:
    decoder = SSEDecoder()
    events = []
    start = 0
    for cut in [*sorted({c % (len(data) + 1) for c in cuts}), len(data)]:
        events += decoder.feed(data[start:cut])
        start = cut
    events += decoder.flush()
    return [(e.event, e.data, e.id, e.retry) for e in events]


@settings(FAST, max_examples=examples(3000))
@given(data=SSE_BYTES, cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=20))
def test_sse_decoder_any_bytes_any_split(data: bytes, cuts: list[int]) -> None:
    """Never raises (or only a typed error), and the split never changes the events."""
    try:
        whole = _decode(data, [])
        split = _decode(data, cuts)
    except AIMLError:
        return
    assert split == whole
    for event in whole:
        assert isinstance(event[1], str)


@settings(FAST, max_examples=examples(1000))
@given(cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=30))
def test_sse_decoder_real_stream_any_split(cuts: list[int]) -> None:
    """A real stream with CRLF line ends and keep-alives decodes the same at any split."""
    wire = (
        b"".join(
            b": keep-alive\r\n\r\ndata: " + json.dumps(e, ensure_ascii=False).encode() + b"\r\n\r\n"
            for e in EVENTS
        )
        + b"data: [DONE]\r\n\r\n"
    )
    events = _decode(wire, cuts)
    assert [json.loads(e[1]) for e in events[:-1]] == EVENTS
    assert events[-1][1] == "[DONE]"


# ------------------------------------------------------------------ the parsers

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.text(max_size=12), children, max_size=6),
    ),
    max_leaves=20,
)
KEYS = st.sampled_from(
    [
        "choices",
        "delta",
        "message",
        "content",
        "reasoning_content",
        "reasoning",
        "tool_calls",
        "index",
        "id",
        "function",
        "name",
        "arguments",
        "finish_reason",
        "usage",
        "meta",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "completion_tokens_details",
        "reasoning_tokens",
        "prompt_tokens_details",
        "cached_tokens",
        "prompt_cache_hit_tokens",
        "credits_used",
        "usd_spent",
        "error",
        "statusCode",
        "requestId",
        "model",
        "flag",
        "system_fingerprint",
        "type",
        "extra_content",
        "code",
    ]
)
# dicts whose keys are mostly the ones the parsers read, so the fuzz reaches deep branches
SHAPED = st.recursive(
    JSON_SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(KEYS, st.text(max_size=6)), children, max_size=6),
    ),
    max_leaves=15,
)
TOP_DICTS = st.dictionaries(st.one_of(KEYS, st.text(max_size=8)), SHAPED, max_size=8)
HEADERS = st.one_of(
    st.none(),
    st.dictionaries(
        st.sampled_from(
            ["x-aimlapi-credits-used", "x-aimlapi-usd-spent", "x-inference-id", "x-request-id"]
        ),
        st.text(max_size=12),
        max_size=4,
    ),
)

REAL_CHUNKS: list[dict[str, Any]] = [
    *EVENTS,
    *stream_events(
        "",
        tool_calls=[{"id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}],
        chunk_size=5,
    ),
]
REAL_BODIES: list[dict[str, Any]] = [
    completion_body(model="baidu/ernie-5.0", content=CONTENT, reasoning=REASONING),
    completion_body(
        model="baidu/ernie-5.0",
        content="",
        tool_calls=[{"id": "call_1", "name": "f", "arguments": {"x": [1, 2]}}],
        finish_reason="tool_calls",
    ),
]


def _paths(obj: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(obj, dict):
        for key, value in obj.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(obj, list):
        for index, value in enumerate(obj):
            out += _paths(value, (*prefix, index))
    return out


@st.composite
def mutated(draw: st.DrawFn, originals: list[dict[str, Any]]) -> dict[str, Any]:
    """A real chunk/body with 1-4 places replaced by arbitrary values (or deleted)."""
    obj = copy.deepcopy(draw(st.sampled_from(originals)))
    for _ in range(draw(st.integers(min_value=1, max_value=4))):
        paths = [p for p in _paths(obj) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = obj
        for step in path[:-1]:
            parent = parent[step]
        if isinstance(parent, dict) and draw(st.booleans()):
            del parent[path[-1]]
        else:
            parent[path[-1]] = draw(SHAPED)
    return obj


def _only_typed(fn: Any, *args: Any) -> None:
    with contextlib.suppress(AIMLError):
        fn(*args)


def _scalar_leaves(obj: Any) -> list[tuple[Any, ...]]:
    """Paths to non-None scalars, except tool-call `arguments` (a separate bug, below)."""
    return [
        p
        for p in _paths(obj)
        if p
        and p[-1] != "arguments"
        and _at(obj, p) is not None
        and not isinstance(_at(obj, p), (dict, list))
    ]


def _at(obj: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        obj = obj[step]
    return obj


@st.composite
def leaf_mutated(draw: st.DrawFn, originals: list[dict[str, Any]]) -> dict[str, Any]:
    """A real chunk/body with 1-6 scalar values replaced by arbitrary scalars (shape kept)."""
    obj = copy.deepcopy(draw(st.sampled_from(originals)))
    leaves = _scalar_leaves(obj)
    for _ in range(draw(st.integers(min_value=1, max_value=6))):
        path = draw(st.sampled_from(leaves))
        _at(obj, path[:-1])[path[-1]] = draw(JSON_SCALARS)
    return obj


# --------------------------------------------- green: real shapes, arbitrary scalar values


@settings(FAST, max_examples=examples(3000))
@given(chunk=leaf_mutated(REAL_CHUNKS))
def test_parse_delta_real_shapes_only_typed_errors(chunk: dict[str, Any]) -> None:
    _only_typed(parse_delta, chunk)


@settings(FAST, max_examples=examples(3000))
@given(body=leaf_mutated(REAL_BODIES), headers=HEADERS)
def test_parse_completion_real_shapes_only_typed_errors(body: dict[str, Any], headers: Any) -> None:
    _only_typed(parse_completion, body, headers)


@settings(FAST, max_examples=examples(2000))
@given(obj=leaf_mutated([e["usage"] for e in REAL_CHUNKS if e.get("usage")]))
def test_parse_usage_real_shapes_only_typed_errors(obj: dict[str, Any]) -> None:
    _only_typed(parse_usage, obj)


# --------------------------------------------- structure fuzz (the bugs it found are fixed)


@settings(FAST, max_examples=examples(2000))
@given(chunk=st.one_of(TOP_DICTS, mutated(REAL_CHUNKS)))
def test_parse_delta_any_shape_only_typed_errors(chunk: dict[str, Any]) -> None:
    _only_typed(parse_delta, chunk)


@settings(FAST, max_examples=examples(2000))
@given(body=st.one_of(TOP_DICTS, mutated(REAL_BODIES)), headers=HEADERS)
def test_parse_completion_any_shape_only_typed_errors(body: dict[str, Any], headers: Any) -> None:
    _only_typed(parse_completion, body, headers)


@settings(FAST, max_examples=examples(1000))
@given(obj=st.one_of(TOP_DICTS, JSON_VALUES))
def test_parse_usage_any_shape_only_typed_errors(obj: Any) -> None:
    _only_typed(parse_usage, obj)


def _with_arguments(value: Any) -> dict[str, Any]:
    """A real tool-call answer whose `arguments` is a JSON value that is not a string/object."""
    body = copy.deepcopy(REAL_BODIES[1])
    body["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"] = value
    return body


# the minimal failing inputs hypothesis found (now fixed in _response), one test each
SHAPE_CASES: list[tuple[Any, Any]] = [
    (parse_delta, {"choices": [None]}),
    (parse_delta, {"choices": [True]}),
    (parse_delta, {"choices": "x"}),
    (parse_delta, {"choices": [{"delta": True}]}),
    (parse_delta, {"choices": [{"delta": {"tool_calls": True}}]}),
    (parse_delta, {"choices": [{"delta": {"tool_calls": [None]}}]}),
    (parse_delta, {"choices": [{"delta": {"tool_calls": [{"function": True}]}}]}),
    (parse_delta, {"usage": True}),
    (parse_delta, {"usage": {"completion_tokens_details": 1}}),
    (parse_delta, {"meta": True}),
    (parse_delta, {"meta": {"usage": 1}}),
    (parse_completion, {"choices": [{"message": True}]}),
    (parse_completion, {"choices": [{"message": {"tool_calls": True}}]}),
    (parse_completion, {"choices": [{"message": {}}], "usage": "x"}),
    (parse_completion, {"choices": [{"message": {}}], "meta": "x"}),
    (parse_usage, True),
    (parse_usage, {"prompt_tokens_details": [1]}),
]


@pytest.mark.parametrize(("fn", "value"), SHAPE_CASES, ids=[repr(v)[:50] for _, v in SHAPE_CASES])
def test_wrong_json_type_is_a_parse_error(fn: Any, value: Any) -> None:
    with pytest.raises(ResponseParseError):
        fn(value)


@pytest.mark.parametrize("chunk", REAL_CHUNKS[:3])
def test_mutation_strategy_starts_from_real_chunks(chunk: dict[str, Any]) -> None:
    """The seeds the mutations start from parse to exactly what their JSON says."""
    delta = parse_delta(chunk)
    wire = chunk["choices"][0]["delta"] if chunk.get("choices") else {}
    assert delta.raw is chunk
    assert (delta.content, delta.reasoning, delta.role, delta.id) == (
        wire.get("content"),
        wire.get("reasoning_content") or None,
        wire.get("role"),
        chunk.get("id"),
    )
    assert (delta.content, delta.reasoning) != (None, None) or delta.usage is not None


@pytest.mark.parametrize("value", [True, 5, [1, 2]])
def test_non_object_tool_arguments_are_an_invalid_tool_call(value: Any) -> None:
    completion = parse_completion(_with_arguments(value))
    assert completion.tool_calls == []
    assert [c.raw_arguments for c in completion.invalid_tool_calls] == [json.dumps(value)]
