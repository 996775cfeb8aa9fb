"""The soak (`make soak`): one process streaming through both adapters, for leaks.

Streams continuously against an in-process emulator (chunk_size=2: ~50 cheap chunks per
call) through `ChatErnieAIML` (stream/astream) and `ErnieAIML` (stream_chat/astream_chat),
with one model of each reused for the whole run as a service would, mixed with cancelled
streams (an async task cancelled mid-stream), abandoned iterators (dropped after a few
chunks, never closed) and errors (a scripted 500, and a cut stream). Every `--every` calls
it samples RSS and open file descriptors (after `gc.collect()`). It passes when, after the
warm-up (the first fifth of the samples), RSS grows by less than 5% and the descriptor
count stays flat (within 2). Prints the series; saves a PNG (RSS and descriptors over calls).

    python scripts/soak.py [--calls 20000] [--chunks 1000000] [--every 500] [--plot PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import sys
import tempfile
import time
from typing import Any

import ernie_aiml
from ernie_aiml.emulator import Emulator, ErrorReply, SSEReply, stream_events

KEY = "sk-aiml-SOAK-test-key-0000000000"
MODEL = "baidu/ernie-5.0"
PROMPT = "Tell me, briefly, about the soak test that streams on and on: 测试"
#: A stream cut after three events: `StreamInterruptedError` once output was produced.
CUT = SSEReply(stream_events("a cut answer that never ends", chunk_size=3), cut_after=3)
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    """Resident set size of this process, MiB (/proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE / 2**20


def open_fds() -> int:
    """Open file descriptors of this process."""
    return len(os.listdir("/proc/self/fd"))


class Soak:
    """The loop: calls, chunks and outcomes counted; samples taken every `every` calls."""

    def __init__(self, emu: Emulator, every: int) -> None:
        from llama_index.core.base.llms.types import ChatMessage

        from langchain_ernie_aiml import ChatErnieAIML
        from llama_index_ernie_aiml import ErnieAIML

        self.emu = emu
        self.every = every
        self.lc = ChatErnieAIML(api_key=KEY, model=MODEL, base_url=emu.base_url, max_retries=0)
        self.li = ErnieAIML(api_key=KEY, model=MODEL, base_url=emu.base_url, max_retries=0)
        self.messages = [ChatMessage(role="user", content=PROMPT)]
        self.calls = 0
        self.chunks = 0
        self.outcomes: dict[str, int] = {}
        self.samples: list[tuple[int, float, int]] = []

    def note(self, outcome: str) -> None:
        self.calls += 1
        self.outcomes[outcome] = self.outcomes.get(outcome, 0) + 1
        if self.calls % self.every == 0:
            self.emu.clear()  # the emulator's request log is not ours to measure
            gc.collect()
            self.samples.append((self.calls, rss_mib(), open_fds()))
            calls, rss, fds = self.samples[-1]
            print(f"calls {calls:6d}  chunks {self.chunks:8d}  rss {rss:7.1f} MiB  fds {fds}")
            sys.stdout.flush()

    # ------------------------------------------------------------ one call of each kind

    def lc_stream(self, abandon: bool = False) -> None:
        stream = self.lc.stream(PROMPT)
        for index, _ in enumerate(stream):
            self.chunks += 1
            if abandon and index == 2:
                break  # dropped unclosed: the generator is left to the garbage collector
        del stream
        self.note("abandoned" if abandon else "ok")

    def li_stream(self, abandon: bool = False) -> None:
        stream = self.li.stream_chat(self.messages)
        for index, _ in enumerate(stream):
            self.chunks += 1
            if abandon and index == 2:
                break
        del stream
        self.note("abandoned" if abandon else "ok")

    async def lc_astream(self) -> None:
        async for _ in self.lc.astream(PROMPT):
            self.chunks += 1
        self.note("ok")

    async def li_astream(self) -> None:
        async for _ in await self.li.astream_chat(self.messages):
            self.chunks += 1
        self.note("ok")

    async def cancelled(self, use_lc: bool) -> None:
        """An async stream cancelled after its first chunk."""
        first = asyncio.Event()

        async def consume() -> None:
            stream = (
                self.lc.astream(PROMPT) if use_lc else await self.li.astream_chat(self.messages)
            )
            async for _ in stream:
                self.chunks += 1
                first.set()
                await asyncio.sleep(0.01)  # cancelled here, mid-stream

        task = asyncio.create_task(consume())
        await first.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        self.note("cancelled")

    def error(self, use_lc: bool, reply: Any) -> None:
        self.emu.enqueue(reply)
        try:
            if use_lc:
                for _ in self.lc.stream(PROMPT):
                    self.chunks += 1
            else:
                for _ in self.li.stream_chat(self.messages):
                    self.chunks += 1
        except ernie_aiml.AIMLError as exc:
            self.note(type(exc).__name__)
        else:
            raise AssertionError("a scripted error did not raise")

    async def step(self, i: int) -> None:
        """Call number `i`: mostly full streams, every 10th a cancel, abandon or error."""
        kind = i % 20
        use_lc = i % 40 < 20
        if kind == 5:
            await self.cancelled(use_lc)
        elif kind == 11:
            (self.lc_stream if use_lc else self.li_stream)(abandon=True)
        elif kind == 15:
            self.error(use_lc, ErrorReply(500, "soak: internal error"))
        elif kind == 17:
            self.error(use_lc, CUT)
        elif i % 4 == 0:
            self.lc_stream()
        elif i % 4 == 1:
            await self.lc_astream()
        elif i % 4 == 2:
            self.li_stream()
        else:
            await self.li_astream()


async def run(args: argparse.Namespace, emu: Emulator) -> Soak:
    soak = Soak(emu, args.every)
    i = 0
    while soak.calls < args.calls or soak.chunks < args.chunks:
        await soak.step(i)
        i += 1
    return soak


def verdict(samples: list[tuple[int, float, int]]) -> tuple[bool, str]:
    """Pass when RSS grows < 5% and descriptors stay within 2 after the warm-up fifth."""
    after = samples[max(1, len(samples) // 5) :]
    base_rss, last_rss = after[0][1], after[-1][1]
    growth = (last_rss - base_rss) / base_rss
    fds = [s[2] for s in after]
    ok = growth < 0.05 and max(fds) - min(fds) <= 2
    text = (
        f"after warm-up (from call {after[0][0]}): RSS {base_rss:.1f} -> {last_rss:.1f} MiB "
        f"({growth:+.2%}, limit +5%); descriptors {min(fds)}..{max(fds)} (flat within 2)"
    )
    return ok, text


def plot(samples: list[tuple[int, float, int]], path: str) -> None:
    """RSS and descriptors over calls, one PNG."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    calls = [s[0] for s in samples]
    fig, rss_axis = plt.subplots(figsize=(7, 3.5))
    rss_axis.plot(calls, [s[1] for s in samples], color="tab:blue", label="RSS (MiB)")
    rss_axis.set_xlabel("calls")
    rss_axis.set_ylabel("RSS (MiB)", color="tab:blue")
    fd_axis = rss_axis.twinx()
    fd_axis.plot(calls, [s[2] for s in samples], color="tab:red", label="open fds")
    fd_axis.set_ylabel("open file descriptors", color="tab:red")
    fig.suptitle("ernie-aiml soak: RSS and descriptors over calls")
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--chunks", type=int, default=1_000_000)
    parser.add_argument("--every", type=int, default=500)
    parser.add_argument(
        "--plot", default=os.path.join(tempfile.gettempdir(), "ernie-aiml-soak.png")
    )
    args = parser.parse_args()
    started = time.monotonic()
    with Emulator(chunk_size=2) as emu:
        soak = asyncio.run(run(args, emu))
    seconds = time.monotonic() - started
    ok, text = verdict(soak.samples)
    print(f"{soak.calls} calls, {soak.chunks} chunks in {seconds:.0f} s; outcomes {soak.outcomes}")
    print(text)
    plot(soak.samples, args.plot)
    print(f"plot: {args.plot}")
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
