"""The offline token estimate: its error on real answers, and the emulator counting alike."""

from __future__ import annotations

from typing import Any

import pytest
from ernie_aiml import (
    AIMLClient,
    Message,
    TextPart,
    ToolCall,
    build_chat_request,
    count_request_tokens,
    count_tokens,
)
from ernie_aiml.integration import (
    ChatSettings,
    count_prompt_tokens,
    normalize_tool,
    text_message_tokens,
    tokenize,
)
from support import load_fixture

PAIRS = load_fixture("token_counts.json")["pairs"]
TOOL = {"type": "function", "function": {"name": "get_weather", "parameters": {}}}


def test_the_estimate_on_real_answers() -> None:
    """The figures `docs/core-api.md` reports: mean error 1.7%, largest 4.0%."""
    estimates = [count_tokens(p["text"]) for p in PAIRS]
    assert estimates == [492, 398, 591, 432, 250, 278, 336, 9]
    assert [p["tokens"] for p in PAIRS] == [495, 386, 598, 450, 248, 278, 323, 9]
    errors = [abs(e - p["tokens"]) / p["tokens"] for e, p in zip(estimates, PAIRS, strict=True)]
    assert round(sum(errors) / len(errors), 3) == 0.017
    assert round(max(errors), 3) == 0.04


def test_the_docs_prompt_with_its_template() -> None:
    # 13 prompt_tokens on ernie-x1.1, x1-turbo and 5.0-thinking-preview (tests/fixtures/seeds)
    messages = [{"role": "user", "content": "Hi! What do you think about mankind?"}]
    assert count_request_tokens(messages) == 13


@pytest.mark.parametrize(
    ("text", "tokens"),
    [
        ("", 0),
        ("Hello, world!", 4),
        ("internationalization", 2),  # 20 letters: two spans of 10
        ("2026", 4),  # digits one by one
        ("a\n\nb", 3),
        ("**bold**", 3),
        ("今天天气很好\uff0c我们去公园散步吧。", 11),  # 6 and 8 ideographs at 0.6, two stops
        ("Mixed 中文 text", 4),
    ],
)
def test_pieces_are_priced_by_kind(text: str, tokens: int) -> None:
    assert count_tokens(text) == tokens
    assert len(tokenize(text)) == tokens


def test_chinese_pieces_keep_their_order() -> None:
    assert tokenize("你好\uff0c世界。Hi") == ["你", "好", "\uff0c", "世", "界", "。", "Hi"]


HISTORY = [
    Message("system", "You are terse."),
    Message("user", [TextPart("Look at this", {"type": "ephemeral"}), TextPart(" and that")]),
    Message(
        "assistant",
        "",
        tool_calls=[ToolCall("call_1", "get_weather", {"city": "Paris"})],
        reasoning="The user wants the weather.",
    ),
    Message("tool", "Sunny, 21°C", tool_call_id="call_1"),
    Message("user", "Thanks! 谢谢", name="ana"),
]


@pytest.mark.parametrize("preserve", [False, True])
def test_the_emulator_reports_what_the_client_counts(emulator: Any, preserve: bool) -> None:
    settings = ChatSettings("baidu/ernie-5.0", preserve_reasoning_in_history=preserve)
    expected = count_prompt_tokens(settings, HISTORY, [TOOL])
    body = build_chat_request(
        "baidu/ernie-5.0", HISTORY, tools=[TOOL], preserve_reasoning_in_history=preserve
    )
    with AIMLClient(api_key="test-key", base_url=emulator.base_url) as client:
        usage = client.chat(body).usage
    assert usage is not None and usage.prompt_tokens == expected
    assert expected == (83 if preserve else 77)


def test_the_plain_text_path_agrees_with_the_built_body() -> None:
    settings = ChatSettings("baidu/ernie-5.0")
    plain = [Message("user", "Hi there", name="bo"), Message("system", "Be brief.")]
    built = count_prompt_tokens(settings, plain)
    fast = text_message_tokens(["Hi there", "Be brief."], ["bo"])
    assert count_prompt_tokens(settings, [], text_tokens=fast) == built
    assert count_prompt_tokens(settings, []) == 0
    assert count_prompt_tokens(settings, [], [TOOL]) == count_request_tokens(
        [], [normalize_tool(TOOL)]
    )
