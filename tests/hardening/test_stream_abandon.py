"""Abandoning an async stream at any point closes it quietly (issue 21, Streams).

Breaking out of an `async for` leaves the stream for the event loop's shutdown to finalise;
that must print nothing (it used to print `RuntimeError: aclose(): asynchronous generator
is already running` from the core stream's generator). Each case runs in a fresh interpreter
under `-X dev -W error`, so a ResourceWarning, an unraisable exception or a finaliser error
fails it, for the core `astream`, LangChain `astream` and LlamaIndex `astream_chat`.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from ernie_aiml import AIMLClient
    from ernie_aiml.emulator import Emulator, SSEReply, stream_events

    SURFACE, AFTER = sys.argv[1], int(sys.argv[2])
    KEY = "sk-abandon-0123456789"
    EVENTS = stream_events("one two three four five six", model="baidu/ernie-5.0", chunk_size=4)

    async def items(emu):
        if SURFACE == "core":
            client = AIMLClient(api_key=KEY, base_url=emu.base_url)
            body = {"model": "baidu/ernie-5.0", "messages": [{"role": "user", "content": "hi"}]}
            return client.astream(body)
        if SURFACE == "langchain":
            from langchain_ernie_aiml import ChatErnieAIML
            return ChatErnieAIML(api_key=KEY, base_url=emu.base_url).astream("hi")
        from llama_index.core.llms import ChatMessage
        from llama_index_ernie_aiml import ErnieAIML
        llm = ErnieAIML(api_key=KEY, base_url=emu.base_url)
        return await llm.astream_chat([ChatMessage(role="user", content="hi")])

    async def main(emu):
        # -X dev logs callbacks slower than 0.1 s (the first import of a framework is one)
        asyncio.get_running_loop().slow_callback_duration = 600
        seen = 0
        async for _ in await items(emu):
            seen += 1
            if seen >= AFTER:
                break  # abandoned here: no aclose(), the loop's shutdown finalises it

    with Emulator() as emu:
        emu.enqueue(SSEReply(EVENTS))
        asyncio.run(main(emu))
    print("ok")
    """
)


@pytest.mark.parametrize("after", [1, 3, 100], ids=["first", "middle", "end"])
@pytest.mark.parametrize("surface", ["core", "langchain", "llama_index"])
def test_abandoned_async_stream_closes_quietly(surface: str, after: int) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "dev", "-W", "error", "-c", SCRIPT, surface, str(after)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (done.returncode, done.stdout.strip(), done.stderr) == (0, "ok", "")
