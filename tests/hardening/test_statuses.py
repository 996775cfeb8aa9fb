"""Every documented AIML error status → the right typed error, everywhere, retried exactly.

For each status the emulator answers with AIML's own flat body (`statusCode` a string) and
`Retry-After: 3`. Through the core (chat, achat, stream, astream) and both adapters (sync,
async, stream, astream) the error must be the typed class (LangChain: the
`langchain_core.exceptions` class *and* the core class), carry the server's message and
request id, and the emulator must have seen exactly `max_retries + 1` attempts for
429/5xx and exactly 1 for 400/401/403/404, with every wait equal to the `Retry-After`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import ernie_aiml
import pytest
from ernie_aiml.emulator import Emulator, ErrorReply, JSONReply, error_body
from hardening_support import BODY, Sleeps, core_client, lc_model, li_messages, li_model
from langchain_core import exceptions as lc

# status, AIML's documented message (aiml-wire §7), core class, LangChain class, retried
STATUSES: list[tuple[int, str, type, type, bool]] = [
    (
        400,
        "Body validation error: Invalid enum value. Expected 'user' | 'assistant', received 'bot'",
        ernie_aiml.BadRequestError,
        lc.ModelInvalidRequestError,
        False,
    ),
    (
        401,
        "This request requires a valid API key. Please provide it in the Authorization header.",
        ernie_aiml.AuthenticationError,
        lc.ModelAuthenticationError,
        False,
    ),
    (
        403,
        "You've run out of credits. Please top up your balance to continue.",
        ernie_aiml.PermissionDeniedError,
        lc.ModelPermissionDeniedError,
        False,
    ),
    (
        404,
        "Cannot POST /v1/chat/completion",
        ernie_aiml.NotFoundError,
        lc.ModelNotFoundError,
        False,
    ),
    (429, "Too Many Requests", ernie_aiml.RateLimitError, lc.ModelRateLimitError, True),
    (500, "Internal server error", ernie_aiml.ServerError, lc.ModelAPIError, True),
    (502, "Bad Gateway", ernie_aiml.ServerError, lc.ModelAPIError, True),
    (503, "Service unavailable", ernie_aiml.ServerError, lc.ModelAPIError, True),
    (504, "Generation timeout", ernie_aiml.ServerError, lc.ModelAPIError, True),
]
MAX_RETRIES = 2
RETRY_AFTER = 3.0

Call = Callable[[Emulator, Sleeps], Awaitable[Any]]


async def _core_chat(emu: Emulator, sleeps: Sleeps) -> Any:
    return core_client(emu, sleeps, MAX_RETRIES).chat(BODY)


async def _core_achat(emu: Emulator, sleeps: Sleeps) -> Any:
    return await core_client(emu, sleeps, MAX_RETRIES).achat(BODY)


async def _core_stream(emu: Emulator, sleeps: Sleeps) -> Any:
    return list(core_client(emu, sleeps, MAX_RETRIES).stream(BODY))


async def _core_astream(emu: Emulator, sleeps: Sleeps) -> Any:
    return [d async for d in core_client(emu, sleeps, MAX_RETRIES).astream(BODY)]


async def _lc_invoke(emu: Emulator, sleeps: Sleeps) -> Any:
    return lc_model(emu, sleeps, MAX_RETRIES).invoke("hi")


async def _lc_ainvoke(emu: Emulator, sleeps: Sleeps) -> Any:
    return await lc_model(emu, sleeps, MAX_RETRIES).ainvoke("hi")


async def _lc_stream(emu: Emulator, sleeps: Sleeps) -> Any:
    return list(lc_model(emu, sleeps, MAX_RETRIES).stream("hi"))


async def _lc_astream(emu: Emulator, sleeps: Sleeps) -> Any:
    return [c async for c in lc_model(emu, sleeps, MAX_RETRIES).astream("hi")]


async def _li_chat(emu: Emulator, sleeps: Sleeps) -> Any:
    return li_model(emu, sleeps, MAX_RETRIES).chat(li_messages())


async def _li_achat(emu: Emulator, sleeps: Sleeps) -> Any:
    return await li_model(emu, sleeps, MAX_RETRIES).achat(li_messages())


async def _li_stream(emu: Emulator, sleeps: Sleeps) -> Any:
    return list(li_model(emu, sleeps, MAX_RETRIES).stream_chat(li_messages()))


async def _li_astream(emu: Emulator, sleeps: Sleeps) -> Any:
    gen = await li_model(emu, sleeps, MAX_RETRIES).astream_chat(li_messages())
    return [r async for r in gen]


CORE: dict[str, Call] = {
    "chat": _core_chat,
    "achat": _core_achat,
    "stream": _core_stream,
    "astream": _core_astream,
}
LANGCHAIN: dict[str, Call] = {
    "invoke": _lc_invoke,
    "ainvoke": _lc_ainvoke,
    "stream": _lc_stream,
    "astream": _lc_astream,
}
LLAMAINDEX: dict[str, Call] = {
    "chat": _li_chat,
    "achat": _li_achat,
    "stream_chat": _li_stream,
    "astream_chat": _li_astream,
}
SURFACES = [
    *(("core", name, call) for name, call in CORE.items()),
    *(("langchain", name, call) for name, call in LANGCHAIN.items()),
    *(("llama_index", name, call) for name, call in LLAMAINDEX.items()),
]


@pytest.mark.parametrize(
    ("status", "message", "core_cls", "lc_cls", "retried"),
    STATUSES,
    ids=[str(s[0]) for s in STATUSES],
)
@pytest.mark.parametrize(
    ("surface", "name", "call"), SURFACES, ids=[f"{s}-{n}" for s, n, _ in SURFACES]
)
async def test_status_is_typed_carries_message_and_id_and_is_retried_exactly(
    emulator: Emulator,
    surface: str,
    name: str,
    call: Call,
    status: int,
    message: str,
    core_cls: type,
    lc_cls: type,
    retried: bool,
) -> None:
    body = error_body(status, message)
    reply = JSONReply(body, status=status, headers={"Retry-After": "3"})
    emulator.enqueue(*[reply] * (MAX_RETRIES + 1))
    sleeps = Sleeps()

    with pytest.raises(core_cls) as caught:
        await call(emulator, sleeps)

    error = caught.value
    if surface == "langchain":
        assert isinstance(error, lc_cls)
    assert error.status_code == status
    assert error.message == message
    assert error.request_id == body["requestId"]
    assert message in str(error) and body["requestId"] in str(error)
    attempts = MAX_RETRIES + 1 if retried else 1
    assert len(emulator.chat_requests) == attempts
    assert sleeps == [RETRY_AFTER] * (attempts - 1)


@pytest.mark.parametrize("status", [429, 503])
def test_retry_after_forms_are_honoured_by_the_core(emulator: Emulator, status: int) -> None:
    """`retry-after-ms` wins over `Retry-After`; an HTTP date counts down from the clock."""
    sleeps = Sleeps()
    emulator.enqueue(
        ErrorReply(status, "busy", headers={"retry-after-ms": "1500", "Retry-After": "9"}),
        ErrorReply(status, "busy", headers={"Retry-After": "Wed, 21 Oct 2015 07:28:10 GMT"}),
        ErrorReply(status, "busy", headers={"Retry-After": "7"}),
    )
    client = core_client(emulator, sleeps, max_retries=3)
    client.retry_policy.clock = lambda: 1445412480.0  # 07:28:00 GMT that day
    completion = client.chat(BODY)
    assert completion.content  # the 4th attempt got the default responder's answer
    assert sleeps == [1.5, 10.0, 7.0]
    assert len(emulator.chat_requests) == 4


def test_retry_after_is_capped(emulator: Emulator) -> None:
    sleeps = Sleeps()
    emulator.enqueue(ErrorReply(429, "slow down", headers={"Retry-After": "86400"}))
    client = core_client(emulator, sleeps, max_retries=1)
    client.chat(BODY)
    assert sleeps == [client.retry_policy.retry_after_cap]


def test_deprecated_model_404_is_its_own_class_everywhere(emulator: Emulator) -> None:
    sleeps = Sleeps()
    body = error_body(404, "Model is deprecated")
    emulator.enqueue(*[JSONReply(body, status=404)] * 3)
    with pytest.raises(ernie_aiml.DeprecatedModelError) as core_error:
        core_client(emulator, sleeps).chat(BODY)
    with pytest.raises(ernie_aiml.DeprecatedModelError) as lc_error:
        lc_model(emulator, sleeps).invoke("hi")
    with pytest.raises(ernie_aiml.DeprecatedModelError) as li_error:
        li_model(emulator, sleeps).chat(li_messages())
    assert isinstance(lc_error.value, lc.ModelNotFoundError)
    for error in (core_error.value, lc_error.value, li_error.value):
        assert error.request_id == body["requestId"] and error.hint
    assert len(emulator.chat_requests) == 3 and sleeps == []


def test_gateway_html_502_is_a_server_error_with_text(emulator: Emulator) -> None:
    from ernie_aiml.emulator import RawReply

    html = b"<html><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
    emulator.enqueue(*[RawReply(502, html, headers={"x-request-id": "gw-1"})] * 3)
    sleeps = Sleeps()
    with pytest.raises(ernie_aiml.ServerError) as caught:
        core_client(emulator, sleeps).chat(BODY)
    assert "502 Bad Gateway" in caught.value.message and "<h1>" not in caught.value.message
    assert caught.value.request_id == "gw-1"
    assert len(emulator.chat_requests) == 3 and len(sleeps) == 2
