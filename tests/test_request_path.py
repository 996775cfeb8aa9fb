"""Nothing reaches the wire unvalidated: the extra-fields dicts and bad settings, alike in
both adapters and the core (issue 16 §1, issue 21's bad parameters).

Request-path keys given in `model_kwargs` / `additional_kwargs` / `extra_body` / per-call
kwargs are routed through the first-class parameter's normaliser (exact body on the
emulator's wire) or refused with a `ParameterError` before any request.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import ernie_aiml
import httpx
import pytest
from ernie_aiml import AIMLClient, ParameterError, integration
from ernie_aiml.emulator import Emulator
from ernie_aiml.integration import ChatSettings
from llama_index.core.base.llms.types import ChatMessage

from langchain_ernie_aiml import ChatErnieAIML
from llama_index_ernie_aiml import ErnieAIML

KEY = "sk-aiml-reqpath-0123456789"
ADAPTERS = [ChatErnieAIML, ErnieAIML]
IDS = ["langchain", "llama_index"]
MODEL = "baidu/ernie-5.0"
PROMPT = [{"role": "user", "content": "Hello"}]

#: langchain-openai's habit: a pydantic schema with `$defs`, `title` and `strict`.
RAW_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "City",
        "strict": True,
        "schema": {
            "title": "City",
            "type": "object",
            "$defs": {"Name": {"title": "Name", "type": "string"}},
            "properties": {"name": {"$ref": "#/$defs/Name"}},
            "required": ["name"],
        },
    },
}
CLEAN_FORMAT = {
    "type": "json_schema",
    "json_schema": {
        "name": "City",
        "schema": {
            "type": "object",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
        },
    },
}


def extra_name(cls: type) -> str:
    """Each framework's free-form request fields: same meaning, its own name."""
    return "model_kwargs" if cls is ChatErnieAIML else "additional_kwargs"


def make(cls: type, emu: Emulator | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("api_key", KEY)
    if emu is not None:
        kwargs.setdefault("base_url", emu.base_url)
    return cls(**kwargs)


def ask(llm: Any, **options: Any) -> None:
    """One non-streamed call with per-call `options`."""
    if isinstance(llm, ChatErnieAIML):
        llm.invoke("Hello", **options)
    else:
        llm.chat([ChatMessage(role="user", content="Hello")], **options)


def stream(llm: Any, **options: Any) -> None:
    """One streamed call with per-call `options`, read to the end."""
    if isinstance(llm, ChatErnieAIML):
        list(llm.stream("Hello", **options))
    else:
        list(llm.stream_chat([ChatMessage(role="user", content="Hello")], **options))


# ------------------------------------------------------------------ the three inputs


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_messages_in_the_extra_fields_is_refused_before_any_request(
    cls: type, emulator: Emulator
) -> None:
    field = extra_name(cls)
    with pytest.raises(ParameterError) as info:
        make(cls, emulator, **{field: {"messages": []}})
    assert str(info.value).startswith(f"{field}['messages'] is not accepted: the conversation")
    assert emulator.requests == []


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_response_format_in_the_extra_fields_is_cleaned_like_the_parameter(
    cls: type, emulator: Emulator
) -> None:
    given = {"response_format": RAW_FORMAT}
    before = copy.deepcopy(given)
    llm = make(cls, emulator, **{extra_name(cls): given})
    ask(llm)
    assert emulator.chat_requests[0].json == {
        "model": MODEL,
        "messages": PROMPT,
        "response_format": CLEAN_FORMAT,
    }
    assert given == before  # the caller's dict is never changed


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_stream_in_the_extra_fields_is_refused_not_dropped(cls: type, emulator: Emulator) -> None:
    field = extra_name(cls)
    with pytest.raises(ParameterError, match=rf"^{field}\['stream'\] is not accepted: the call"):
        make(cls, emulator, **{field: {"stream": True}})
    assert emulator.requests == []


# ------------------------------------------------------------------ every source alike


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
@pytest.mark.parametrize("key", ["messages", "stream", "model"])
def test_request_path_keys_in_extra_body_and_call_kwargs_are_refused(
    cls: type, key: str, emulator: Emulator
) -> None:
    llm = make(cls, emulator)
    with pytest.raises(ParameterError, match=rf"^extra_body\['{key}'\] is not accepted"):
        ask(llm, extra_body={key: [] if key == "messages" else "x"})
    if key == "messages":  # both frameworks refuse `messages=` themselves; the core too
        with pytest.raises(ParameterError, match=r"^call kwargs\['messages'\] is not accepted"):
            integration.chat_request(
                llm._settings(),
                [ernie_aiml.Message("user", "hi")],
                stream=False,
                options={"messages": []},
            )
    if cls is ChatErnieAIML:
        with pytest.raises(ParameterError, match=rf"^extra_body\['{key}'\]"):
            make(cls, emulator, extra_body={key: "x"})
    assert emulator.requests == []


def test_a_stream_option_against_the_call_is_refused(emulator: Emulator) -> None:
    llm = make(ErnieAIML, emulator)
    with pytest.raises(ParameterError, match=r"^stream=True given to a non-streaming call"):
        ask(llm, stream=True)
    assert emulator.requests == []


def test_langchains_own_stream_option_picks_the_streaming_path(emulator: Emulator) -> None:
    """In LangChain `stream=` is the framework's switch: it agrees with the call it makes."""
    make(ChatErnieAIML, emulator).invoke("Hello", stream=True)
    assert emulator.chat_requests[0].json["stream"] is True


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_response_format_in_a_calls_extra_body_is_cleaned(cls: type, emulator: Emulator) -> None:
    ask(make(cls, emulator), extra_body={"response_format": RAW_FORMAT})
    assert emulator.chat_requests[0].json["response_format"] == CLEAN_FORMAT


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_stream_options_become_stream_usage(cls: type, emulator: Emulator) -> None:
    llm = make(cls, emulator, **{extra_name(cls): {"stream_options": {"include_usage": False}}})
    stream(llm)
    assert emulator.chat_requests[0].json == {"model": MODEL, "messages": PROMPT, "stream": True}
    with pytest.raises(ParameterError, match=r"stream_options'\] takes only"):
        make(cls, **{extra_name(cls): {"stream_options": {"include_usage": "yes"}}})


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_tools_in_the_extra_fields_are_normalised(cls: type, emulator: Emulator) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "strict": True,
            "parameters": {"title": "Args", "type": "object", "properties": {}},
        },
    }
    llm = make(cls, emulator, **{extra_name(cls): {"tools": [tool], "tool_choice": "any"}})
    ask(llm)
    body = emulator.chat_requests[0].json
    assert body["tools"] == [
        {
            "type": "function",
            "function": {"name": "lookup", "parameters": {"type": "object", "properties": {}}},
        }
    ]
    assert body["tool_choice"] == "required"


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
@pytest.mark.parametrize("key", ["api_key", "timeout", "max_retries"])
def test_constructor_arguments_in_the_extra_fields_are_refused(cls: type, key: str) -> None:
    field = extra_name(cls)
    with pytest.raises(ParameterError) as info:
        make(cls, **{field: {key: "value"}})
    assert str(info.value) == (
        f"{field}[{key!r}] is not accepted: {key} is a constructor argument; "
        f"pass {key}=... directly"
    )
    assert "value" not in str(info.value)


@pytest.mark.unlisted_keys
@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_other_extra_fields_go_to_the_wire_as_given(cls: type, emulator: Emulator) -> None:
    given = {"provider": "baidu", "x_trace": {"a": 1}}
    ask(make(cls, emulator, **{extra_name(cls): given}), extra_body={"x_call": 2})
    assert emulator.chat_requests[0].json == {
        "model": MODEL,
        "messages": PROMPT,
        "provider": "baidu",
        "x_trace": {"a": 1},
        "x_call": 2,
    }


# ------------------------------------------------------------------ constructor arguments


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_a_misspelled_argument_is_refused_naming_the_closest(cls: type) -> None:
    with pytest.raises(ParameterError) as info:
        make(cls, tempreature=0.5)
    assert str(info.value) == (
        f"tempreature is not a parameter of {cls.__name__}: did you mean temperature? "
        f"(to send tempreature as a request field, put it in {extra_name(cls)})"
    )


@pytest.mark.unlisted_keys
@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_an_unknown_argument_warns_and_is_sent(cls: type, emulator: Emulator) -> None:
    given = {"x_flag": True}
    with pytest.warns(UserWarning, match=r"^x_trace_id is not a parameter of") as caught:
        llm = make(cls, emulator, x_trace_id="t-1", **{extra_name(cls): given})
    assert caught[0].filename == __file__  # points at the user's line
    assert given == {"x_flag": True}  # moved into a new dict, the caller's unchanged
    ask(llm)
    assert emulator.chat_requests[0].json == {
        "model": MODEL,
        "messages": PROMPT,
        "x_flag": True,
        "x_trace_id": "t-1",
    }


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_a_known_request_parameter_as_an_argument_is_checked_quietly(
    cls: type, emulator: Emulator
) -> None:
    ask(make(cls, emulator, provider="baidu"))
    assert emulator.chat_requests[0].json["provider"] == "baidu"
    with pytest.raises(ParameterError, match=r"provider must be a non-empty string"):
        make(cls, provider="")


# ------------------------------------------------------------------ same mistake, same error

#: parameter -> bad values; every one refused by both adapters and the core alike.
BAD_VALUES: dict[str, list[Any]] = {
    "temperature": [3.5, -0.1, "hot", True, float("nan")],
    "top_p": [0, 1.5, "x"],
    "max_tokens": [0, 1.5, "10", True],
    "stop": ["", ["a", "b", "c", "d", "e"], [1]],
    "seed": [0, "1", 1.0],
    "frequency_penalty": [2.5, -3, "0"],
    "presence_penalty": [-2.5, 3, "0"],
    "enable_thinking": ["yes", 1, 0],
    "thinking_budget": [99, 0, "200"],
    "timeout": [-1, 0, "5", True, float("inf"), httpx.Timeout(5.0, connect=-1)],
    "max_retries": [-1, "2", True, 1.5],
    "base_url": [
        "127.0.0.1:8765/v1",
        "localhost:8765/v1",
        "ftp://example.com/v1",
        "https://",
        "http://127.0.0.1:8765/v1\ud800",
    ],
    "deadline": [-1, 0, "60", True, float("nan"), float("inf")],
}
CASES = [(name, value) for name, values in BAD_VALUES.items() for value in values]
CLIENT_PARAMS = frozenset({"timeout", "max_retries", "base_url", "deadline"})


def _core(name: str, value: Any) -> None:
    """The core's own entry for the parameter: the client's, or the request path's."""
    if name in CLIENT_PARAMS:
        AIMLClient(api_key=KEY, **{name: value})
    else:
        ChatSettings(MODEL, {name: value}).check()


def _raised(build: Callable[[], Any]) -> BaseException:
    try:
        build()
    except BaseException as exc:
        return exc
    raise AssertionError("no error")


@pytest.mark.parametrize(("name", "value"), CASES, ids=[f"{n}={v!r}" for n, v in CASES])
def test_the_same_bad_value_gets_the_same_error_everywhere(name: str, value: Any) -> None:
    errors = {
        "core": _raised(lambda: _core(name, value)),
        "langchain": _raised(lambda: make(ChatErnieAIML, **{name: value})),
        "llama_index": _raised(lambda: make(ErnieAIML, **{name: value})),
    }
    for where, error in errors.items():
        assert type(error) is ParameterError, (where, error)
        assert name in str(error), (where, error)
    assert len({str(error) for error in errors.values()}) == 1, errors


@pytest.mark.parametrize(
    ("name", "value"),
    [(n, v) for n, v in CASES if n not in CLIENT_PARAMS],
    ids=[f"{n}={v!r}" for n, v in CASES if n not in CLIENT_PARAMS],
)
def test_a_bad_parameter_in_the_extra_fields_or_a_call_is_refused_alike(
    name: str, value: Any, emulator: Emulator
) -> None:
    messages = set()
    for cls in ADAPTERS:
        with pytest.raises(ParameterError) as in_extra:
            make(cls, **{extra_name(cls): {name: value}})
        with pytest.raises(ParameterError) as in_call:
            ask(make(cls, emulator), **{name: value})
        messages |= {str(in_extra.value), str(in_call.value)}
    assert len(messages) == 1 and name in messages.pop()
    assert emulator.requests == []


def test_the_base_url_message_says_what_to_write() -> None:
    with pytest.raises(ParameterError) as info:
        AIMLClient(api_key=KEY, base_url="127.0.0.1:8765/v1")
    assert str(info.value) == (
        "base_url '127.0.0.1:8765/v1' is not a URL the key can be sent to: it needs https:// "
        f"(or http:// for a loopback address), e.g. {ernie_aiml.DEFAULT_BASE_URL} or "
        "http://127.0.0.1:8765/v1"
    )


def test_a_base_url_from_the_environment_is_named_as_such(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AIML_API_BASE", "localhost:8765/v1")
    with pytest.raises(ParameterError, match=r"^AIML_API_BASE 'localhost:8765/v1' .* https://"):
        AIMLClient(api_key=KEY)


@pytest.mark.parametrize("timeout", [-1, 0])
def test_a_per_call_timeout_is_checked_before_sending(timeout: float, emulator: Emulator) -> None:
    with AIMLClient(api_key=KEY, base_url=emulator.base_url) as client:
        body = {"model": MODEL, "messages": PROMPT}
        with pytest.raises(ParameterError, match=r"^timeout must be a number of seconds > 0"):
            client.chat(body, timeout=timeout)
    assert emulator.requests == []


def test_the_cli_sends_what_the_adapters_send(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One request path: the CLI's body is LangChain's body for the same settings."""
    monkeypatch.setenv("AIML_API_KEY", KEY)
    import argparse
    import io

    from ernie_aiml_cli import chat

    args = argparse.Namespace(
        prompt=["Hello"], model=MODEL, no_thinking=False, thinking_budget=300, max_credits=None
    )

    def factory() -> AIMLClient:
        return AIMLClient(api_key=KEY, base_url=emulator.base_url)

    assert chat.run(args, stdout=io.StringIO(), client_factory=factory) == 0
    stream(make(ChatErnieAIML, emulator, thinking_budget=300))
    cli_body, lc_body = (r.json for r in emulator.chat_requests)
    assert (
        cli_body
        == lc_body
        == {
            "model": MODEL,
            "messages": PROMPT,
            "thinking_budget": 300,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
    )


def test_ernie_aiml_exports_the_helpers() -> None:
    assert ernie_aiml.DEFAULT_MAX_RETRIES == 2
    assert ernie_aiml.RetryPolicy().max_retries == ernie_aiml.DEFAULT_MAX_RETRIES
    assert ChatErnieAIML(api_key=KEY).max_retries == ErnieAIML(api_key=KEY).max_retries == 2
