"""A/B of each optimisation that reaches into a library's private parts (issue 11, point 6).

One process, the benchmark's server and clients (`ChatErnieAIML`, `ErnieAIML`, the core
client), end to end: for each item, batches with the code as it is ("as is") and with the
item swapped for its public-API twin (monkeypatched here, "public") alternate round by round,
so machine noise falls on both alike. Prints per-call and per-chunk client CPU (median of the
rounds) and the change public/as-is. An item whose code is no longer there prints `n/a`.

Usage: `.venv-bench/bin/python benchmarks/private_ab.py [--rounds 9] [--items 1 2 ...]`
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
from collections.abc import Callable
from typing import Any

import payloads
from bench import start_server
from clients import CLIENTS
from worker import _batch_cpu, _calibrate

Undo = Callable[[], None]


def _patch(obj: Any, name: str, value: Any) -> Undo:
    old = getattr(obj, name)
    setattr(obj, name, value)
    return lambda: setattr(obj, name, old)


# ------------------------------------------------------------------ the public twins


def public_lc_chunks() -> Undo:
    """1. LangChain text chunks built by the constructors, not by `__copy__` + `__dict__`."""
    from langchain_core.messages import AIMessageChunk
    from langchain_core.outputs import ChatGenerationChunk

    from langchain_ernie_aiml import _stream
    from langchain_ernie_aiml._messages import MODEL_PROVIDER, REASONING_KEY

    class TextChunks:
        def __call__(self, content: str, reasoning: str | None) -> ChatGenerationChunk:
            return ChatGenerationChunk(
                message=AIMessageChunk(
                    content=content,
                    additional_kwargs={REASONING_KEY: reasoning} if reasoning else {},
                    response_metadata={"model_provider": MODEL_PROVIDER},
                )
            )

    return _patch(_stream, "TextChunks", TextChunks)


def public_li_message() -> Undo:
    """1b. LlamaIndex streamed messages built by `ChatMessage(...)`, not `model_copy(update=)`."""
    from llama_index.core.base.llms.types import ChatMessage, MessageRole

    from llama_index_ernie_aiml import _stream

    def build(update: dict[str, Any]) -> ChatMessage:
        return ChatMessage(role=MessageRole.ASSISTANT, **update)

    return _patch(_stream, "_copy_message", build)


def public_json() -> Undo:
    """2. `json.loads` per event, not `JSONDecoder().scan_once`."""
    from ernie_aiml._transport import stream_state

    return _patch(stream_state, "_loads", json.loads)


def public_headers() -> Undo:
    """3. Response headers by `dict(headers.items())`, not decoded from `headers.raw`."""
    from ernie_aiml._wire import response

    return _patch(response, "_httpx_headers", lambda headers: dict(headers.items()))


def public_request_headers() -> Undo:
    """4. Every request passes all its headers to `build_request` (no diff, no deletion)."""
    from ernie_aiml._transport.http import Call

    def request(self: Call, client: Any, fixed: Any = None) -> Any:
        return self._build(client, self.headers)

    return _patch(Call, "request", request)


def public_header_build() -> Undo:
    """4a. The request's header dict built per request, not cached per kind (our own code)."""
    from ernie_aiml._transport.client import AIMLClient

    def shared(self: AIMLClient, accept: str, has_body: bool, key: str | None) -> Any:
        return self._headers(accept, has_body, key, None)

    return _patch(AIMLClient, "_shared_headers", shared)


def public_delta() -> Undo:
    """5. `Delta(...)` with all its fields as keyword arguments."""
    from ernie_aiml._types import _NO_CHUNKS, Delta
    from ernie_aiml._wire import response

    def _delta(chunk: Any) -> Delta:
        if chunk.get("error") or ("statusCode" in chunk and "message" in chunk):
            raise response._stream_error(chunk)
        content = reasoning = finish_reason = role = flag = usage = credits = usd = None
        tool_chunks: Any = _NO_CHUNKS
        choices = chunk.get("choices")
        if choices:
            choice = choices[0]
            delta = choice.get("delta")
            if delta:
                content = delta.get("content")
                reasoning = delta.get("reasoning_content") or delta.get("reasoning") or None
                role = delta.get("role")
                entries = delta.get("tool_calls")
                if entries:
                    tool_chunks = response._tool_call_chunks(entries)
            finish_reason = choice.get("finish_reason")
            flag = choice.get("flag")
        raw_usage = chunk.get("usage")
        if raw_usage:
            usage = response._usage(raw_usage)
        if "meta" in chunk:
            credits, usd = response._meta_cost(chunk)
        return Delta(
            content=content,
            reasoning=reasoning,
            tool_call_chunks=tool_chunks,
            finish_reason=finish_reason,
            usage=usage,
            id=chunk.get("id"),
            model=chunk.get("model"),
            role=role,
            credits_used=credits,
            usd_spent=usd,
            flag=flag,
            raw=chunk,
        )

    return _patch(response, "_delta", _delta)


def public_private_attr() -> Undo:
    """6. `aiml_client` reads `self._client` (pydantic's `__getattr__`), not the private dict."""
    from ernie_aiml._transport import owner

    def aiml_client(self: Any) -> Any:
        client = self._client
        if client is None:
            with owner._BUILD_LOCK:
                client = self._client
                if client is None:
                    client = self._client = self._build_client()
        return client

    return _patch(owner.ClientOwner, "aiml_client", property(aiml_client))


def public_replaced() -> Undo:
    """3 + 4 + 4a + 6 together: the items replaced (5b, the replacement of 5, is the core's
    own `_wire/response._delta` now: it needs no twin)."""
    undos = [
        twin()
        for twin in (
            public_headers,
            public_request_headers,
            public_header_build,
            public_private_attr,
        )
    ]

    def undo() -> None:
        for one in reversed(undos):
            one()

    return undo


#: item -> (what, its public twin, the clients and metrics on its path)
ITEMS: dict[str, tuple[str, Callable[[], Undo], tuple[str, ...], tuple[str, ...]]] = {
    "1": ("LangChain chunks: __copy__ + __dict__", public_lc_chunks, ("ChatErnieAIML",), ("stream", "bulk")),
    "1b": ("LlamaIndex message: model_copy(update=)", public_li_message, ("ErnieAIML",), ("stream", "bulk")),
    "2": ("json scan_once", public_json, ("ernie_aiml core", "ChatErnieAIML", "ErnieAIML"), ("stream", "bulk")),
    "3": ("headers.raw decoding", public_headers, ("ernie_aiml core", "ChatErnieAIML", "ErnieAIML"), ("call",)),
    "4": ("request header diff", public_request_headers, ("ernie_aiml core", "ChatErnieAIML", "ErnieAIML"), ("call", "stream")),
    "4a": ("per-kind header cache", public_header_build, ("ernie_aiml core", "ChatErnieAIML", "ErnieAIML"), ("call",)),
    "5": ("Delta positional", public_delta, ("ernie_aiml core", "ChatErnieAIML", "ErnieAIML"), ("stream", "bulk")),
    "6": ("__pydantic_private__", public_private_attr, ("ChatErnieAIML", "ErnieAIML"), ("call", "stream")),
    "replaced": ("3+4+4a+6 together", public_replaced, ("ernie_aiml core", "ChatErnieAIML", "ErnieAIML"), ("call", "stream", "bulk")),
}  # fmt: skip


def main() -> None:
    """Measure the chosen items; print a table and one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--items", nargs="*", default=list(ITEMS))
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--target", type=float, default=0.1, help="CPU s per batch")
    parser.add_argument("--n", type=int, default=500)
    args = parser.parse_args()
    server, port = start_server(sys.executable)
    base = f"http://127.0.0.1:{port}"
    urls = {"event": f"{base}/event/n{args.n}/v1", "bulk": f"{base}/bulk/n{args.n}/v1"}
    events = payloads.stream_event_count(args.n)
    try:
        clients: dict[tuple[str, str], Any] = {}
        for name in ("ernie_aiml core", "ChatErnieAIML", "ErnieAIML"):
            for framing, url in urls.items():
                clients[name, framing] = CLIENTS[name]()
                clients[name, framing].setup(url)
        expected = {
            "call": payloads.expected_content(50),
            "stream": payloads.expected_content(args.n),
        }
        results: dict[str, Any] = {}
        for item in args.items:
            what, public, names, metrics = ITEMS[item]
            series = []
            for name in names:
                for metric in metrics:
                    client = clients[name, "bulk" if metric == "bulk" else "event"]
                    fn = client.call if metric == "call" else client.stream
                    units = 1 if metric == "call" else events
                    key = "call" if metric == "call" else "stream"
                    try:
                        undo = public()
                    except Exception as exc:  # the code it swaps moved
                        results[item] = {"what": what, "error": f"n/a ({exc!r})"}
                        break
                    try:
                        assert fn() == expected[key], f"{item} public: wrong text"
                    finally:
                        undo()
                    assert fn() == expected[key]
                    count = _calibrate(fn, args.target, 1, 50000)
                    series.append((f"{name} {metric}", fn, count, units))
            if item in results:
                continue
            samples: dict[str, dict[str, list[float]]] = {
                s[0]: {"as is": [], "public": []} for s in series
            }
            gc.collect()
            gc.freeze()
            for round_ in range(args.rounds):
                order = ("as is", "public") if round_ % 2 == 0 else ("public", "as is")
                for variant in order:
                    undo = public() if variant == "public" else (lambda: None)
                    try:
                        for label, fn, count, units in series:
                            cpu, _ = _batch_cpu(fn, count)
                            samples[label][variant].append(cpu / (count * units) * 1e6)
                    finally:
                        undo()
            gc.unfreeze()
            rows = {}
            print(f"\n{item}. {what}  ({args.rounds} rounds, median µs; spread = IQR/median)")
            for label, by in samples.items():
                a, p = statistics.median(by["as is"]), statistics.median(by["public"])
                spread = {k: (_iqr(v) / statistics.median(v)) for k, v in by.items()}
                rows[label] = {
                    "as_is": a,
                    "public": p,
                    "change": p / a - 1,
                    "spread": spread,
                    "samples": by,
                }
                print(
                    f"  {label:<28} as is {a:9.2f}  public {p:9.2f}  public/as-is {p / a - 1:+7.1%}"
                    f"  (spread {spread['as is']:.1%} / {spread['public']:.1%})"
                )
            results[item] = {"what": what, "rows": rows}
        for item, entry in results.items():
            if "error" in entry:
                print(f"\n{item}. {entry['what']}: {entry['error']}")
        print(json.dumps(results))
    finally:
        server.terminate()
        server.wait(timeout=10)


def _iqr(values: list[float]) -> float:
    if len(values) < 4:
        return max(values) - min(values)
    q = statistics.quantiles(values, n=4)
    return q[2] - q[0]


if __name__ == "__main__":
    main()
