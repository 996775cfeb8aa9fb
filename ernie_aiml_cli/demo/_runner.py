"""Runs the demo's steps in order, under one usage tally, against the live API or the emulator."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TextIO

from ernie_aiml import (
    AIMLError,
    APIConnectionError,
    AuthenticationError,
    PermissionDeniedError,
    track_usage,
)
from ernie_aiml.integration import find_api_key, resolve_base_url

#: The model every step uses: ERNIE 5.0 reasons, sees images, reads PDFs and calls tools.
DEMO_MODEL = "baidu/ernie-5.0"


@dataclass(frozen=True)
class Backend:
    """Where the demo's models send their requests; None means "from the environment"."""

    api_key: str | None
    base_url: str | None
    emulated: bool
    model: str = DEMO_MODEL


Step = Callable[[Backend, TextIO], None]


@contextmanager
def open_backend(force_emulator: bool = False) -> Iterator[tuple[Backend, str]]:
    """The live API when a key is set, else a fresh emulator; with the line that says which."""
    if find_api_key() and not force_emulator:
        line = f"Live: using the AI/ML API at {resolve_base_url()} (AIML_API_KEY is set)."
        yield Backend(api_key=None, base_url=None, emulated=False), line
        return
    from ernie_aiml.emulator import Emulator

    with Emulator() as emu:
        line = (
            f"No AIML_API_KEY set: running against the built-in emulator at {emu.base_url} "
            "(offline, deterministic answers, not a real model). Set AIML_API_KEY to go live."
        )
        yield Backend(api_key="emulator-demo-key", base_url=emu.base_url, emulated=True), line


def steps() -> list[tuple[str, Step]]:
    """The demo's sections in order: (heading, step)."""
    from ._langchain_steps import streamed_reasoning, tools_and_structured_output
    from ._llamaindex_steps import agent_with_tool, rag_over_docs

    return [
        ("1. LangChain: a thinking model, streamed", streamed_reasoning),
        ("2. LangChain: tool calling and structured output", tools_and_structured_output),
        ("3. LlamaIndex: RAG over the package's own docs (BM25)", rag_over_docs),
        ("4. LlamaIndex: a FunctionAgent with a tool, streamed", agent_with_tool),
    ]


def heading(out: TextIO, title: str) -> None:
    """A short section heading."""
    out.write(f"\n== {title} ==\n")
    out.flush()


def run_demo(
    *, stdout: TextIO | None = None, stderr: TextIO | None = None, force_emulator: bool = False
) -> int:
    """Run every step; 0 on success, 1 with one clear line on stderr on any failure."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    try:
        with open_backend(force_emulator) as (backend, line):
            out.write(line + "\n")
            out.flush()
            with track_usage() as tally:
                for title, step in steps():
                    heading(out, title)
                    step(backend, out)
            heading(out, "5. Usage of the whole demo")
            out.write(f"Total: {tally.summary()}\n")
    except KeyboardInterrupt:
        out.write("\n")
        err.write("error: interrupted\n")
        return 130
    except BrokenPipeError:
        raise  # the reader left (`| head`): nothing more to say, the CLI ends quietly
    except Exception as exc:
        out.write("\n")
        out.flush()
        err.write(failure_line(exc) + "\n")
        return 1
    out.flush()
    return 0


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


_HINTS: tuple[tuple[type[AIMLError], str], ...] = (
    (AuthenticationError, "check AIML_API_KEY, or unset it to run against the emulator"),
    (PermissionDeniedError, "check the key's credits and spend limit"),
    (APIConnectionError, "check your network connection and AIML_API_BASE"),
)


def _public_name(error: BaseException) -> str:
    """The core's class name for an error (adapters subclass it under their own names)."""
    core = next((c for c in type(error).__mro__ if c.__module__ == AIMLError.__module__), None)
    return (core or type(error)).__name__


def failure_line(exc: BaseException) -> str:
    """One line for any failure: the package's typed error (found anywhere in the chain)."""
    error = next((e for e in _causes(exc) if isinstance(e, AIMLError)), exc)
    name = _public_name(error)
    text = f"{name}: {error}" if str(error) else name
    hint = next((h for cls, h in _HINTS if isinstance(error, cls)), None)
    if hint:
        text = f"{text} ({hint})"
    return "error: demo failed: " + " ".join(text.split())
