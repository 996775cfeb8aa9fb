"""The key never leaks: repr, str, exceptions, DEBUG logs, serialised forms, pickle,
instrumentation payloads; never sent over plain http to a remote host; never to a redirect.

A distinctive fake key is used everywhere; every surface is searched for it as text.
Remote hosts are only ever `httpx.MockTransport` handlers (through `support.mock_transport`),
never a real address.
"""

from __future__ import annotations

import logging
import pickle
from typing import Any

import ernie_aiml
import httpx
import pytest
from ernie_aiml import AIMLClient
from ernie_aiml.emulator import Emulator, ErrorReply, JSONReply, SSEReply
from hardening_support import (
    BODY,
    EVENTS,
    KEY,
    Sleeps,
    all_text,
    core_client,
    lc_model,
    li_messages,
    li_model,
)
from support import mock_transport

LOGGERS = ("ernie_aiml", "httpx", "httpcore", "langchain_ernie_aiml", "llama_index_ernie_aiml")


# ------------------------------------------------------------------ repr, str, serialised


def test_core_client_and_streams_never_show_the_key(emulator: Emulator) -> None:
    client = core_client(emulator, Sleeps())
    stream = client.stream(BODY)
    for text in (repr(client), str(client), repr(stream), str(stream), repr(stream._call)):
        assert KEY not in text


def test_langchain_model_never_shows_the_key(emulator: Emulator) -> None:
    from langchain_core.load import dumpd, dumps

    llm = lc_model(emulator, Sleeps())
    serialised = dumpd(llm)
    assert serialised["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["AIML_API_KEY"]}
    for text in (
        repr(llm),
        str(llm),
        dumps(llm),
        repr(serialised),
        str(llm.model_dump()),
        llm.model_dump_json(),
        repr(llm._identifying_params),
        repr(llm._get_ls_params()),
    ):
        assert KEY not in text


def test_llama_index_model_never_shows_the_key(emulator: Emulator) -> None:
    llm = li_model(emulator, Sleeps())
    for text in (
        repr(llm),
        str(llm),
        llm.to_json(),
        repr(llm.to_dict()),
        str(llm.model_dump()),
        llm.model_dump_json(),
        repr(llm.metadata),
    ):
        assert KEY not in text


# ------------------------------------------------------------------ pickle

OTHER_KEY = "sk-aiml-OTHER-from-env-42"


def _use(llm: Any) -> None:
    """One call through either adapter."""
    if hasattr(llm, "invoke"):
        llm.invoke("hi")
    else:
        llm.chat(li_messages())


@pytest.mark.parametrize("make", [lc_model, li_model], ids=["langchain", "llama_index"])
def test_pickle_after_use_holds_no_key_and_reloads_it_from_the_environment(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, make: Any
) -> None:
    llm = make(emulator, Sleeps())
    _use(llm)
    data = pickle.dumps(llm)
    assert KEY.encode() not in data
    monkeypatch.setenv("AIML_API_KEY", OTHER_KEY)
    again = pickle.loads(data)
    assert again.api_key.get_secret_value() == OTHER_KEY
    assert llm.api_key.get_secret_value() == KEY  # the pickled instance is untouched
    _use(again)
    auth = [r.headers["authorization"] for r in emulator.chat_requests]
    assert auth == [f"Bearer {KEY}", f"Bearer {OTHER_KEY}"]


def test_errors_pickle_without_the_key(emulator: Emulator) -> None:
    emulator.enqueue(ErrorReply(401, f"Invalid key {KEY}: rejected"))
    with pytest.raises(ernie_aiml.AuthenticationError) as caught:
        core_client(emulator, Sleeps()).chat(BODY)
    data = pickle.dumps(caught.value)
    assert KEY.encode() not in data
    again = pickle.loads(data)
    assert type(again) is ernie_aiml.AuthenticationError
    assert again.request_id == caught.value.request_id and again.status_code == 401


# ------------------------------------------------------------------ exceptions


ECHOES: list[tuple[str, Any, type]] = [
    ("401-flat", ErrorReply(401, f"Invalid key {KEY}"), ernie_aiml.AuthenticationError),
    (
        "500-openai",
        JSONReply({"error": {"message": f"k={KEY}"}}, status=500),
        ernie_aiml.ServerError,
    ),
    (
        "bad-json-event",
        SSEReply([EVENTS[0], f"data: oops {KEY}\n\n"]),
        ernie_aiml.ResponseParseError,
    ),
]
ECHO_BUGS: list[tuple[str, Any, type]] = [
    ("200-error-object", JSONReply({"error": {"message": f"bad key {KEY}"}}), ernie_aiml.AIMLError),
    (
        "200-flat-error",
        JSONReply({"message": f"bad {KEY}", "statusCode": "401"}),
        ernie_aiml.AIMLError,
    ),
    (
        "stream-error-object",
        SSEReply([EVENTS[0], {"error": {"message": f"bad {KEY}"}}]),
        ernie_aiml.StreamError,
    ),
    (
        "stream-flat-error",
        SSEReply([EVENTS[0], {"message": f"bad {KEY}", "statusCode": "401"}]),
        ernie_aiml.StreamError,
    ),
]


def _echo(emulator: Emulator, reply: Any, cls: type) -> BaseException:
    emulator.enqueue(reply)
    client = core_client(emulator, Sleeps(), max_retries=0)
    with pytest.raises(cls) as caught:
        if isinstance(reply, SSEReply):
            list(client.stream(BODY))
        else:
            client.chat(BODY)
    return caught.value


@pytest.mark.parametrize(("name", "reply", "cls"), ECHOES, ids=[e[0] for e in ECHOES])
def test_server_echo_of_the_key_is_scrubbed(
    emulator: Emulator, name: str, reply: Any, cls: type
) -> None:
    error = _echo(emulator, reply, cls)
    assert KEY not in all_text(error)
    assert "***" in all_text(error)


@pytest.mark.parametrize(("name", "reply", "cls"), ECHO_BUGS, ids=[e[0] for e in ECHO_BUGS])
def test_server_echo_in_2xx_or_stream_errors_is_scrubbed(
    emulator: Emulator, name: str, reply: Any, cls: type
) -> None:
    assert KEY not in all_text(_echo(emulator, reply, cls))


@pytest.mark.parametrize("surface", ["langchain", "llama_index"])
def test_adapter_errors_never_show_the_key(emulator: Emulator, surface: str) -> None:
    emulator.enqueue(ErrorReply(403, f"Key {KEY} is out of credits"))
    with pytest.raises(ernie_aiml.PermissionDeniedError) as caught:
        if surface == "langchain":
            lc_model(emulator, Sleeps()).invoke("hi")
        else:
            li_model(emulator, Sleeps()).chat(li_messages())
    assert KEY not in all_text(caught.value)


def test_connection_and_timeout_errors_never_show_the_key(emulator: Emulator) -> None:
    from ernie_aiml.emulator import DropConnection, Hang

    emulator.enqueue(DropConnection(), Hang())
    client = core_client(emulator, Sleeps(), max_retries=0, timeout=httpx.Timeout(5, read=0.2))
    for cls in (ernie_aiml.APIConnectionError, ernie_aiml.APITimeoutError):
        with pytest.raises(cls) as caught:
            client.chat(BODY)
        assert KEY not in all_text(caught.value)


# ------------------------------------------------------------------ logs


def test_debug_logs_never_show_the_key(
    emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    """httpcore at DEBUG logs response headers and `<Request [b'POST']>`, never request headers."""
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG)
    client = core_client(emulator, Sleeps())
    emulator.enqueue(ErrorReply(503, f"busy {KEY}", headers={"retry-after": "0"}))
    client.chat(BODY)
    list(client.stream(BODY))
    lc_model(emulator, Sleeps()).invoke("hi")
    li_model(emulator, Sleeps()).chat(li_messages())
    text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)
    assert len(caplog.records) > 20  # DEBUG really was on for httpcore/httpx/ernie_aiml
    assert {r.name.split(".")[0] for r in caplog.records} >= {"ernie_aiml", "httpx", "httpcore"}
    assert KEY not in text
    assert "authorization" not in text.lower()


# ------------------------------------------------------------------ instrumentation


def test_langchain_callbacks_never_see_the_key(emulator: Emulator) -> None:
    from langchain_core.callbacks import BaseCallbackHandler

    seen: list[str] = []

    class Spy(BaseCallbackHandler):
        def on_chat_model_start(self, serialized: Any, messages: Any, **kwargs: Any) -> None:
            seen.append(repr((serialized, messages, kwargs)))

        def on_llm_new_token(self, token: str, **kwargs: Any) -> None:
            seen.append(repr((token, kwargs)))

        def on_llm_end(self, response: Any, **kwargs: Any) -> None:
            seen.append(repr((response, kwargs)))

        def on_llm_error(self, error: BaseException, **kwargs: Any) -> None:
            seen.append(all_text(error) + repr(kwargs))

    llm = lc_model(emulator, Sleeps(), max_retries=0)
    llm.invoke("hi", config={"callbacks": [Spy()]})
    list(llm.stream("hi", config={"callbacks": [Spy()]}))
    emulator.enqueue(ErrorReply(401, f"bad {KEY}"))
    with pytest.raises(ernie_aiml.AuthenticationError):
        llm.invoke("hi", config={"callbacks": [Spy()]})
    assert len(seen) > 4
    assert "AIML_API_KEY" in "".join(seen)  # the serialized form names the secret, not its value
    assert KEY not in "".join(seen)


def test_llama_index_instrumentation_never_sees_the_key(emulator: Emulator) -> None:
    from llama_index.core.instrumentation import get_dispatcher
    from llama_index.core.instrumentation.event_handlers import BaseEventHandler

    seen: list[str] = []

    class Spy(BaseEventHandler):
        @classmethod
        def class_name(cls) -> str:
            return "Spy"

        def handle(self, event: Any, **kwargs: Any) -> None:
            seen.append(repr(event) + event.model_dump_json() + repr(event.model_dump()))

    root = get_dispatcher()
    spy = Spy()
    root.add_event_handler(spy)
    try:
        llm = li_model(emulator, Sleeps(), max_retries=0)
        llm.chat(li_messages())
        list(llm.stream_chat(li_messages()))
        llm.complete("hi")
        emulator.enqueue(ErrorReply(401, f"bad {KEY}"))
        with pytest.raises(ernie_aiml.AuthenticationError):
            llm.chat(li_messages())
    finally:
        root.event_handlers.remove(spy)
    assert len(seen) > 4
    assert KEY not in "".join(seen)


# ------------------------------------------------------------------ where the key may go


def _recorder() -> tuple[list[httpx.Request], Any]:
    requests: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        if request.url.host == "aiml.example.com":
            return httpx.Response(
                307, headers={"location": "https://evil.example.net/v1/chat/completions"}
            )
        return httpx.Response(200, json={"choices": [{"message": {"content": "stolen"}}]})

    return requests, mock_transport(handler)


@pytest.mark.parametrize(
    "url", ["http://aiml.example.com/v1", "http://10.0.0.8:8000/v1", "http://example.net"]
)
def test_never_plain_http_to_a_remote_host(url: str) -> None:
    from langchain_ernie_aiml import ChatErnieAIML
    from llama_index_ernie_aiml import ErnieAIML

    requests, transport = _recorder()
    http = httpx.Client(transport=transport)
    with pytest.raises(ernie_aiml.InsecureTransportError) as caught:
        AIMLClient(api_key=KEY, base_url=url, http_client=http).chat(BODY)
    assert KEY not in all_text(caught.value)
    with pytest.raises(ernie_aiml.InsecureTransportError):
        ChatErnieAIML(api_key=KEY, base_url=url, http_client=http).invoke("hi")
    with pytest.raises(ernie_aiml.InsecureTransportError):
        ErnieAIML(api_key=KEY, base_url=url, http_client=http).chat(li_messages())
    assert requests == []


def test_explicit_opt_in_is_the_only_way_to_plain_http() -> None:
    requests, transport = _recorder()
    client = AIMLClient(
        api_key=KEY,
        base_url="http://gateway.internal.example/v1",
        http_client=httpx.Client(transport=transport),
        allow_insecure_http=True,
    )
    assert client.chat(BODY).content == "stolen"
    assert len(requests) == 1


@pytest.mark.parametrize("follow", [False, True], ids=["client-default", "client-follows"])
def test_redirects_never_carry_the_key(follow: bool) -> None:
    """Even a caller-supplied client set to follow redirects: one request, then an error."""
    requests, transport = _recorder()
    http = httpx.Client(transport=transport, follow_redirects=follow)
    client = AIMLClient(api_key=KEY, base_url="https://aiml.example.com/v1", http_client=http)
    with pytest.raises(ernie_aiml.APIStatusError) as caught:
        client.chat(BODY)
    assert "307" in str(caught.value) and "evil.example.net" in str(caught.value)
    assert [r.url.host for r in requests] == ["aiml.example.com"]
    assert requests[0].headers["authorization"] == f"Bearer {KEY}"


async def test_async_redirects_never_carry_the_key() -> None:
    requests, transport = _recorder()
    http = httpx.AsyncClient(transport=transport, follow_redirects=True)
    client = AIMLClient(api_key=KEY, base_url="https://aiml.example.com/v1", http_async_client=http)
    with pytest.raises(ernie_aiml.APIStatusError):
        await client.achat(BODY)
    with pytest.raises(ernie_aiml.APIStatusError):
        async for _ in client.astream(BODY):
            pass
    assert [r.url.host for r in requests] == ["aiml.example.com", "aiml.example.com"]


def test_emulator_redirect_to_another_host_is_not_followed(emulator: Emulator) -> None:
    emulator.enqueue(
        JSONReply({}, status=307, headers={"location": "http://127.0.0.2:9/v1/chat/completions"})
    )
    with pytest.raises(ernie_aiml.APIStatusError) as caught:
        core_client(emulator, Sleeps()).chat(BODY)
    assert caught.value.status_code == 307
    assert len(emulator.requests) == 1
