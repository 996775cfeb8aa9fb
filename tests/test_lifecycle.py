"""Both adapters alike: one request path, one client per instance, copies, closing, pickling.

Each test runs on `ChatErnieAIML` and on `ErnieAIML` and asserts the same outcome, so the
two adapters cannot drift apart on what the core decides.
"""

from __future__ import annotations

import contextlib
import copy
import pickle
import threading
from typing import Any

import ernie_aiml
import httpx
import pytest
from ernie_aiml import integration
from ernie_aiml._transport import owner
from ernie_aiml.emulator import Emulator, JSONReply, completion_body
from llama_index.core.base.llms.types import ChatMessage

from langchain_ernie_aiml import ChatErnieAIML
from llama_index_ernie_aiml import ErnieAIML

KEY = "sk-aiml-lifecycle-0123456789"
ADAPTERS = [ChatErnieAIML, ErnieAIML]
IDS = ["langchain", "llama_index"]


def make(cls: type, emu: Emulator | None = None, **kwargs: Any) -> Any:
    """An adapter instance with the test key (on the emulator when given)."""
    kwargs.setdefault("api_key", KEY)
    if emu is not None:
        kwargs.setdefault("base_url", emu.base_url)
    return cls(**kwargs)


def ask(llm: Any, text: str = "hi") -> str:
    """One non-streamed call through either adapter; the answer text."""
    if isinstance(llm, ChatErnieAIML):
        return str(llm.invoke(text).content)
    return str(llm.chat([ChatMessage(role="user", content=text)]).message.content)


async def aask(llm: Any, text: str = "hi") -> str:
    """Async `ask`."""
    if isinstance(llm, ChatErnieAIML):
        return str((await llm.ainvoke(text)).content)
    return str((await llm.achat([ChatMessage(role="user", content=text)])).message.content)


def stream_text(llm: Any, text: str = "hi") -> str:
    """One streamed call through either adapter; the answer text."""
    if isinstance(llm, ChatErnieAIML):
        return "".join(str(chunk.content) for chunk in llm.stream(text))
    responses = list(llm.stream_chat([ChatMessage(role="user", content=text)]))
    return str(responses[-1].message.content)


def extra_field_name(cls: type) -> str:
    """The free-form request fields of each framework: same meaning, framework's own name."""
    return "model_kwargs" if cls is ChatErnieAIML else "additional_kwargs"


# ------------------------------------------------------------------ one request path


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_extra_fields_are_validated_like_fields(cls: type) -> None:
    field = extra_field_name(cls)
    with pytest.raises(
        ernie_aiml.ParameterError, match=r"temperature must be between 0 and 2 \(got 9\)"
    ):
        make(cls, **{field: {"temperature": 9}})


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_thinking_switch_in_extra_fields_refused_for_a_model_without_one(cls: type) -> None:
    field = extra_field_name(cls)
    with pytest.raises(
        ernie_aiml.ParameterError,
        match=r"enable_thinking not supported by baidu/ernie-4.5-vl-424b-a47b",
    ):
        make(cls, model="baidu/ernie-4.5-vl-424b-a47b", **{field: {"enable_thinking": True}})


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_same_settings_same_body(cls: type, emulator: Emulator) -> None:
    field = extra_field_name(cls)
    llm = make(
        cls,
        emulator,
        model="baidu/ernie-5.0",
        temperature=0.3,
        **{field: {"top_p": 0.5, "provider": "baidu"}},
    )
    ask(llm, "Hello")
    assert emulator.chat_requests[0].json == {
        "model": "baidu/ernie-5.0",
        "messages": [{"role": "user", "content": "Hello"}],
        "temperature": 0.3,
        "top_p": 0.5,
        "provider": "baidu",
    }


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_per_call_options_override_instance_settings(cls: type, emulator: Emulator) -> None:
    llm = make(cls, emulator, temperature=0.3)
    if cls is ChatErnieAIML:
        llm.invoke("Hello", temperature=0.9, extra_body={"provider": "baidu"})
    else:
        llm.chat(
            [ChatMessage(role="user", content="Hello")],
            temperature=0.9,
            extra_body={"provider": "baidu"},
        )
    body = emulator.chat_requests[0].json
    assert (body["temperature"], body["provider"]) == (0.9, "baidu")


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
@pytest.mark.parametrize(
    "timeout", [12.5, httpx.Timeout(3.0, read=45.0)], ids=["seconds", "httpx.Timeout"]
)
def test_timeout_is_a_number_or_an_httpx_timeout(cls: type, timeout: Any) -> None:
    llm = make(cls, timeout=timeout)
    expected = timeout if isinstance(timeout, httpx.Timeout) else None
    client_timeout = llm.aiml_client.timeout
    if expected is not None:
        assert client_timeout == expected
    else:
        assert client_timeout.read == 12.5


# ------------------------------------------------------------------ one client per instance


def _race_for_the_client(cls: type, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Eight threads ask one new instance for its client at once; the clients they got.

    The builder waits at a two-party barrier: a second thread inside the builder at the
    same time meets it there and both build (what the lock prevents). Alone in the builder,
    a thread waits out the barrier's timeout (no assertion on time) and builds once.
    """
    llm = make(cls)
    inside = threading.Barrier(2, timeout=0.5)
    original = cls._build_client

    def build(self: Any) -> Any:
        with contextlib.suppress(threading.BrokenBarrierError):
            inside.wait()
        return original(self)

    monkeypatch.setattr(cls, "_build_client", build)
    seen: list[Any] = []
    start = threading.Barrier(8)

    def grab() -> None:
        start.wait()
        seen.append(llm.aiml_client)

    threads = [threading.Thread(target=grab) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    llm.close()
    for client in seen:
        client.close()
    return seen


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_one_client_per_instance_even_when_threads_race(
    cls: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen = _race_for_the_client(cls, monkeypatch)
    assert len(seen) == 8
    assert all(client is seen[0] for client in seen)


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_the_race_is_seen_without_the_build_lock(
    cls: type, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The test above can fail: with the lock taken out, two threads build a client."""
    monkeypatch.setattr(owner, "_BUILD_LOCK", contextlib.nullcontext())
    seen = _race_for_the_client(cls, monkeypatch)
    assert len({id(client) for client in seen}) >= 2


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_model_copy_with_a_new_base_url_talks_to_the_new_server(cls: type) -> None:
    with Emulator() as first, Emulator() as second:
        llm = make(cls, first)
        ask(llm)
        moved = llm.model_copy(update={"base_url": second.base_url})
        ask(moved)
        ask(llm)
        assert (len(first.chat_requests), len(second.chat_requests)) == (2, 1)
        assert moved.aiml_client is not llm.aiml_client
        assert moved.aiml_client.base_url == second.base_url


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_model_copy_with_a_new_key_sends_the_new_key(cls: type, emulator: Emulator) -> None:
    llm = make(cls, emulator)
    ask(llm)
    other = llm.model_copy(update={"api_key": ernie_aiml_secret("sk-aiml-other-key-987654")})
    ask(other)
    auth = [r.headers["authorization"] for r in emulator.chat_requests]
    assert auth == [f"Bearer {KEY}", "Bearer sk-aiml-other-key-987654"]


def ernie_aiml_secret(value: str) -> Any:
    """A pydantic SecretStr (both adapters type `api_key` so)."""
    from pydantic import SecretStr

    return SecretStr(value)


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
@pytest.mark.parametrize("used", [False, True], ids=["fresh", "after-a-call"])
def test_deepcopy_gives_an_independent_working_model(
    cls: type, used: bool, emulator: Emulator
) -> None:
    llm = make(cls, emulator)
    if used:
        ask(llm)
    twin = copy.deepcopy(llm)
    assert ask(twin, "Hello") == ask(llm, "Hello")
    assert twin.aiml_client is not llm.aiml_client
    assert twin.api_key.get_secret_value() == KEY


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_deepcopy_shares_a_callers_http_client(cls: type, emulator: Emulator) -> None:
    with httpx.Client() as http:
        llm = make(cls, emulator, http_client=http)
        ask(llm)
        twin = copy.deepcopy(llm)
        assert twin.http_client is http
        ask(twin)
        assert len(emulator.chat_requests) == 2


# ------------------------------------------------------------------ closing


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_close_closes_the_owned_sync_client_and_a_later_call_reopens(
    cls: type, emulator: Emulator
) -> None:
    llm = make(cls, emulator)
    ask(llm)
    http = llm.aiml_client._sender.sync_client()
    llm.close()
    assert http.is_closed
    ask(llm)
    assert llm.aiml_client._sender.sync_client() is not http
    llm.close()


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_context_manager_closes(cls: type, emulator: Emulator) -> None:
    with make(cls, emulator) as llm:
        ask(llm)
        http = llm.aiml_client._sender.sync_client()
    assert http.is_closed


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
async def test_aclose_closes_the_async_client_of_this_loop(cls: type, emulator: Emulator) -> None:
    async with make(cls, emulator) as llm:
        await aask(llm)
        http = llm.aiml_client._sender.async_client()
    assert http.is_closed


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
async def test_sync_close_inside_a_loop_closes_the_async_client_too(
    cls: type, emulator: Emulator
) -> None:
    llm = make(cls, emulator)
    await aask(llm)
    http = llm.aiml_client._sender.async_client()
    llm.close()
    for _ in range(3):  # the close is scheduled on this loop
        await __import__("asyncio").sleep(0)
    assert http.is_closed


def test_async_client_closed_when_its_event_loop_shuts_down(emulator: Emulator) -> None:
    import asyncio

    llm = make(ErnieAIML, emulator)
    clients: list[httpx.AsyncClient] = []

    async def run() -> None:
        await aask(llm)
        clients.append(llm.aiml_client._sender.async_client())

    asyncio.run(run())
    asyncio.run(run())
    assert len(clients) == 2 and clients[0] is not clients[1]
    assert all(client.is_closed for client in clients)


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_caller_clients_are_never_closed(cls: type, emulator: Emulator) -> None:
    with httpx.Client() as http:
        llm = make(cls, emulator, http_client=http)
        ask(llm)
        llm.close()
        assert not http.is_closed


# ------------------------------------------------------------------ pickling


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_pickle_drops_a_callers_http_client_with_a_warning_and_rebuilds(
    cls: type, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    with httpx.Client() as http:
        llm = make(cls, emulator, http_client=http)
        with pytest.warns(RuntimeWarning, match=r"pickled without its http_client"):
            data = pickle.dumps(llm)
    assert KEY.encode() not in data
    assert llm.http_client is http  # the live instance keeps it
    monkeypatch.setenv("AIML_API_KEY", KEY)
    again = pickle.loads(data)
    assert again.http_client is None
    assert ask(again, "Hello") == ask(make(cls, emulator), "Hello")


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_pickle_round_trip_streams(
    cls: type, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = make(cls, emulator)
    stream_text(llm)
    monkeypatch.setenv("AIML_API_KEY", KEY)
    again = pickle.loads(pickle.dumps(llm))
    assert stream_text(again, "Hello") == stream_text(llm, "Hello")


# ------------------------------------------------------------------ fallback in the core


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
@pytest.mark.parametrize("streamed", [False, True], ids=["chat", "stream"])
def test_refused_forced_tool_choice_is_retried_once_by_the_core(
    cls: type, streamed: bool, emulator: Emulator
) -> None:
    from ernie_aiml.emulator import ErrorReply

    refusal = "Thinking mode does not support tool_choice 'required'"
    emulator.enqueue(
        ErrorReply(400, refusal),
        JSONReply(completion_body(content="ok", model="baidu/ernie-5.0")),
    )
    llm = make(cls, emulator, model="baidu/ernie-5.0")
    tool = {
        "type": "function",
        "function": {"name": "add", "parameters": {"type": "object", "properties": {}}},
    }
    body = integration.chat_request(
        integration.ChatSettings("baidu/ernie-5.0"),
        [ernie_aiml.Message(role="user", content="add")],
        stream=False,
        options={"tools": [tool], "tool_choice": "required"},
    )
    client = llm.aiml_client
    if streamed:
        emulator.clear()
        emulator.enqueue(ErrorReply(400, refusal))
        with client.stream(body) as stream:
            deltas = list(stream)
        label = stream.tool_choice_fallback
        assert [d.finish_reason for d in deltas if d.finish_reason] == ["tool_calls"]
    else:
        completion = client.chat(body)
        label = completion.tool_choice_fallback
        assert completion.content == "ok"
    sent = [r.json for r in emulator.chat_requests]
    assert label == "enable_thinking=false"
    assert [b.get("enable_thinking") for b in sent] == [None, False]
    assert [b["tool_choice"] for b in sent] == ["required", "required"]


def test_finished_event_loops_are_not_kept(emulator: Emulator) -> None:
    import asyncio
    import gc
    import weakref

    llm = make(ErnieAIML, emulator)
    loops: list[weakref.ref[asyncio.AbstractEventLoop]] = []

    async def run() -> None:
        loops.append(weakref.ref(asyncio.get_running_loop()))
        await aask(llm)

    for _ in range(5):
        asyncio.run(run())
    gc.collect()
    assert [ref() for ref in loops] == [None] * 5  # each loop, and its client, is gone
    assert llm.aiml_client._sender._made == []


@pytest.mark.parametrize("cls", ADAPTERS, ids=IDS)
def test_a_parameter_given_twice_is_refused_alike(cls: type) -> None:
    field = extra_field_name(cls)
    with pytest.raises(ernie_aiml.ParameterError) as info:
        make(cls, temperature=0.2, **{field: {"temperature": 0.9}})
    assert str(info.value) == (
        "temperature is given twice, as a field and in the extra request fields "
        "(model_kwargs / additional_kwargs): pass it once"
    )
