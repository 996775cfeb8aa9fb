"""Bad input fails before any request, with an error naming the parameter and its range.

Every generation parameter just outside its range (and its boundaries, which must pass),
wrong types, unknown roles, empty message lists, unrepresentable tool schemas (a recursive
`$ref`) and images to a model without vision: through the core (`build_chat_request`,
`validate_params`) and both adapters (constructor and per-call). The emulator must have
received nothing.
"""

from __future__ import annotations

import base64
from typing import Any

import ernie_aiml
import pytest
from ernie_aiml import Message, ParameterError, build_chat_request, image_part
from ernie_aiml._wire.params import validate_params
from ernie_aiml.emulator import Emulator
from hardening_support import MODEL, Sleeps, lc_model, li_messages, li_model
from pydantic import BaseModel

NO_VISION = "baidu/ernie-x1-1-preview"  # in the catalog, without vision
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32

# parameter, value just out of range, words the message must contain
OUT_OF_RANGE: list[tuple[str, Any, tuple[str, ...]]] = [
    ("temperature", -0.01, ("temperature", "0", "2")),
    ("temperature", 2.01, ("temperature", "0", "2")),
    ("temperature", float("nan"), ("temperature", "0", "2")),
    ("temperature", float("inf"), ("temperature", "0", "2")),
    ("top_p", 0.0, ("top_p", "0.01", "1")),
    ("top_p", 0.009, ("top_p", "0.01", "1")),
    ("top_p", 1.01, ("top_p", "0.01", "1")),
    ("seed", 0, ("seed", ">= 1")),
    ("seed", -5, ("seed", ">= 1")),
    ("max_tokens", 0, ("max_tokens", ">= 1")),
    ("max_tokens", -1, ("max_tokens", ">= 1")),
    ("frequency_penalty", -2.01, ("frequency_penalty", "-2", "2")),
    ("frequency_penalty", 2.01, ("frequency_penalty", "-2", "2")),
    ("presence_penalty", -2.01, ("presence_penalty", "-2", "2")),
    ("presence_penalty", 2.5, ("presence_penalty", "-2", "2")),
    ("thinking_budget", 99, ("thinking_budget", ">= 100")),
    ("thinking_budget", 0, ("thinking_budget", ">= 100")),
    ("stop", ["a", "b", "c", "d", "e"], ("stop", "4")),
    ("stop", "", ("stop",)),
    ("stop", ["ok", ""], ("stop",)),
]
BOUNDARIES: list[tuple[str, Any]] = [
    ("temperature", 0),
    ("temperature", 2),
    ("top_p", 0.01),
    ("top_p", 1),
    ("seed", 1),
    ("max_tokens", 1),
    ("frequency_penalty", -2),
    ("frequency_penalty", 2),
    ("presence_penalty", -2),
    ("presence_penalty", 2),
    ("thinking_budget", 100),
    ("stop", ["a", "b", "c", "d"]),
    ("stop", "END"),
]
WRONG_TYPES: list[tuple[str, Any]] = [
    ("temperature", "hot"),
    ("temperature", True),
    ("top_p", "0.5"),
    ("max_tokens", 1.5),
    ("max_tokens", "10"),
    ("seed", "1"),
    ("seed", True),
    ("stop", 5),
    ("stop", [1, 2]),
    ("enable_thinking", "yes"),
    ("enable_thinking", 1),
    ("thinking_budget", 150.0),
    ("frequency_penalty", [0]),
]


def _ids(cases: list[Any]) -> list[str | None]:
    return [None if hasattr(c, "marks") else f"{c[0]}={c[1]!r}" for c in cases]


def _message_ok(error: BaseException, words: tuple[str, ...], value: Any) -> None:
    text = str(error)
    for word in words:
        assert word in text, (word, text)
    assert "got" in text  # the value given is shown


@pytest.mark.parametrize(("name", "value", "words"), OUT_OF_RANGE, ids=_ids(OUT_OF_RANGE))
def test_out_of_range_everywhere_before_any_request(
    emulator: Emulator, name: str, value: Any, words: tuple[str, ...]
) -> None:
    from langchain_core.messages import HumanMessage

    with pytest.raises(ParameterError) as core:
        build_chat_request(MODEL, [Message("user", "hi")], params={name: value})
    _message_ok(core.value, words, value)
    with pytest.raises(ParameterError) as lc_init:
        lc_model(emulator, Sleeps(), **{name: value})
    _message_ok(lc_init.value, words, value)
    with pytest.raises(ParameterError) as lc_call:
        lc_model(emulator, Sleeps()).invoke([HumanMessage("hi")], **{name: value})
    _message_ok(lc_call.value, words, value)
    with pytest.raises(ParameterError) as li_init:
        li_model(emulator, Sleeps(), **{name: value})
    _message_ok(li_init.value, words, value)
    with pytest.raises(ParameterError) as li_call:
        li_model(emulator, Sleeps()).chat(li_messages(), **{name: value})
    _message_ok(li_call.value, words, value)
    assert emulator.requests == []


@pytest.mark.parametrize(("name", "value"), BOUNDARIES, ids=_ids(BOUNDARIES))
def test_boundaries_are_accepted(emulator: Emulator, name: str, value: Any) -> None:
    assert validate_params(MODEL, **{name: value})[name] == value
    lc_model(emulator, Sleeps(), **{name: value})
    li_model(emulator, Sleeps(), **{name: value})
    assert emulator.requests == []


@pytest.mark.parametrize(("name", "value"), WRONG_TYPES, ids=_ids(WRONG_TYPES))
def test_wrong_types_core_and_llama_index(emulator: Emulator, name: str, value: Any) -> None:
    with pytest.raises(ParameterError, match=name):
        validate_params(MODEL, **{name: value})
    with pytest.raises(ParameterError, match=name):
        li_model(emulator, Sleeps(), **{name: value})
    with pytest.raises(ParameterError, match=name):
        li_model(emulator, Sleeps()).chat(li_messages(), **{name: value})
    assert emulator.requests == []


@pytest.mark.parametrize(("name", "value"), WRONG_TYPES, ids=_ids(WRONG_TYPES))
def test_wrong_types_langchain_per_call(emulator: Emulator, name: str, value: Any) -> None:
    with pytest.raises(ParameterError, match=name):
        lc_model(emulator, Sleeps()).invoke("hi", **{name: value})
    assert emulator.requests == []


@pytest.mark.parametrize(("name", "value"), WRONG_TYPES, ids=_ids(WRONG_TYPES))
def test_wrong_types_langchain_constructor(emulator: Emulator, name: str, value: Any) -> None:
    with pytest.raises(ParameterError, match=name):
        lc_model(emulator, Sleeps(), **{name: value})


# ------------------------------------------------------------------ messages


def test_empty_message_list_everywhere(emulator: Emulator) -> None:
    with pytest.raises(ParameterError, match="messages"):
        build_chat_request(MODEL, [])
    with pytest.raises(ParameterError, match="messages"):
        lc_model(emulator, Sleeps()).invoke([])
    with pytest.raises(ParameterError, match="messages"):
        li_model(emulator, Sleeps()).chat([])
    assert emulator.requests == []


def test_unknown_role_everywhere(emulator: Emulator) -> None:
    from langchain_core.messages import ChatMessage as LCChatMessage
    from llama_index.core.base.llms.types import ChatMessage as LIChatMessage

    with pytest.raises(ParameterError, match="wizard"):
        build_chat_request(MODEL, [Message("wizard", "hi")])  # type: ignore[arg-type]
    with pytest.raises(ParameterError, match="wizard"):
        lc_model(emulator, Sleeps()).invoke([LCChatMessage(role="wizard", content="hi")])
    with pytest.raises(ValueError, match="role"):  # LlamaIndex cannot even build one
        LIChatMessage(role="wizard", content="hi")
    assert emulator.requests == []


# ------------------------------------------------------------------ tools


class Node(BaseModel):
    """A tree node: its schema refers to itself."""

    name: str
    children: list[Node] = []


class WalkArgs(BaseModel):
    """Arguments of `walk`."""

    root: Node


def walk(root: Node) -> str:
    """Walk a tree."""
    return root.name


RECURSIVE = {
    "type": "function",
    "function": {
        "name": "walk",
        "parameters": {
            "type": "object",
            "properties": {"root": {"$ref": "#/$defs/Node"}},
            "$defs": {
                "Node": {
                    "type": "object",
                    "properties": {
                        "children": {"type": "array", "items": {"$ref": "#/$defs/Node"}}
                    },
                }
            },
        },
    },
}


def test_recursive_tool_schema_everywhere(emulator: Emulator) -> None:
    from llama_index.core.tools import FunctionTool

    with pytest.raises(ParameterError, match=r"(?i)recursive"):
        build_chat_request(MODEL, [Message("user", "hi")], tools=[RECURSIVE])
    with pytest.raises(ParameterError, match=r"(?i)recursive"):
        lc_model(emulator, Sleeps()).bind_tools([RECURSIVE])
    with pytest.raises(ParameterError, match=r"(?i)recursive"):
        li_model(emulator, Sleeps()).chat_with_tools(
            [FunctionTool.from_defaults(walk, fn_schema=WalkArgs)], "hi"
        )
    assert emulator.requests == []


def test_tool_without_a_name_and_unknown_tool_choice(emulator: Emulator) -> None:
    with pytest.raises(ParameterError, match="name"):
        build_chat_request(
            MODEL, [Message("user", "hi")], tools=[{"type": "function", "function": {}}]
        )
    tool = {"type": "function", "function": {"name": "get_weather"}}
    with pytest.raises(ParameterError, match="get_weather"):
        lc_model(emulator, Sleeps()).bind_tools([tool], tool_choice="get_wether")
    assert emulator.requests == []


# ------------------------------------------------------------------ images


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@pytest.mark.filterwarnings("ignore::UserWarning")
def test_image_to_a_model_without_vision_everywhere(emulator: Emulator) -> None:
    from langchain_core.messages import HumanMessage
    from llama_index.core.base.llms.types import ChatMessage, ImageBlock, TextBlock

    image = image_part(data=PNG)
    with pytest.raises(ParameterError, match=r"vision|image") as core:
        build_chat_request(NO_VISION, [Message("user", [image])])
    assert NO_VISION in str(core.value)
    url = "data:image/png;base64," + base64.b64encode(PNG).decode()
    lc_message = HumanMessage(
        content=[
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": url}},
        ]
    )
    with pytest.raises(ParameterError, match=NO_VISION):
        lc_model(emulator, Sleeps(), model=NO_VISION).invoke([lc_message])
    li_message = ChatMessage(
        role="user", blocks=[TextBlock(text="what is this?"), ImageBlock(image=PNG)]
    )
    with pytest.raises(ParameterError, match=NO_VISION):
        li_model(emulator, Sleeps(), model=NO_VISION).chat([li_message])
    assert emulator.requests == []


def test_an_image_that_is_not_an_image(emulator: Emulator) -> None:
    with pytest.raises(ParameterError):
        image_part(data=b"GIF? no, plain text")
    assert emulator.requests == []


def test_bad_client_settings_fail_before_any_request(emulator: Emulator) -> None:
    from ernie_aiml import AIMLClient, RetryPolicy

    with pytest.raises(ParameterError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    client = AIMLClient(api_key="k", base_url=emulator.base_url)
    with pytest.raises(ParameterError, match="client_request_id"):
        client.chat(
            {"model": MODEL, "messages": [{"role": "user", "content": "hi"}]},
            client_request_id="a b",
        )
    with pytest.raises(ernie_aiml.MissingAPIKeyError):
        AIMLClient(base_url=emulator.base_url).chat({"model": MODEL, "messages": []})
    assert emulator.requests == []
