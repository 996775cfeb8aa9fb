"""One call through any surface, reduced to the answer it returned or the error it raised.

Every surface and mode covers the core client (chat/stream/achat/astream), `ChatErnieAIML`
(invoke/stream/ainvoke/astream) and `ErnieAIML` (chat/stream_chat/achat/astream_chat).
Every call runs on a fresh client (so each call starts on a fresh connection, and the
proxy's per-connection plan is the call's), inside `track_usage()`, and is bounded from
outside (a thread join or `asyncio.wait_for` far above the configured timeouts): a hang
fails the test instead of freezing it. For streams, the emulator's request count at the
first piece of output is kept, so a test can assert that no request followed it.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import ernie_aiml
import httpx
from ernie_aiml.emulator import Emulator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "hardening"))
from hardening_support import KEY, MODEL, Sleeps

#: A Chinese prompt the emulator echoes: multi-byte UTF-8 in every content and reasoning chunk.
PROMPT = "请用中文重复这句话：春眠不觉晓，处处闻啼鸟。夜来风雨声，花落知多少？🌸"  # noqa: RUF001
#: Outer bound on one call (configured timeouts are well under a second): a hang fails.
HANG_BOUND = 60.0
MODES = ("sync", "stream", "async", "astream")
SURFACES = ("core", "langchain", "llama_index")


@dataclass
class Answer:
    """What one call returned, reduced to what every surface can be compared on."""

    text: str
    reasoning: str
    tool_calls: list[tuple[str, Any]] | None
    usage: tuple[int, int, int]
    credits: float


@dataclass
class Outcome:
    """One call: its answer or error, and the emulator's request counts around it."""

    answer: Answer | None = None
    error: BaseException | None = None
    requests_before: int = 0
    requests_at_output: int | None = None
    requests_after: int = 0
    tally: Any = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return "ok" if self.error is None else type(self.error).__name__


@dataclass
class Config:
    """Client settings for a run: timeouts, retries, deadline, tools."""

    read: float = 0.4
    max_retries: int = 1
    deadline: float | None = None
    tools: bool = False
    sleeps: Sleeps = field(default_factory=Sleeps)


def _timeout(cfg: Config) -> httpx.Timeout:
    return httpx.Timeout(5.0, read=cfg.read)


def _body(cfg: Config, stream: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"model": MODEL, "messages": [{"role": "user", "content": PROMPT}]}
    if stream:
        body["stream"] = True
        body["stream_options"] = {"include_usage": True}
    if cfg.tools:
        body["tools"] = [WEATHER_TOOL]
    return body


WEATHER_TOOL: dict[str, Any] = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "天气 for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string", "description": "城市"}},
            "required": ["city"],
        },
    },
}


def _model(surface: str, base_url: str, cfg: Config) -> Any:
    extra: dict[str, Any] = {} if cfg.deadline is None else {"deadline": cfg.deadline}
    policy = cfg.sleeps.policy(cfg.max_retries)
    if surface == "core":
        return ernie_aiml.AIMLClient(
            api_key=KEY, base_url=base_url, retry_policy=policy, timeout=_timeout(cfg), **extra
        )
    if surface == "langchain":
        from langchain_ernie_aiml import ChatErnieAIML

        llm = ChatErnieAIML(
            api_key=KEY,
            model=MODEL,
            base_url=base_url,
            max_retries=cfg.max_retries,
            retry_policy=policy,
            timeout=_timeout(cfg),
            **extra,
        )
        return llm.bind_tools([WEATHER_TOOL]) if cfg.tools else llm
    from llama_index_ernie_aiml import ErnieAIML

    return ErnieAIML(
        api_key=KEY,
        model=MODEL,
        base_url=base_url,
        retry_policy=policy,
        timeout=cfg.read,
        **extra,
    )


# ------------------------------------------------------------------ per surface, sync


def _core(client: Any, mode: str, cfg: Config, mark: Any) -> tuple[str, str, Any]:
    if mode == "sync":
        c = client.chat(_body(cfg, False))
        return c.content, c.reasoning or "", [(t.name, t.arguments) for t in c.tool_calls]
    text, reasoning = [], []
    with client.stream(_body(cfg, True)) as stream:
        for delta in stream:
            mark()
            text.append(delta.content or "")
            reasoning.append(delta.reasoning or "")
    return "".join(text), "".join(reasoning), None


async def _acore(client: Any, mode: str, cfg: Config, mark: Any) -> tuple[str, str, Any]:
    if mode == "async":
        c = await client.achat(_body(cfg, False))
        return c.content, c.reasoning or "", [(t.name, t.arguments) for t in c.tool_calls]
    text, reasoning = [], []
    async with client.astream(_body(cfg, True)) as stream:
        async for delta in stream:
            mark()
            text.append(delta.content or "")
            reasoning.append(delta.reasoning or "")
    return "".join(text), "".join(reasoning), None


def _lc_answer(message: Any) -> tuple[str, str, Any]:
    text = message.text if isinstance(message.text, str) else message.text()
    reasoning = "".join(
        b.get("reasoning", "")
        for b in message.content_blocks
        if isinstance(b, dict) and b.get("type") == "reasoning"
    )
    return text, reasoning, [(t["name"], t["args"]) for t in message.tool_calls]


def _lc(llm: Any, mode: str, mark: Any) -> tuple[str, str, Any]:
    if mode == "sync":
        return _lc_answer(llm.invoke(PROMPT))
    total = None
    for chunk in llm.stream(PROMPT):
        mark()
        total = chunk if total is None else total + chunk
    assert total is not None
    return _lc_answer(total)


async def _alc(llm: Any, mode: str, mark: Any) -> tuple[str, str, Any]:
    if mode == "async":
        return _lc_answer(await llm.ainvoke(PROMPT))
    total = None
    async for chunk in llm.astream(PROMPT):
        mark()
        total = chunk if total is None else total + chunk
    assert total is not None
    return _lc_answer(total)


def _li_answer(response: Any) -> tuple[str, str, Any]:
    from llama_index.core.base.llms.types import ThinkingBlock

    message = response.message
    reasoning = "".join(b.content or "" for b in message.blocks if isinstance(b, ThinkingBlock))
    return message.content or "", reasoning, None


def _li_messages() -> list[Any]:
    from llama_index.core.base.llms.types import ChatMessage

    return [ChatMessage(role="user", content=PROMPT)]


def _li(llm: Any, mode: str, mark: Any) -> tuple[str, str, Any]:
    if mode == "sync":
        return _li_answer(llm.chat(_li_messages()))
    last = None
    for response in llm.stream_chat(_li_messages()):
        mark()
        last = response
    assert last is not None
    return _li_answer(last)


async def _ali(llm: Any, mode: str, mark: Any) -> tuple[str, str, Any]:
    if mode == "async":
        return _li_answer(await llm.achat(_li_messages()))
    last = None
    async for response in await llm.astream_chat(_li_messages()):
        mark()
        last = response
    assert last is not None
    return _li_answer(last)


# ------------------------------------------------------------------ one call


def call(surface: str, mode: str, base_url: str, emu: Emulator, cfg: Config) -> Outcome:
    """One call, bounded from outside; the `Outcome` (answer or error, request counts)."""
    outcome = Outcome(requests_before=len(emu.chat_requests))

    def mark() -> None:
        if outcome.requests_at_output is None:
            outcome.requests_at_output = len(emu.chat_requests)

    if mode in ("sync", "stream"):
        done: list[tuple[str, str, Any]] = []

        def run() -> None:
            model = _model(surface, base_url, cfg)
            with ernie_aiml.track_usage() as tally:
                outcome.tally = tally
                try:
                    if surface == "core":
                        done.append(_core(model, mode, cfg, mark))
                    elif surface == "langchain":
                        done.append(_lc(model, mode, mark))
                    else:
                        done.append(_li(model, mode, mark))
                except BaseException as exc:  # judged by the test
                    outcome.error = exc
                finally:
                    if surface == "core":
                        model.close()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        thread.join(HANG_BOUND)
        if thread.is_alive():
            raise AssertionError(f"{surface}.{mode} hung past {HANG_BOUND} s")
    else:
        done = []

        async def arun() -> None:
            model = _model(surface, base_url, cfg)
            with ernie_aiml.track_usage() as tally:
                outcome.tally = tally
                try:
                    if surface == "core":
                        done.append(await _acore(model, mode, cfg, mark))
                    elif surface == "langchain":
                        done.append(await _alc(model, mode, mark))
                    else:
                        done.append(await _ali(model, mode, mark))
                except BaseException as exc:
                    outcome.error = exc
                finally:
                    if surface == "core":
                        await model.aclose()

        async def bounded() -> None:
            try:
                await asyncio.wait_for(arun(), HANG_BOUND)
            except TimeoutError:
                raise AssertionError(f"{surface}.{mode} hung past {HANG_BOUND} s") from None

        asyncio.run(bounded())
    outcome.requests_after = len(emu.chat_requests)
    if outcome.error is None:
        text, reasoning, tools = done[0]
        t = outcome.tally
        outcome.answer = Answer(
            text,
            reasoning,
            tools,
            (t.prompt_tokens, t.completion_tokens, t.total_tokens),
            round(t.credits_used, 9),
        )
    return outcome
