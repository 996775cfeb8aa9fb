"""`ernie-aiml chat`: talk to an ERNIE model from the shell, reasoning shown apart from the answer.

Built straight on the core (`chat_request`, the adapters' request path, + `AIMLClient.stream`),
so it starts fast
and needs neither LangChain nor LlamaIndex. One-shot with a prompt, else an interactive loop
that keeps the history (the model's reasoning is never sent back). Ctrl-C stops the answer
being streamed, not the loop; EOF or "exit" quits.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TextIO

from ernie_aiml import DEFAULT_MODEL, AIMLError, Message, UnknownModelWarning, track_usage

if TYPE_CHECKING:
    from ernie_aiml import AIMLClient
    from ernie_aiml.integration import ChatSettings

_DIM = "\x1b[2m"
_RESET = "\x1b[0m"
_QUIT_WORDS = frozenset({"exit", "quit", ":q", "/exit", "/quit"})


def wants_color(stream: TextIO) -> bool:
    """ANSI dimming only on a terminal, and never when NO_COLOR is set."""
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class StreamPrinter:
    """Prints streamed reasoning apart from (and before) the answer.

    On a terminal the reasoning is dimmed; when piped it is labelled `thinking:` and the
    answer `answer:`, so the output stays readable and greppable.
    """

    def __init__(self, out: TextIO, *, color: bool | None = None) -> None:
        self.out = out
        self.color = wants_color(out) if color is None else color
        self._state = ""  # "", "thinking" or "answer"

    def reasoning(self, text: str | None) -> None:
        """Print a piece of reasoning (ignored once the answer has started)."""
        if not text or self._state == "answer":
            return
        if self._state != "thinking":
            self._state = "thinking"
            self.out.write(_DIM + "thinking: " if self.color else "thinking: ")
        self.out.write(text)
        self.out.flush()

    def answer(self, text: str | None) -> None:
        """Print a piece of the answer, closing the reasoning section first."""
        if not text:
            return
        if self._state != "answer":
            if self._state == "thinking":
                self.out.write(_RESET + "\n" if self.color else "\n")
            self._state = "answer"
            self.out.write("" if self.color else "answer: ")
        self.out.write(text)
        self.out.flush()

    def end(self) -> None:
        """Finish the current answer: reset colours and end the line."""
        if self._state == "thinking" and self.color:
            self.out.write(_RESET)
        if self._state:
            self.out.write("\n")
        self._state = ""
        self.out.flush()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `ernie-aiml chat`."""
    parser.add_argument(
        "prompt", nargs="*", help="ask once and exit; without it, chat interactively"
    )
    parser.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"model id (default {DEFAULT_MODEL})"
    )
    parser.add_argument(
        "--no-thinking",
        action="store_true",
        help="switch reasoning off (models with a thinking switch, e.g. baidu/ernie-5.0)",
    )
    parser.add_argument(
        "--thinking-budget",
        type=int,
        default=None,
        metavar="N",
        help="cap reasoning at N tokens (>= 100)",
    )
    parser.add_argument(
        "--max-credits",
        type=float,
        default=None,
        metavar="N",
        help="stop once the session has spent N AIML credits (the call that crosses it completes)",
    )


class ChatSession:
    """One conversation: the history, the request parameters and the client."""

    def __init__(self, client: AIMLClient, settings: ChatSettings, out: TextIO) -> None:
        self.client = client
        self.settings = settings
        self.model = settings.model
        self.out = out
        self.history: list[Message] = []

    def ask(self, prompt: str) -> bool:
        """Stream one answer to `prompt`; False when Ctrl-C stopped it (the turn is dropped)."""
        from ernie_aiml.integration import chat_request

        self.history.append(Message(role="user", content=prompt))
        body = chat_request(self.settings, self.history, stream=True)
        printer = StreamPrinter(self.out)
        parts: list[str] = []
        try:
            with track_usage() as tally, self.client.stream(body) as stream:
                for delta in stream:
                    printer.reasoning(delta.reasoning)
                    printer.answer(delta.content)
                    if delta.content:
                        parts.append(delta.content)
        except KeyboardInterrupt:
            printer.end()
            self.out.write("[stopped]\n")
            self.history.pop()
            return False
        except BaseException:
            self.history.pop()
            raise
        printer.end()
        self.history.append(Message(role="assistant", content="".join(parts)))
        self.out.write(f"usage: {tally.summary()}\n")
        self.out.flush()
        return True


def _settings(args: argparse.Namespace) -> ChatSettings:
    """The session's side of every request, checked now (as the adapters check theirs)."""
    from ernie_aiml.integration import ChatSettings

    settings = ChatSettings(
        args.model,
        {
            "enable_thinking": False if args.no_thinking else None,
            "thinking_budget": args.thinking_budget,
        },
    )
    settings.check()
    return settings


def _lines(stdin: TextIO, out: TextIO) -> Iterable[str]:
    """User turns: `input()` with a prompt on a terminal, plain lines when piped."""
    interactive = stdin is sys.stdin and stdin.isatty()
    while True:
        try:
            line = input("you> ") if interactive else stdin.readline()
        except EOFError:
            return
        except KeyboardInterrupt:
            out.write("\n")
            continue
        if not interactive and not line:
            return
        yield line.strip()


def _loop(session: ChatSession, stdin: TextIO, out: TextIO) -> None:
    out.write(f"Chatting with {session.model}. Ctrl-C stops an answer; Ctrl-D or 'exit' quits.\n")
    out.flush()
    for line in _lines(stdin, out):
        if line.lower() in _QUIT_WORDS:
            return
        if line:
            session.ask(line)


def run(
    args: argparse.Namespace,
    *,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    client_factory: Callable[[], AIMLClient] | None = None,
) -> int:
    """Run `ernie-aiml chat`; returns the exit code (1 with one clear line on any failure)."""
    stdin = stdin or sys.stdin
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    prompt = " ".join(args.prompt)
    if args.prompt and not prompt.strip():
        err.write("error: the prompt is empty; ask something, or give no prompt to chat\n")
        return 2
    try:
        from ernie_aiml import AIMLClient
        from ernie_aiml.integration import resolve_api_key

        settings = _settings(args)
        resolve_api_key()
        client = client_factory() if client_factory else AIMLClient()
        session = ChatSession(client, settings, out)
        budget = getattr(args, "max_credits", None)
        try:
            with track_usage(max_credits=budget), _unknown_model_unwarned():
                if args.prompt:
                    session.ask(prompt)
                else:
                    _loop(session, stdin, out)
        finally:
            client.close()
    except AIMLError as exc:
        err.write((unknown_model_line(args.model, exc) or f"error: {exc}") + "\n")
        return 1
    return 0


@contextmanager
def _unknown_model_unwarned() -> Iterator[None]:
    """An id the catalog does not know is sent as given, without a Python warning on the shell.

    AIML serves more than ERNIE, so the id may well be right; if the server refuses it,
    `unknown_model_line` says so in one line instead.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UnknownModelWarning)
        yield


def unknown_model_line(model: str, exc: AIMLError) -> str | None:
    """One line for the server refusing an id the catalog does not know, with the closest ids."""
    from ernie_aiml import BadRequestError, NotFoundError, get_model, list_catalog
    from ernie_aiml.integration import closest_models

    refused = isinstance(exc, BadRequestError | NotFoundError) and "model" in str(exc).lower()
    if get_model(model) is not None or not refused:
        return None
    close = closest_models(model)
    ids = ", ".join(close or [m.id for m in list_catalog() if m.status == "active"])
    hint = f"closest ERNIE ids: {ids}" if close else f"the ERNIE models AIML serves: {ids}"
    return (
        f"error: the server does not know the model {model!r} ({hint}; "
        "`ernie-aiml models` lists every ERNIE id)"
    )


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: `python -m ernie_aiml_cli.chat ...`."""
    parser = argparse.ArgumentParser(prog="ernie-aiml chat", description=run.__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
