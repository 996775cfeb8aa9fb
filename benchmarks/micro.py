"""Micro-benchmarks of our per-chunk and per-call pieces, next to the framework's own objects.

cProfile shows where time goes but inflates small functions; this times each piece alone
(best of several batches, µs per call) on the benchmark's own payloads, so the costs that
are ours can be read off and summed. Pieces reach into private helpers of the core and the
adapters: a piece whose helper moved prints `n/a` with the reason instead of failing.

Usage: `.venv-bench/bin/python benchmarks/micro.py`
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import payloads

Row = tuple[str, str, Callable[[], Any] | str]


def best_us(fn: Callable[[], Any], target: float = 0.05, rounds: int = 7) -> float:
    """Best-of-`rounds` µs per call of `fn`, batches of about `target` seconds."""
    fn()
    count = 1
    while True:
        t0 = time.perf_counter()
        for _ in range(count):
            fn()
        elapsed = time.perf_counter() - t0
        if elapsed > target / 5 or count > 1 << 20:
            break
        count *= 4
    count = max(1, int(count * target / max(elapsed, 1e-9)))
    best = float("inf")
    for _ in range(rounds):
        t0 = time.perf_counter()
        for _ in range(count):
            fn()
        best = min(best, (time.perf_counter() - t0) / count)
    return best * 1e6


def _event_bytes(chunk: dict[str, Any]) -> bytes:
    return (
        b"data: " + json.dumps(chunk, ensure_ascii=False, separators=(",", ":")).encode() + b"\n\n"
    )


def chunk_rows() -> list[Row]:
    """Per-chunk pieces: (group, label, fn or the reason it is missing)."""
    rows: list[Row] = []
    chunks = payloads.stream_chunks(500)
    content = chunks[600]  # a content delta
    reasoning = chunks[100]  # a reasoning delta
    data = json.dumps(content, ensure_ascii=False, separators=(",", ":"))
    raw = _event_bytes(content)
    rows.append(("floor", "json.loads(content chunk)", lambda: json.loads(data)))
    try:
        from ernie_aiml._transport.sse import SSEDecoder
        from ernie_aiml._wire.response import parse_delta

        decoder = SSEDecoder()
        rows.append(("core", "SSEDecoder.feed(one event)", lambda: decoder.feed(raw)))
        rows.append(("core", "parse_delta(content chunk)", lambda: parse_delta(content)))
        rows.append(("core", "parse_delta(reasoning chunk)", lambda: parse_delta(reasoning)))
        content_delta, reasoning_delta = parse_delta(content), parse_delta(reasoning)
    except Exception as exc:
        rows.append(("core", "SSE / parse_delta", f"n/a ({exc!r})"))
        return rows
    rows += _transport_chunk_rows(data)
    rows += _langchain_chunk_rows(content_delta, reasoning_delta)
    rows += _llama_chunk_rows(chunks)
    return rows


def _transport_chunk_rows(data: str) -> list[Row]:
    """The core's per-read step (`ernie_aiml._transport.stream_state`): one read that is one
    event, to its `Delta` (fast path, masking check, JSON, `parse_delta`)."""
    try:
        from types import SimpleNamespace

        from ernie_aiml._transport.stream_state import StreamState, _loads

        call = SimpleNamespace(key="sk-" + "a" * 32)  # what the state reads of its call
        state = StreamState(call, {}, False)  # type: ignore[arg-type]  # no connection
        state.feed(b": hello\n")  # past the first line (the one-event path starts after it)
        raw = f"data: {data}\n\n".encode()
    except Exception as exc:
        return [("core", "StreamState.feed", f"n/a ({exc!r})")]

    return [
        ("core", "stream_state._loads(content chunk), the C scanner", lambda: _loads(data)),
        ("core", "StreamState.feed (one read, one content event)", lambda: state.feed(raw)),
    ]


def _langchain_chunk_rows(content_delta: Any, reasoning_delta: Any) -> list[Row]:
    rows: list[Row] = []
    try:
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk
    except ImportError as exc:
        return [("langchain", "langchain-core", f"n/a ({exc!r})")]
    rows.append(
        (
            "langchain (framework)",
            "AIMessageChunk(content=tok)",
            lambda: AIMessageChunk(content=" the"),
        )
    )
    msg = AIMessageChunk(content=" the")
    rows.append(
        (
            "langchain (framework)",
            "ChatGenerationChunk(message=msg)",
            lambda: ChatGenerationChunk(message=msg),
        )
    )
    rows.append(
        (
            "langchain (framework)",
            "AIMessageChunk(content, additional_kwargs={}, response_metadata={…})",
            lambda: AIMessageChunk(
                content=" the", additional_kwargs={}, response_metadata={"model_provider": "x"}
            ),
        )
    )
    try:
        from ernie_aiml.integration import ToolCallAccumulator

        from langchain_ernie_aiml._messages import delta_to_chunk

        calls = ToolCallAccumulator()

        rows.append(
            (
                "langchain (ours)",
                "delta_to_chunk(content delta)",
                lambda: delta_to_chunk(content_delta, calls, "chatcmpl-1"),
            )
        )
        rows.append(
            (
                "langchain (ours)",
                "delta_to_chunk(reasoning delta)",
                lambda: delta_to_chunk(reasoning_delta, calls, "chatcmpl-1"),
            )
        )
    except Exception as exc:
        rows.append(("langchain (ours)", "delta_to_chunk", f"n/a ({exc!r})"))
    try:
        from langchain_ernie_aiml._stream import StreamEnd

        end = StreamEnd(payloads.MODEL)
        rows.append(
            ("langchain (ours)", "StreamEnd.step(content delta)", lambda: end.step(content_delta))
        )
    except Exception as exc:
        rows.append(("langchain (ours)", "StreamEnd.step", f"n/a ({exc!r})"))
    return rows


def _llama_chunk_rows(chunks: list[dict[str, Any]]) -> list[Row]:
    rows: list[Row] = []
    try:
        from llama_index.core.base.llms.types import ChatMessage, ChatResponse, MessageRole
    except ImportError as exc:
        return [("llama-index", "llama-index-core", f"n/a ({exc!r})")]
    rows.append(
        (
            "llama-index (framework)",
            "ChatResponse(message=ChatMessage(content=acc), delta=tok)",
            lambda: ChatResponse(
                message=ChatMessage(role=MessageRole.ASSISTANT, content=" the answer"), delta=" the"
            ),
        )
    )
    try:
        from ernie_aiml._wire.response import parse_delta

        from llama_index_ernie_aiml._stream import StreamFolder

        deltas = [parse_delta(c) for c in chunks]

        def fold_stream() -> None:
            fold = StreamFolder().fold
            for delta in deltas:
                fold(delta)

        per = len(deltas)
        rows.append(
            (
                "llama-index (ours)",
                f"StreamFolder.fold, mean over a {per}-chunk stream",
                (fold_stream, per),
            )  # type: ignore[list-item]
        )
    except Exception as exc:
        rows.append(("llama-index (ours)", "StreamFolder.fold", f"n/a ({exc!r})"))
    return rows


def call_rows() -> list[Row]:
    """Per-call pieces (request building, response parsing, result objects)."""
    rows: list[Row] = []
    body = payloads.completion_body()
    headers = {"x-inference-id": payloads.INFERENCE_ID, "x-aimlapi-credits-used": "391"}
    text = json.dumps(body)
    rows.append(("floor", "json.loads(completion body)", lambda: json.loads(text)))
    try:
        import ernie_aiml
        from ernie_aiml import Message, build_chat_request
        from ernie_aiml._wire.response import parse_completion

        messages = [Message(role="system", content="s"), Message(role="user", content="q")]
        rows.append(
            (
                "core",
                "build_chat_request(2 messages)",
                lambda: build_chat_request(payloads.MODEL, messages),
            )
        )
        rows.append(
            ("core", "parse_completion(body, headers)", lambda: parse_completion(body, headers))
        )
        completion = parse_completion(body, headers)
        client = ernie_aiml.AIMLClient(api_key="sk-x", base_url="http://127.0.0.1:9/v1")
        request = build_chat_request(payloads.MODEL, messages)
        rows.append(
            (
                "core",
                "AIMLClient._prepare (headers, JSON, URL checks)",
                lambda: client._prepare(
                    "POST", "/chat/completions", request, "application/json", None, None
                ),
            )
        )
        from ernie_aiml._observe.hooks import start_call

        call = client._prepare("POST", "/models", None, "application/json", None, None)
        rows.append(
            (
                "core",
                "start_call (no track_usage, no OTel provider: the off path)",
                lambda: start_call(call.url, request),
            )
        )
        from ernie_aiml._settings import check_transport_security

        url = "http://127.0.0.1:9/v1/chat/completions"
        rows.append(
            (
                "core",
                "check_transport_security(loopback url)",
                lambda: check_transport_security(url),
            )
        )
    except Exception as exc:
        rows.append(("core", "request/response", f"n/a ({exc!r})"))
        return rows
    rows += _langchain_call_rows(completion)
    rows += _llama_call_rows(completion)
    return rows


def _langchain_call_rows(completion: Any) -> list[Row]:
    rows: list[Row] = []
    try:
        from langchain_core.messages import HumanMessage, SystemMessage

        from langchain_ernie_aiml import ChatErnieAIML
        from langchain_ernie_aiml._messages import completion_to_message

        model = ChatErnieAIML(
            model=payloads.MODEL, api_key="sk-x", base_url="http://127.0.0.1:9/v1"
        )
        messages = [SystemMessage("s"), HumanMessage("q")]
        rows.append(
            (
                "langchain (ours)",
                "ChatErnieAIML._request(2 messages)",
                lambda: model._request(messages, None, False, {}),
            )
        )
        rows.append(
            (
                "langchain (ours)",
                "completion_to_message",
                lambda: completion_to_message(completion, payloads.MODEL),
            )
        )
        rows.append(
            (
                "langchain (ours)",
                "ChatErnieAIML._result",
                lambda: model._result(completion, payloads.MODEL),
            )
        )
    except Exception as exc:
        rows.append(("langchain (ours)", "request/result", f"n/a ({exc!r})"))
    return rows


def _llama_call_rows(completion: Any) -> list[Row]:
    rows: list[Row] = []
    try:
        from llama_index.core.llms import ChatMessage

        from llama_index_ernie_aiml import ErnieAIML
        from llama_index_ernie_aiml._responses import completion_to_chat_response

        llm = ErnieAIML(model=payloads.MODEL, api_key="sk-x", base_url="http://127.0.0.1:9/v1")
        messages = [ChatMessage(role="system", content="s"), ChatMessage(role="user", content="q")]
        rows.append(
            (
                "llama-index (ours)",
                "ErnieAIML._request(2 messages)",
                lambda: llm._request(messages, False, {}),
            )
        )
        rows.append(
            (
                "llama-index (ours)",
                "completion_to_chat_response",
                lambda: completion_to_chat_response(completion),
            )
        )
        rows.append(("llama-index (ours)", "ErnieAIML.metadata", lambda: llm.metadata))
    except Exception as exc:
        rows.append(("llama-index (ours)", "request/result", f"n/a ({exc!r})"))
    return rows


def counting_rows() -> list[Row]:
    """Offline token counting (issue 19): 10,000 short messages in one count (goal < 50 ms)."""
    texts = [f"Short message number {n}, with a question?" for n in range(10_000)]
    try:
        import ernie_aiml
        from langchain_core.messages import AIMessage, HumanMessage

        from langchain_ernie_aiml import ChatErnieAIML
        from llama_index_ernie_aiml import tokenizer
    except Exception as exc:
        return [("ours", "counting", f"n/a ({exc!r})")]
    wire = [{"role": "user", "content": t} for t in texts]
    model = ChatErnieAIML(model=payloads.MODEL, api_key="sk-x", base_url="http://127.0.0.1:9/v1")
    history = [HumanMessage(t) if n % 2 else AIMessage(t) for n, t in enumerate(texts)]
    return [
        ("core", "count_tokens x 10,000 texts", lambda: list(map(ernie_aiml.count_tokens, texts))),
        ("core", "count_request_tokens(10,000)", lambda: ernie_aiml.count_request_tokens(wire)),
        (
            "langchain (ours)",
            "get_num_tokens_from_messages(10,000)",
            lambda: model.get_num_tokens_from_messages(history),
        ),
        (
            "llama-index (ours)",
            "len(tokenizer(t)) x 10,000",
            lambda: [len(tokenizer(t)) for t in texts],
        ),
    ]


def _print(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    for group, label, item in rows:
        if isinstance(item, str):
            print(f"  {'':>8}  {group:<24} {label}: {item}")
            continue
        fn, per = item if isinstance(item, tuple) else (item, 1)
        try:
            value = best_us(fn) / per
        except Exception as exc:
            print(f"  {'n/a':>8}  {group:<24} {label}: {exc!r}")
            continue
        print(f"  {value:8.2f}  {group:<24} {label}")


def main() -> None:
    """Print both tables (µs per call, best of 7 batches)."""
    _print("per chunk (µs)", chunk_rows())
    _print("per call (µs)", call_rows())
    _print("counting 10,000 short messages (µs per count; goal < 50,000)", counting_rows())


if __name__ == "__main__":
    main()
