"""Prompt caching (`cache_control`): exact wire bodies, refusals, and the emulator's cache."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from ernie_aiml import (
    AIMLClient,
    FilePart,
    ImagePart,
    Message,
    ParameterError,
    TextPart,
    build_chat_request,
    list_catalog,
    track_usage,
)
from ernie_aiml._tokens import count_request_tokens
from ernie_aiml.emulator import model_specs
from ernie_aiml.integration import mark_last_tool, normalize_tool
from support import OTel

FIVE = "baidu/ernie-5.0"
MARK = {"type": "ephemeral"}
HOUR = {"type": "ephemeral", "ttl": "1h"}
PNG_URL = "https://example.com/cat.png"
PDF_B64 = "JVBERi0xLjQKJWZha2UK"  # "%PDF-1.4\n%fake\n"
LONG = "Answer from the handbook only. " * 60
TOOL = {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}


def test_marked_parts_of_every_role_on_the_wire() -> None:
    body = build_chat_request(
        FIVE,
        [
            Message("system", [TextPart(LONG, MARK)]),
            Message("developer", [TextPart("Be brief.", HOUR)]),
            Message("user", [TextPart("Hi", MARK)]),
            Message("assistant", [TextPart("Hello", MARK)]),
            Message("user", "What is in the handbook?"),
        ],
    )
    assert body["messages"] == [
        {"role": "system", "content": [{"type": "text", "text": LONG, "cache_control": MARK}]},
        {
            "role": "developer",
            "content": [{"type": "text", "text": "Be brief.", "cache_control": HOUR}],
        },
        {"role": "user", "content": [{"type": "text", "text": "Hi", "cache_control": MARK}]},
        {
            "role": "assistant",
            "content": [{"type": "text", "text": "Hello", "cache_control": MARK}],
        },
        {"role": "user", "content": "What is in the handbook?"},
    ]


def test_unmarked_text_stays_a_plain_string() -> None:
    body = build_chat_request(
        FIVE, [Message("system", [TextPart("a"), TextPart("b")]), Message("user", [TextPart("c")])]
    )
    assert body["messages"] == [
        {"role": "system", "content": "ab"},
        {"role": "user", "content": "c"},
    ]


def test_tool_result_marked_and_image_and_file_parts() -> None:
    body = build_chat_request(
        FIVE,
        [
            Message(
                "user",
                [
                    ImagePart(url=PNG_URL, cache_control=MARK),
                    FilePart(base64=PDF_B64, filename="a.pdf", cache_control=HOUR),
                    TextPart("Compare them"),
                ],
            ),
            Message("tool", [TextPart("42", MARK)], tool_call_id="call_0"),
        ],
    )
    assert body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "image_url", "image_url": {"url": PNG_URL}, "cache_control": MARK},
                {
                    "type": "file",
                    "file": {
                        "file_data": f"data:application/pdf;base64,{PDF_B64}",
                        "filename": "a.pdf",
                    },
                    "cache_control": HOUR,
                },
                {"type": "text", "text": "Compare them"},
            ],
        },
        {
            "role": "tool",
            "content": [{"type": "text", "text": "42", "cache_control": MARK}],
            "tool_call_id": "call_0",
        },
    ]


def test_tools_carry_their_mark() -> None:
    marked = mark_last_tool([TOOL, {**TOOL, "function": {"name": "other"}}], HOUR)
    body = build_chat_request(FIVE, [Message("user", "Hi")], tools=marked)
    assert body["tools"] == [
        {"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}},
        {
            "type": "function",
            "function": {"name": "other", "parameters": {"type": "object", "properties": {}}},
            "cache_control": HOUR,
        },
    ]
    assert normalize_tool({**TOOL, "cache_control": MARK})["cache_control"] == MARK
    assert mark_last_tool([TOOL], None) == [TOOL]


@pytest.mark.parametrize(
    "model", ["baidu/ernie-4.5-vl-424b-a47b", "baidu/ernie-4.5-21b-a3b", "ernie-x1-turbo-32k"]
)
def test_a_model_without_caching_is_refused_naming_the_ones_with_it(model: str) -> None:
    name = model if model.startswith("baidu/") else f"baidu/{model}"
    expected = (
        rf"messages\[0\]: {name} does not take cache_control \(prompt caching\); "
        r"models that do: baidu/ernie-5\.0"
    )
    with pytest.raises(ParameterError, match=expected):
        build_chat_request(model, [Message("user", [TextPart("Hi", MARK)])])
    with pytest.raises(ParameterError, match=r"tools\[0\]: .* does not take cache_control"):
        build_chat_request(model, [Message("user", "Hi")], tools=[{**TOOL, "cache_control": MARK}])


@pytest.mark.parametrize(
    ("mark", "message"),
    [
        ({"type": "ephemeral", "ttl": "2h"}, "cache_control ttl must be '5m' or '1h' (got '2h')"),
        ({"type": "persistent"}, "cache_control type must be 'ephemeral' (got 'persistent')"),
        ({"ttl": "5m"}, "cache_control type must be 'ephemeral' (got None)"),
        (
            {"type": "ephemeral", "scope": "x"},
            "cache_control takes only 'type' and 'ttl' (got scope)",
        ),
        (
            "ephemeral",
            "cache_control must be a dict such as {'type': 'ephemeral'} (got 'ephemeral')",
        ),
    ],
)
def test_bad_marks_are_refused(mark: Any, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        build_chat_request(FIVE, [Message("user", [TextPart("Hi", mark)])])
    assert str(info.value) == f"messages[0]: {message}"
    with pytest.raises(ParameterError, match="tools: cache_control"):
        mark_last_tool([TOOL], mark)


def test_an_unknown_model_gets_format_checks_only() -> None:
    with pytest.warns(UserWarning, match="not an ERNIE model this package knows"):
        body = build_chat_request("baidu/ernie-6.0-test", [Message("user", [TextPart("x", MARK)])])
    assert body["messages"][0]["content"] == [{"type": "text", "text": "x", "cache_control": MARK}]


def test_the_catalog_capability_is_the_specs() -> None:
    specs = model_specs()
    assert {m.id: m.prompt_caching for m in list_catalog()} == {
        model: spec.prompt_caching for model, spec in specs.items()
    }
    assert [m for m, spec in specs.items() if spec.prompt_caching] == [FIVE]


# ------------------------------------------------------------------ the emulator's cache


def _client(emulator: Any) -> AIMLClient:
    return AIMLClient(api_key="test-key", base_url=emulator.base_url, max_retries=0)


def _history(question: str) -> list[Message]:
    return [Message("system", [TextPart(LONG, MARK)]), Message("user", question)]


#: The prompt tokens of `_history`'s marked prefix: the template and the system message.
PREFIX = count_request_tokens([{"role": "system", "content": [{"type": "text", "text": LONG}]}])


def test_a_repeated_marked_prefix_is_read_from_the_cache(emulator: Any) -> None:
    client = _client(emulator)
    first = client.chat(build_chat_request(FIVE, _history("Hi")))
    second = client.chat(build_chat_request(FIVE, _history("And what else?")))
    prefix = PREFIX
    assert first.usage is not None and second.usage is not None
    assert (first.usage.cached_tokens, second.usage.cached_tokens) == (0, prefix)
    assert second.raw["usage"]["prompt_tokens_details"] == {"cached_tokens": prefix}
    # Documented rule: a cached prompt token costs a tenth of a credit (rounded up).
    fresh = second.usage.prompt_tokens - prefix
    assert second.credits_used == fresh + -(-prefix // 10) + 2 * second.usage.completion_tokens
    client.close()


def test_without_a_mark_nothing_is_cached(emulator: Any) -> None:
    client = _client(emulator)
    body = build_chat_request(FIVE, [Message("system", LONG), Message("user", "Hi")])
    client.chat(body)
    again = client.chat(body)
    assert again.usage is not None and again.usage.cached_tokens is None
    assert "prompt_tokens_details" not in again.raw["usage"]
    client.close()


def test_the_cache_expires_with_its_ttl(emulator: Any) -> None:
    now = [1000.0]
    emulator.prompt_cache.clock = lambda: now[0]
    client = _client(emulator)
    body = build_chat_request(FIVE, _history("Hi"))
    client.chat(body)
    now[0] += 299
    assert client.chat(body).usage.cached_tokens > 0  # type: ignore[union-attr]
    now[0] += 301  # five minutes after the last use: gone
    assert client.chat(body).usage.cached_tokens == 0  # type: ignore[union-attr]
    hour = [Message("system", [TextPart(LONG, HOUR)]), Message("user", "Hi")]
    client.chat(build_chat_request(FIVE, hour))
    now[0] += 3599
    assert client.chat(build_chat_request(FIVE, hour)).usage.cached_tokens > 0  # type: ignore[union-attr]
    client.close()


def test_a_changed_prefix_or_model_misses(emulator: Any) -> None:
    client = _client(emulator)
    client.chat(build_chat_request(FIVE, _history("Hi")))
    other = [Message("system", [TextPart(LONG + "!", MARK)]), Message("user", "Hi")]
    assert client.chat(build_chat_request(FIVE, other)).usage.cached_tokens == 0  # type: ignore[union-attr]
    client.close()


def test_tools_are_the_first_prefix(emulator: Any) -> None:
    client = _client(emulator)
    tools = mark_last_tool([TOOL], MARK)
    client.chat(build_chat_request(FIVE, [Message("user", "Hi")], tools=tools))
    again = client.chat(build_chat_request(FIVE, [Message("user", "Bye")], tools=tools))
    wire_tool = normalize_tool(TOOL)
    assert again.usage is not None
    assert again.usage.cached_tokens == count_request_tokens([], [wire_tool])
    client.close()


def test_a_stream_reports_cached_tokens(emulator: Any) -> None:
    client = _client(emulator)
    client.chat(build_chat_request(FIVE, _history("Hi")))
    with client.stream(build_chat_request(FIVE, _history("Hi"), stream=True)) as stream:
        usages = [d.usage for d in stream if d.usage is not None]
    assert [u.cached_tokens for u in usages] == [PREFIX]
    client.close()


def test_tallies_and_spans_count_cache_reads(emulator: Any, otel: OTel) -> None:
    client = _client(emulator)
    with track_usage() as tally:
        client.chat(build_chat_request(FIVE, _history("Hi")))
        second = client.chat(build_chat_request(FIVE, _history("Hi")))
    assert second.usage is not None
    assert tally.cached_tokens == second.usage.cached_tokens == PREFIX
    attributes = [s.attributes.get("gen_ai.usage.cache_read.input_tokens") for s in otel.spans]
    assert attributes == [0, second.usage.cached_tokens]
    client.close()


@pytest.mark.invalid_body
def test_the_emulator_holds_marks_to_the_spec(emulator: Any) -> None:
    bad = {
        "model": FIVE,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": "x",
                        "cache_control": {"type": "ephemeral", "ttl": "2h"},
                    }
                ],
            }
        ],
    }
    response = httpx.post(
        f"{emulator.base_url}/chat/completions",
        headers={"Authorization": "Bearer test-key"},
        content=json.dumps(bad),
    )
    assert response.status_code == 400
    assert "messages.0.content" in response.json()["message"]
