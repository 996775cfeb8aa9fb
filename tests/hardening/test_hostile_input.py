"""Odd answers and odd input become our typed errors, never raw Python ones or wrong answers.

Issue 22 §5: deep nesting, lone surrogates, odd tool-call fragments and text fields, SSE
`event: error`, two ids at one tool-call index, tool names, bytes content in LlamaIndex,
oversized images and tool schemas. Server-side oddities are `ResponseParseError` (or the
`StreamError` the server meant), ours are `ParameterError` before anything is sent; each in
every mode the issue names.
"""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Iterator
from typing import Any

import ernie_aiml
import pytest
from ernie_aiml import integration
from hardening_support import MODEL
from hostile_support import (
    MODES,
    STREAM_MODES,
    HostileServer,
    answer,
    build,
    either,
    events,
    json_reply,
    results,
    run,
    sse_chunks,
    sse_reply,
)
from pydantic import BaseModel, create_model

DEEP = 100_000


def serve(plain: bytes, streamed: list[bytes]) -> HostileServer:
    return HostileServer(either(lambda: json_reply(plain), lambda: sse_reply(streamed)))


@pytest.fixture
def ok() -> Iterator[HostileServer]:
    srv = serve(json.dumps(answer()).encode(), events())
    yield srv
    srv.close()


# ------------------------------------------------------------------ deep nesting


@pytest.mark.parametrize("where", ["answer", "arguments", "error-body"])
@pytest.mark.parametrize("mode", MODES)
async def test_deep_nesting_is_a_typed_error_not_recursion(mode: str, where: str) -> None:
    nested = "[" * DEEP + "]" * DEEP
    if where == "answer":
        plain = ('{"choices": ' + nested + "}").encode()
        streamed = [b'data: {"choices": ' + nested.encode() + b"}\n\n"]
        expected: type[Exception] = ernie_aiml.ResponseParseError
    elif where == "arguments":  # a tool call's arguments: an invalid call, not a crash
        call = {"id": "c", "type": "function", "function": {"name": "f", "arguments": nested}}
        body = answer(None)
        body["choices"][0]["message"]["tool_calls"] = [call]
        plain = json.dumps(body).encode()
        chunk = {"choices": [{"index": 0, "delta": {"tool_calls": [{**call, "index": 0}]}}]}
        streamed = sse_chunks([chunk, *_finish("tool_calls")])
        expected = ernie_aiml.InvalidToolCallError
    else:
        plain = ('{"message": ' + nested + "}").encode()
        streamed = []
        expected = ernie_aiml.BadRequestError
    if where == "error-body":
        server = HostileServer(lambda request: json_reply(plain, status=400))
    else:
        server = serve(plain, streamed)
    try:
        if where == "arguments":
            found = await results(mode, build(mode, server.base_url))
            assert _invalid_calls(mode, found) == 1
            return
        with pytest.raises(expected):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()


def _finish(reason: str = "stop") -> list[dict[str, Any]]:
    return [
        {"choices": [{"index": 0, "delta": {}, "finish_reason": reason}]},
        {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}},
    ]


def _invalid_calls(mode: str, found: list[Any]) -> int:
    if mode.startswith("core"):
        completions = [f for f in found if isinstance(f, ernie_aiml.Completion)]
        if completions:
            return len(completions[0].invalid_tool_calls)
        acc = integration.ToolCallAccumulator()
        for delta in found:
            if isinstance(delta, ernie_aiml.Delta):
                acc.add(delta.tool_call_chunks)
        return sum(isinstance(c, ernie_aiml.InvalidToolCall) for c in acc.ordered())
    if mode.startswith("lc"):
        message = found[0]
        for chunk in found[1:]:
            message = message + chunk
        return len(message.invalid_tool_calls)
    last = found[-1]
    calls = last.message.additional_kwargs.get("tool_calls") or []
    return sum(1 for c in calls if len(c["function"]["arguments"]) > 1000)


# ------------------------------------------------------------------ server oddities


ODD_FRAGMENTS = {
    "index-str-and-int": [{"index": "0", "id": "a", "function": {"name": "f"}}, {"index": 0}],
    "index-float": [{"index": 1.5, "id": "a", "function": {"name": "f"}}],
    "index-negative": [{"index": -1, "id": "a", "function": {"name": "f"}}],
    "index-object": [{"index": {}, "id": "a", "function": {"name": "f"}}],
    "type-odd": [{"index": 0, "id": "a", "type": "shell", "function": {"name": "f"}}],
    "id-number": [{"index": 0, "id": 7, "function": {"name": "f"}}],
    "name-object": [{"index": 0, "id": "a", "function": {"name": {"x": 1}}}],
}


@pytest.mark.parametrize("case", list(ODD_FRAGMENTS))
@pytest.mark.parametrize("mode", STREAM_MODES)
async def test_odd_tool_call_fragments_are_parse_errors(mode: str, case: str) -> None:
    chunks = [
        {"choices": [{"index": 0, "delta": {"tool_calls": [fragment]}}]}
        for fragment in ODD_FRAGMENTS[case]
    ]
    server = serve(b"", sse_chunks([*chunks, *_finish("tool_calls")]))
    try:
        with pytest.raises(ernie_aiml.ResponseParseError, match="tool-call fragment"):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()


ODD_TEXT = {
    "content-object": {"content": {"text": "hi"}},
    "content-list-in-stream": {"content": [1, 2]},
    "reasoning-int": {"reasoning_content": 5},
    "reasoning-object": {"reasoning_content": {"a": 1}},
}


@pytest.mark.parametrize("case", list(ODD_TEXT))
@pytest.mark.parametrize("mode", MODES)
async def test_odd_content_or_reasoning_is_a_parse_error(mode: str, case: str) -> None:
    fields = ODD_TEXT[case]
    body = answer()
    body["choices"][0]["message"].update(fields)
    chunk = {"choices": [{"index": 0, "delta": {"role": "assistant", **fields}}]}
    server = serve(json.dumps(body).encode(), sse_chunks([chunk, *_finish()]))
    try:
        if case == "content-list-in-stream" and "stream" not in mode:
            await run(mode, build(mode, server.base_url))  # a list of parts is valid content
            return
        with pytest.raises(ernie_aiml.ResponseParseError, match="must be a string or null"):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()


ERROR_EVENTS = {
    "json-message": (
        b'event: error\ndata: {"message": "model overloaded"}\n\n',
        "model overloaded",
    ),
    "json-error": (
        b'event: error\ndata: {"error": {"message": "quota gone", "code": 429}}\n\n',
        "quota gone",
    ),
    "json-other": (b'event: error\ndata: {"detail": "boom"}\n\n', "boom"),
    "text": (b"event: error\ndata: upstream exploded\n\n", "upstream exploded"),
}


@pytest.mark.parametrize("case", list(ERROR_EVENTS))
@pytest.mark.parametrize("mode", STREAM_MODES)
async def test_sse_error_event_raises_its_message(mode: str, case: str) -> None:
    event, message = ERROR_EVENTS[case]
    first = {"choices": [{"index": 0, "delta": {"role": "assistant", "content": "Partial"}}]}
    streamed = [*sse_chunks([first], done=False), event, *sse_chunks(_finish())]
    server = serve(b"", streamed)
    try:
        with pytest.raises(ernie_aiml.StreamError, match=message):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()


TWO_IDS = [
    {"index": 0, "id": "call_a", "type": "function", "function": {"name": "get_weather"}},
    {"index": 0, "function": {"arguments": '{"city": "Paris"}'}},
    {"index": 0, "id": "call_b", "type": "function", "function": {"name": "delete_files"}},
    {"index": 0, "function": {"arguments": '{"path": "/"}'}},
    {"index": 1, "id": "call_c", "type": "function", "function": {"name": "get_time"}},
    {"index": 1, "function": {"arguments": "{}"}},
]
EXPECTED_CALLS = [
    ("call_a", "get_weather", {"city": "Paris"}),
    ("call_b", "delete_files", {"path": "/"}),
    ("call_c", "get_time", {}),
]


@pytest.mark.parametrize("mode", STREAM_MODES)
async def test_two_ids_at_one_index_are_separate_calls(mode: str) -> None:
    chunks = [
        {"id": "x", "model": MODEL, "choices": [{"index": 0, "delta": {"tool_calls": [f]}}]}
        for f in TWO_IDS
    ]
    server = serve(b"", sse_chunks([*chunks, *_finish("tool_calls")]))
    try:
        target = build(mode, server.base_url)
        found = await results(mode, target)
    finally:
        server.close()
    assert _calls(mode, found, target) == EXPECTED_CALLS


def _calls(mode: str, found: list[Any], target: Any) -> list[tuple[str, str, Any]]:
    if mode.startswith("core"):
        acc = integration.ToolCallAccumulator()
        for delta in found:
            if isinstance(delta, ernie_aiml.Delta):
                acc.add(delta.tool_call_chunks)
        return [(c.id, c.name, c.arguments) for c in acc.ordered()]  # type: ignore[union-attr]
    if mode.startswith("lc"):
        message = found[0]
        for chunk in found[1:]:
            message = message + chunk
        return [(c["id"], c["name"], c["args"]) for c in message.tool_calls]
    calls = target.get_tool_calls_from_response(found[-1], error_on_no_tool_call=False)
    return [(c.tool_id, c.tool_name, c.tool_kwargs) for c in calls]


# ------------------------------------------------------------------ our own input


def _tool(name: str, parameters: Any = None) -> dict[str, Any]:
    return {
        "type": "function",
        "function": {"name": name, "parameters": parameters or {"type": "object"}},
    }


def _send_tools(mode: str, tools: list[dict[str, Any]]) -> dict[str, Any]:
    return {"tools": tools}


BAD_NAMES = ["get weather", "météo", "a\0b", "x" * 1000, "get.weather", "\ud800"]


@pytest.mark.parametrize(
    "name", BAD_NAMES, ids=["space", "non-ascii", "nul", "long", "dot", "surrogate"]
)
@pytest.mark.parametrize("mode", [m for m in MODES if not m.startswith("core")])
async def test_tool_names_are_checked_against_the_spec(
    ok: HostileServer, mode: str, name: str
) -> None:
    with pytest.raises(ernie_aiml.ParameterError, match="tool name") as info:
        await run(mode, build(mode, ok.base_url), **_send_tools(mode, [_tool(name)]))
    assert len(str(info.value)) < 400
    assert ok.requests == []


@pytest.mark.parametrize(
    "name", BAD_NAMES, ids=["space", "non-ascii", "nul", "long", "dot", "surrogate"]
)
def test_core_tool_names_are_checked(name: str) -> None:
    with pytest.raises(ernie_aiml.ParameterError, match="tool name"):
        integration.normalize_tool(_tool(name))
    assert integration.normalize_tool(_tool("get_weather-2"))["function"]["name"] == "get_weather-2"


def _deep_schema(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string"}
    for _ in range(levels):
        schema = {"type": "object", "properties": {"a": schema}}
    return schema


def _doubling_model(levels: int = 20) -> type[BaseModel]:
    """A 2 KB pydantic schema whose `$defs` each use the previous one twice: 2^levels nodes."""
    model: type[BaseModel] = create_model("M0", v=(int, 0))
    for level in range(1, levels + 1):
        model = create_model(f"M{level}", a=(model, ...), b=(model, ...))
    return model


@pytest.mark.parametrize("kind", ["deep", "doubling"])
@pytest.mark.parametrize("mode", [m for m in MODES if not m.startswith("core")])
async def test_hostile_tool_schemas_are_refused_before_sending(
    ok: HostileServer, mode: str, kind: str
) -> None:
    if kind == "deep":
        parameters = _deep_schema(5000)
        match = "nested too deeply"
    else:
        parameters = _doubling_model().model_json_schema()
        assert len(json.dumps(parameters)) < 4000
        match = "schema_nodes"
    with pytest.raises(ernie_aiml.ParameterError, match=match):
        await run(mode, build(mode, ok.base_url), **_send_tools(mode, [_tool("t", parameters)]))
    assert ok.requests == []


def test_raising_the_schema_limit_lets_a_big_schema_through() -> None:
    parameters = _doubling_model(8).model_json_schema()
    previous = ernie_aiml.configure_limits(schema_nodes=200)
    try:
        with pytest.raises(ernie_aiml.ParameterError, match="more than 200 nodes"):
            integration.normalize_tool(_tool("t", parameters))
        ernie_aiml.configure_limits(schema_nodes=10_000)
        tool = integration.normalize_tool(_tool("t", parameters))
        assert "$defs" not in json.dumps(tool)
    finally:
        ernie_aiml.configure_limits(schema_nodes=previous.schema_nodes)


@pytest.mark.parametrize("where", ["prompt", "model", "system"])
@pytest.mark.parametrize("mode", MODES)
async def test_lone_surrogates_are_refused_before_sending(
    ok: HostileServer, mode: str, where: str
) -> None:
    bad = "hi \ud800 there"
    role = "system" if where == "system" else "user"
    kwargs: dict[str, Any] = {}
    if where == "model" and not mode.startswith("core"):
        kwargs["model"] = bad
    with pytest.raises(ernie_aiml.ParameterError, match="lone surrogate"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ernie_aiml.UnknownModelWarning)
            target = build(mode, ok.base_url, **kwargs)
        if mode.startswith("core"):
            model = bad if where == "model" else MODEL
            body = {"model": model, "messages": [{"role": role, "content": bad}]}
            await run(mode, target, body=body)
        elif mode.startswith("lc"):
            await run(mode, target, messages=[(role, bad)])
        else:
            from llama_index.core.base.llms.types import ChatMessage

            await run(mode, target, messages=[ChatMessage(role=role, content=bad)])
    assert ok.requests == []


@pytest.mark.parametrize("mode", [m for m in MODES if m.startswith("li")])
async def test_llama_index_bytes_content_is_refused(ok: HostileServer, mode: str) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    with pytest.raises(ernie_aiml.ParameterError, match="bytes content"):
        await run(
            mode, build(mode, ok.base_url), messages=[ChatMessage(role="user", content=b"\xff\xfe")]
        )
    assert ok.requests == []


PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def test_image_size_limit_is_checked_before_copying() -> None:
    previous = ernie_aiml.configure_limits(image_bytes=1000)
    try:
        big = PNG + "A" * 2000
        with pytest.raises(ernie_aiml.ParameterError, match="image_bytes=1000"):
            ernie_aiml.image_part(url=f"data:image/png;base64,{big}")
        with pytest.raises(ernie_aiml.ParameterError, match="image_bytes=1000"):
            ernie_aiml.image_part(data=b"\x89PNG" + b"\0" * 2000)
        with pytest.raises(ernie_aiml.ParameterError, match="image_bytes=1000"):
            ernie_aiml.file_part(data=b"%PDF-" + b"\0" * 2000)
        assert ernie_aiml.image_part(url=f"data:image/png;base64,{PNG}").mime_type == "image/png"
    finally:
        ernie_aiml.configure_limits(image_bytes=previous.image_bytes)


@pytest.mark.parametrize("mode", [m for m in MODES if not m.startswith("core")])
async def test_oversized_image_is_refused_in_the_adapters(ok: HostileServer, mode: str) -> None:
    previous = ernie_aiml.configure_limits(image_bytes=1000)
    url = f"data:image/png;base64,{PNG}{'A' * 2000}"
    try:
        with pytest.raises(ernie_aiml.ParameterError, match="image_bytes"):
            if mode.startswith("lc"):
                from langchain_core.messages import HumanMessage

                content = [{"type": "image_url", "image_url": {"url": url}}]
                await run(mode, build(mode, ok.base_url), messages=[HumanMessage(content=content)])
            else:
                from llama_index.core.base.llms.types import ChatMessage, ImageBlock

                block = ImageBlock(url=url)
                await run(
                    mode,
                    build(mode, ok.base_url),
                    messages=[ChatMessage(role="user", blocks=[block])],
                )
    finally:
        ernie_aiml.configure_limits(image_bytes=previous.image_bytes)
    assert ok.requests == []


def test_limits_are_checked() -> None:
    with pytest.raises(ernie_aiml.ParameterError, match="unknown limit 'answer'"):
        ernie_aiml.configure_limits(answer=1)
    with pytest.raises(ernie_aiml.ParameterError, match="answer_bytes must be an integer > 0"):
        ernie_aiml.configure_limits(answer_bytes=0)


# ------------------------------------------------------------------ the end of a stream

AFTER_THE_END = b'data: {"choices": [{"index": 0, "delta": {"content": " MORE"}}]}\n\n'
ENDS = {
    # finish and usage: the end, with no [DONE] (as AIML's real streams)
    "finish-and-usage": events()[:-1],
    "done": events(),
    # `[DONE]` with spaces around it is still the end (a sloppy proxy's rewrite); here it
    # is the only end, the usage missing
    "done-with-spaces": [*events()[:2], b"data:  [DONE] \n\n"],
}


@pytest.mark.parametrize("case", list(ENDS))
@pytest.mark.parametrize("mode", STREAM_MODES)
async def test_a_stream_ends_where_the_server_finished(mode: str, case: str) -> None:
    """The end rule in every stream mode: what the server keeps sending after the end (here
    200 more content events, then the connection closes) is neither read nor yielded."""

    def respond() -> Iterator[bytes]:
        yield from sse_reply(ENDS[case])
        for _ in range(200):
            yield AFTER_THE_END

    server = HostileServer(lambda request: respond())
    missing = case == "done-with-spaces"
    try:
        with pytest.warns(ernie_aiml.MissingUsageWarning) if missing else contextlib.nullcontext():
            text = await run(mode, build(mode, server.base_url))
    finally:
        server.close()
    assert "Hello." in text
    assert "MORE" not in text
