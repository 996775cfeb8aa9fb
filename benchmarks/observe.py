"""What budget and tracing cost per call, off and on (µs per call, best of 7 batches).

The hooks the transport runs per chat call are `start_call` (budget check, span start) and
`call_completed` (usage into tallies, span end). Off means no `track_usage()` block and no
OpenTelemetry provider: then `start_call` is one `sys.modules` lookup (OpenTelemetry not
imported) or one provider lookup (imported, no provider set). The last rows time a whole
`AIMLClient.chat` on an in-process `httpx.MockTransport`, off and with a tracer provider.

Usage: `.venv/bin/python benchmarks/observe.py` (needs the `otel` and `test` extras for the
"on" rows; the "off" rows are timed before OpenTelemetry is imported).
"""

from __future__ import annotations

import json
import sys

import ernie_aiml
import httpx
from ernie_aiml import AIMLClient, Message, build_chat_request, track_usage
from ernie_aiml._observe.hooks import call_completed, start_call
from ernie_aiml._observe.tally import record_usage
from ernie_aiml._wire.response import parse_completion
from micro import best_us

MODEL = "baidu/ernie-4.5-vl-424b-a47b"
BODY = build_chat_request(MODEL, [Message(role="user", content="Hi")])
ANSWER = {
    "id": "cmpl-1",
    "model": MODEL,
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "Hello"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 4, "completion_tokens": 6, "total_tokens": 10},
    "meta": {"usage": {"credits_used": 16}},
}
COMPLETION = parse_completion(ANSWER)


def _client() -> AIMLClient:
    raw = json.dumps(ANSWER).encode()
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=raw))
    return AIMLClient(
        api_key="sk-bench",
        base_url="http://127.0.0.1:9/v1",
        http_client=httpx.Client(transport=transport),
    )


def _hooks_row(label: str, rows: list[tuple[str, float]]) -> None:
    call = _client()._prepare("POST", "/chat/completions", None, "application/json", None, None)

    def hooks() -> None:
        call.observer = start_call(call.url, BODY)
        call_completed(call.observer, COMPLETION)

    rows.append((label, best_us(hooks)))


def main() -> None:
    """Print the table."""
    rows: list[tuple[str, float]] = []
    assert "opentelemetry" not in sys.modules
    rows.append(
        (
            "before: record_usage() alone (what the transport did)",
            best_us(lambda: record_usage(None)),
        )
    )
    _hooks_row("off, OpenTelemetry not imported: start_call + call_completed", rows)
    with track_usage():
        _hooks_row("track_usage() block, no limits, no OpenTelemetry: hooks", rows)
    with track_usage(max_credits=1e12):
        _hooks_row("track_usage(max_credits=...) block, no OpenTelemetry: hooks", rows)
    client = _client()
    rows.append(
        ("off: AIMLClient.chat, mock transport (whole call)", best_us(lambda: client.chat(BODY)))
    )
    try:
        from opentelemetry.sdk.trace import TracerProvider
    except ImportError:
        TracerProvider = None
    _hooks_row("off, OpenTelemetry imported, no provider set: hooks", rows)
    rows.append(
        (
            "off, OpenTelemetry imported: AIMLClient.chat (whole call)",
            best_us(lambda: client.chat(BODY)),
        )
    )
    if TracerProvider is not None:
        ernie_aiml.configure_telemetry(tracer_provider=TracerProvider())
        _hooks_row("on, SDK tracer provider (no exporter): hooks incl. span", rows)
        rows.append(
            ("on: AIMLClient.chat, mock transport (whole call)", best_us(lambda: client.chat(BODY)))
        )
        ernie_aiml.configure_telemetry()
    for label, value in rows:
        print(f"  {value:8.2f} µs  {label}")


if __name__ == "__main__":
    main()
