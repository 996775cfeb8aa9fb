"""ToolCallAccumulator: right however the server cuts and groups tool-call fragments."""

from __future__ import annotations

import json

from ernie_aiml import InvalidToolCall, ToolCall
from ernie_aiml._wire.response import parse_delta
from ernie_aiml.integration import ToolCallAccumulator, ToolCallChunk
from fuzz_budget import examples
from hypothesis import given, settings
from hypothesis import strategies as st


def split(acc: ToolCallAccumulator) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    """`acc.ordered()` as (valid calls, invalid calls), each in index order."""
    calls = acc.ordered()
    valid = [c for c in calls if isinstance(c, ToolCall)]
    return valid, [c for c in calls if isinstance(c, InvalidToolCall)]


def _delta_chunks(*entries: dict) -> list[ToolCallChunk]:
    """Fragments as parse_delta produces them from one chunk's `delta.tool_calls`."""
    chunk = {"choices": [{"index": 0, "delta": {"tool_calls": list(entries)}}]}
    return list(parse_delta(chunk).tool_call_chunks)


def test_two_calls_in_one_chunk() -> None:
    acc = ToolCallAccumulator()
    acc.add(
        _delta_chunks(
            {
                "index": 0,
                "id": "c1",
                "type": "function",
                "function": {"name": "add", "arguments": '{"a": 1'},
            },
            {
                "index": 1,
                "id": "c2",
                "type": "function",
                "function": {"name": "mul", "arguments": '{"b"'},
            },
        )
    )
    acc.add(
        _delta_chunks(
            {"index": 1, "function": {"arguments": ": 2}"}},
            {"index": 0, "function": {"arguments": ', "c": 3}'}},
        )
    )
    assert split(acc) == (
        [
            ToolCall(id="c1", name="add", arguments={"a": 1, "c": 3}),
            ToolCall(id="c2", name="mul", arguments={"b": 2}),
        ],
        [],
    )


def test_id_and_name_repeated_on_every_chunk_are_not_concatenated() -> None:
    acc = ToolCallAccumulator()
    for piece in ['{"city"', ': "Pa', 'ris"}']:
        acc.add(
            _delta_chunks(
                {
                    "index": 0,
                    "id": "call_9",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": piece},
                }
            )
        )
    assert split(acc) == (
        [ToolCall(id="call_9", name="get_weather", arguments={"city": "Paris"})],
        [],
    )


def test_id_only_on_the_first_chunk() -> None:
    acc = ToolCallAccumulator()
    acc.add([ToolCallChunk(0, "call_1", "search", "")])
    acc.add([ToolCallChunk(0, None, None, '{"q": "ern')])
    acc.add([ToolCallChunk(0, "", "", 'ie"}')])  # empty id/name do not replace
    assert split(acc) == (
        [ToolCall(id="call_1", name="search", arguments={"q": "ernie"})],
        [],
    )


def test_empty_arguments_missing_id_and_invalid_json() -> None:
    acc = ToolCallAccumulator()
    assert not acc
    acc.add([ToolCallChunk(2, "c2", "broken", '{"a": ')])
    acc.add([ToolCallChunk(0, "c0", "now", None), ToolCallChunk(1, None, "anon", "{}")])
    acc.add([ToolCallChunk(3, "c3", None, '{"x": 1}')])
    assert len(acc) == 4
    assert split(acc) == (
        [
            ToolCall(id="c0", name="now", arguments={}),
            ToolCall(id="call_1", name="anon", arguments={}),
        ],
        [
            InvalidToolCall(
                id="c2",
                name="broken",
                raw_arguments='{"a": ',
                error="arguments are not valid JSON: Expecting value: line 1 column 7 (char 6)",
            ),
            InvalidToolCall(
                id="c3", name=None, raw_arguments='{"x": 1}', error="tool call has no function name"
            ),
        ],
    )


def test_snapshot_is_the_raw_state_by_index_without_parsing() -> None:
    acc = ToolCallAccumulator()
    assert acc.snapshot() == []
    acc.add([ToolCallChunk(1, None, "second", '{"b"'), ToolCallChunk(0, "c0", None, '{"a": ')])
    assert acc.snapshot() == [("c0", None, '{"a": '), ("call_1", "second", '{"b"')]
    acc.add([ToolCallChunk(0, "c0", "first", "1}"), ToolCallChunk(1, "c1", None, None)])
    # the id is fixed by the first fragment: a late one never renames a call mid-stream
    assert acc.snapshot() == [("c0", "first", '{"a": 1}'), ("call_1", "second", '{"b"')]


def test_snapshot_names_a_call_without_id_as_ordered_does() -> None:
    acc = ToolCallAccumulator()
    acc.add([ToolCallChunk(3, None, "lookup", '{"q": 1}'), ToolCallChunk(0, "", "f", "{}")])
    assert acc.snapshot() == [("call_0", "f", "{}"), ("call_3", "lookup", '{"q": 1}')]
    valid, invalid = split(acc)
    assert invalid == []
    assert [(c.id, c.name, json.dumps(c.arguments)) for c in valid] == acc.snapshot()


def test_ids_are_stable_from_the_first_fragment_to_the_result_never_empty() -> None:
    acc = ToolCallAccumulator()
    acc.add([ToolCallChunk(0, None, "pay", '{"to": "alice", '), ToolCallChunk(1, "", "log", "")])
    first = acc.snapshot()
    acc.add([ToolCallChunk(0, None, None, '"amount": 10')])  # cut off: never valid JSON
    assert [s[0] for s in first] == [s[0] for s in acc.snapshot()] == ["call_0", "call_1"]
    assert [call.id for call in acc.ordered()] == ["call_0", "call_1"]
    assert isinstance(acc.ordered()[0], InvalidToolCall)


def test_extra_content_is_kept_once_per_call_and_reaches_valid_and_invalid_calls() -> None:
    sig = {"google": {"thought_signature": "sig-A"}}
    acc = ToolCallAccumulator()
    acc.add([ToolCallChunk(0, "c0", "f", '{"a"', sig), ToolCallChunk(1, "c1", "g", "{", None)])
    acc.add([ToolCallChunk(0, "c0", "f", ": 1}", sig), ToolCallChunk(1, None, None, "", {"k": 2})])
    assert acc.extra_contents() == [sig, {"k": 2}]
    valid, invalid = split(acc)
    assert valid == [ToolCall(id="c0", name="f", arguments={"a": 1}, extra_content=sig)]
    assert [(c.id, c.extra_content) for c in invalid] == [("c1", {"k": 2})]


def test_ordered_mixes_valid_and_invalid_calls_in_index_order() -> None:
    acc = ToolCallAccumulator()
    acc.add(
        [
            ToolCallChunk(2, "c2", "last", '{"z": 2}'),
            ToolCallChunk(1, "c1", "broken", "[1]"),
            ToolCallChunk(0, "c0", "first", "{}"),
        ]
    )
    bad = InvalidToolCall(
        id="c1",
        name="broken",
        raw_arguments="[1]",
        error="arguments are not a JSON object (got list)",
    )
    first = ToolCall(id="c0", name="first", arguments={})
    last = ToolCall(id="c2", name="last", arguments={"z": 2})
    assert acc.ordered() == [first, bad, last]
    assert split(acc) == ([first, last], [bad])


# ----------------------------------------------------------------- property

_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
_calls = st.lists(
    st.tuples(
        st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
        st.dictionaries(st.text(max_size=6), _json_values, max_size=4),
    ),
    min_size=1,
    max_size=3,
)


@st.composite
def _streams(draw: st.DrawFn) -> tuple[list[tuple[str, dict]], list[list[ToolCallChunk]]]:
    """Random calls, their argument strings cut anywhere, the pieces grouped into chunks.

    Every fragment carries the id and name; `_first_only` strips them from all but the first.
    """
    calls = draw(_calls)
    fragments: list[list[ToolCallChunk]] = []
    for index, (name, args) in enumerate(calls):
        text = json.dumps(args, ensure_ascii=draw(st.booleans()))
        cuts = sorted(draw(st.sets(st.integers(0, len(text)), max_size=6)))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True)]
        fragments.append([ToolCallChunk(index, f"call_{index}_x", name, p) for p in pieces])
    # Interleave calls in a random order that keeps each call's own pieces in order.
    queue = [list(f) for f in fragments]
    ordered: list[ToolCallChunk] = []
    while any(queue):
        pick = draw(st.sampled_from([i for i, q in enumerate(queue) if q]))
        ordered.append(queue[pick].pop(0))
    # Group consecutive fragments into stream chunks (several calls per chunk allowed).
    groups: list[list[ToolCallChunk]] = []
    for fragment in ordered:
        if groups and draw(st.booleans()):
            groups[-1].append(fragment)
        else:
            groups.append([fragment])
    return calls, groups


def _first_only(groups: list[list[ToolCallChunk]]) -> list[list[ToolCallChunk]]:
    """The same stream with id and name only on each call's first fragment."""
    seen: set[int] = set()
    out = []
    for group in groups:
        stripped = []
        for c in group:
            first = c.index not in seen
            seen.add(c.index)
            stripped.append(c if first else ToolCallChunk(c.index, None, None, c.arguments))
        out.append(stripped)
    return out


def _accumulate(groups: list[list[ToolCallChunk]]) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    acc = ToolCallAccumulator()
    for group in groups:
        acc.add(group)
    return split(acc)


@settings(max_examples=examples(300), deadline=None)
@given(_streams())
def test_calls_do_not_depend_on_how_deltas_are_cut(
    stream: tuple[list[tuple[str, dict]], list[list[ToolCallChunk]]],
) -> None:
    calls, groups = stream
    expected = [
        ToolCall(id=f"call_{i}_x", name=name, arguments=args)
        for i, (name, args) in enumerate(calls)
    ]
    for variant in (groups, _first_only(groups)):
        valid, invalid = _accumulate(variant)
        assert invalid == []
        assert [(c.id, c.name, c.arguments) for c in valid] == [
            (c.id, c.name, c.arguments) for c in expected
        ]


@settings(max_examples=examples(200), deadline=None)
@given(_streams())
def test_snapshot_arguments_are_what_ordered_parsed(
    stream: tuple[list[tuple[str, dict]], list[list[ToolCallChunk]]],
) -> None:
    _, groups = stream
    acc = ToolCallAccumulator()
    for group in groups:
        acc.add(group)
    valid, invalid = split(acc)
    assert invalid == []
    assert [(i, n) for i, n, _ in acc.snapshot()] == [(c.id, c.name) for c in valid]
    assert [json.loads(raw) for _, _, raw in acc.snapshot()] == [c.arguments for c in valid]
    assert acc.ordered() == valid
