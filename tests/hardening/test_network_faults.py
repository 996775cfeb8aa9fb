"""Network faults → typed errors within the configured bounds, with an exact retry count.

Connection refused (a closed loopback port), reset before the response
(`DropConnection`), reset in the middle of a JSON body (`JSONReply(cut_after=…)`), a first
byte slower than the read timeout (`JSONReply(delay=…)`), and a server that never answers
(`Hang`). Bounds are checked by the error type with small configured timeouts, never by
measuring time. Retry counts: `max_retries + 1` requests reach the emulator, and
`max_retries` waits are recorded.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import ernie_aiml
import httpx
import pytest
from ernie_aiml.emulator import DropConnection, Emulator, Hang, JSONReply, completion_body
from hardening_support import (
    BODY,
    KEY,
    MODEL,
    Sleeps,
    core_client,
    lc_model,
    li_messages,
    li_model,
)
from langchain_core import exceptions as lc

READ = 0.2
TIMEOUT = httpx.Timeout(5.0, read=READ)
MAX_RETRIES = 2
FULL = completion_body(model=MODEL, content="a complete answer that never fully arrives")


def _refused_url() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"


# name, reply (None: refused), expected core class, LangChain class
FAULTS: list[tuple[str, Any, type, type]] = [
    ("refused", None, ernie_aiml.APIConnectionError, lc.ModelConnectionError),
    (
        "reset-before-response",
        DropConnection(),
        ernie_aiml.APIConnectionError,
        lc.ModelConnectionError,
    ),
    (
        "reset-mid-body",
        JSONReply(FULL, cut_after=40),
        ernie_aiml.APIConnectionError,
        lc.ModelConnectionError,
    ),
    (
        "slow-first-byte",
        JSONReply(FULL, delay=READ * 4),
        ernie_aiml.APITimeoutError,
        lc.ModelTimeoutError,
    ),
    ("never-answers", Hang(), ernie_aiml.APITimeoutError, lc.ModelTimeoutError),
]


@pytest.fixture
def emu() -> Iterator[Emulator]:
    with Emulator() as emulator:
        yield emulator


def _call(surface: str, emu: Emulator, sleeps: Sleeps, base_url: str | None) -> Any:
    if surface == "core":
        client = core_client(emu, sleeps, MAX_RETRIES, timeout=TIMEOUT)
        if base_url:
            client.base_url = base_url
        return client.chat(BODY)
    if surface == "langchain":
        llm = lc_model(emu, sleeps, MAX_RETRIES, timeout=TIMEOUT, base_url=base_url or emu.base_url)
        return llm.invoke("hi")
    llm = li_model(emu, sleeps, MAX_RETRIES, timeout=READ, base_url=base_url or emu.base_url)
    return llm.chat(li_messages())


async def _acall(surface: str, emu: Emulator, sleeps: Sleeps, base_url: str | None) -> Any:
    if surface == "core":
        client = core_client(emu, sleeps, MAX_RETRIES, timeout=TIMEOUT)
        if base_url:
            client.base_url = base_url
        return await client.achat(BODY)
    if surface == "langchain":
        llm = lc_model(emu, sleeps, MAX_RETRIES, timeout=TIMEOUT, base_url=base_url or emu.base_url)
        return await llm.ainvoke("hi")
    llm = li_model(emu, sleeps, MAX_RETRIES, timeout=READ, base_url=base_url or emu.base_url)
    return await llm.achat(li_messages())


def _check(error: BaseException, surface: str, core_cls: type, lc_cls: type) -> None:
    assert isinstance(error, core_cls)
    if core_cls is ernie_aiml.APIConnectionError:
        assert not isinstance(error, ernie_aiml.APITimeoutError)
    if surface == "langchain":
        assert isinstance(error, lc_cls)
    assert f"(attempt {MAX_RETRIES + 1})" in str(error)
    assert KEY not in str(error)


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("surface", ["core", "langchain", "llama_index"])
@pytest.mark.parametrize(
    ("fault", "reply", "core_cls", "lc_cls"), FAULTS, ids=[f[0] for f in FAULTS]
)
async def test_network_fault_is_typed_and_retried_exactly(
    emu: Emulator,
    surface: str,
    is_async: bool,
    fault: str,
    reply: Any,
    core_cls: type,
    lc_cls: type,
) -> None:
    sleeps = Sleeps()
    base_url = _refused_url() if reply is None else None
    if reply is not None:
        emu.enqueue(*[reply] * (MAX_RETRIES + 1))
    with pytest.raises(ernie_aiml.AIMLError) as caught:
        if is_async:
            await _acall(surface, emu, sleeps, base_url)
        else:
            _call(surface, emu, sleeps, base_url)
    _check(caught.value, surface, core_cls, lc_cls)
    if fault in ("slow-first-byte", "never-answers"):
        assert f"Read timeout of {READ:g} s" in str(caught.value)
    assert len(sleeps) == MAX_RETRIES  # one wait before each retry
    expected_requests = 0 if reply is None else MAX_RETRIES + 1
    assert len(emu.chat_requests) == expected_requests
    assert emu.pending == 0


def test_a_fault_then_success_returns_the_real_answer(emu: Emulator) -> None:
    """Retries are invisible when they succeed: the third attempt's full answer, no dupes."""
    sleeps = Sleeps()
    emu.enqueue(DropConnection(), JSONReply(FULL, cut_after=40), JSONReply(FULL))
    completion = core_client(emu, sleeps, MAX_RETRIES, timeout=TIMEOUT).chat(BODY)
    assert completion.content == FULL["choices"][0]["message"]["content"]
    assert len(emu.chat_requests) == 3 and len(sleeps) == 2


@pytest.mark.parametrize("max_retries", [0, 1, 4])
def test_retry_budget_is_exact_for_every_setting(emu: Emulator, max_retries: int) -> None:
    sleeps = Sleeps()
    emu.enqueue(*[DropConnection()] * (max_retries + 2))
    with pytest.raises(ernie_aiml.APIConnectionError):
        core_client(emu, sleeps, max_retries).chat(BODY)
    assert len(emu.chat_requests) == max_retries + 1
    assert emu.pending == 1  # the extra reply was never asked for
