"""The `ernie-aiml` command: one entry point, subcommands loaded only when used.

Each subcommand is a module (or an object in one) with `add_arguments(parser)` and
`run(args) -> int`. Register a new one in `SUBCOMMANDS`; only the chosen subcommand's
module is imported, so `ernie-aiml models` never imports LangChain or LlamaIndex.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence
from typing import Any

from ernie_aiml import AIMLError, __version__

#: The exit status of a process killed by SIGPIPE (128 + 13), as `git log | head` leaves it.
EXIT_BROKEN_PIPE = 141

#: name → ("module" or "module:attribute", one-line help).
SUBCOMMANDS: dict[str, tuple[str, str]] = {
    "demo": (
        "ernie_aiml_cli.demo",
        "the package at work: LangChain and LlamaIndex, live or emulated",
    ),
    "chat": ("ernie_aiml_cli.chat", "chat with an ERNIE model, reasoning shown apart"),
    "emulator": ("ernie_aiml_cli.serve", "serve the loopback AI/ML API emulator"),
    "models": ("ernie_aiml_cli.app:ModelsCommand", "list the ERNIE models and what they can do"),
}


class ModelsCommand:
    """`ernie-aiml models`: the catalog table, or the live ids with `--live`."""

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        """The options of `ernie-aiml models`."""
        parser.add_argument(
            "--live", action="store_true", help="ask the server (GET /v1/models) instead"
        )
        parser.add_argument(
            "--markdown", action="store_true", help="print the table as markdown (the README's)"
        )

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        """Print the table (or the live ids)."""
        if args.live:
            from ernie_aiml import AIMLClient

            with AIMLClient() as client:
                for entry in client.list_models():
                    print(entry.get("id", ""))
            return 0
        print(catalog_markdown() if args.markdown else catalog_table())
        return 0


_COLUMNS = ("context", "reasoning", "vision", "PDF", "tools", "status")


def catalog_rows(*, no: str, switch: str) -> list[tuple[str, ...]]:
    """One row of cells per catalog model (id first); `no` and `switch` spell those cells.

    The one source of the model table: `ernie-aiml models` and the README's table
    (`--markdown`, checked by tests/test_readme.py) are both rendered from it.
    """
    from ernie_aiml import DEFAULT_MODEL, list_catalog

    def yes(flag: bool) -> str:
        return "yes" if flag else no

    rows: list[tuple[str, ...]] = []
    for info in list_catalog():
        rows.append(
            (
                info.id,
                f"{info.context_window:,}",
                switch if info.thinking_switch else yes(info.reasoning),
                yes(info.vision),
                yes(info.pdf_input),
                yes(info.tools),
                info.status + (" (default)" if info.id == DEFAULT_MODEL else ""),
            )
        )
    return rows


def catalog_markdown() -> str:
    """The model catalog as the README's markdown table."""
    lines = ["| id | " + " | ".join(_COLUMNS) + " |", "|---|---:|---|---|---|---|---|"]
    for model_id, *cells in catalog_rows(no="—", switch="yes (switchable)"):
        lines.append(f"| `{model_id}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def catalog_table() -> str:
    """The model catalog as an aligned text table."""
    header = ("model", *_COLUMNS)
    rows = [header, *catalog_rows(no="-", switch="switch")]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    )


def _load(name: str) -> Any:
    target, _help = SUBCOMMANDS[name]
    module_name, _, attribute = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attribute) if attribute else module


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """The parser; only the subcommand named in `argv` gets its options loaded."""
    parser = argparse.ArgumentParser(
        prog="ernie-aiml", description="Baidu ERNIE models on the AI/ML API."
    )
    parser.add_argument("--version", action="version", version=f"ernie-aiml {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (_target, text) in SUBCOMMANDS.items():
        subparser = sub.add_parser(name, help=text, description=text)
        subparser.set_defaults(usage_parser=subparser)
        if name == chosen:
            _load(name).add_arguments(subparser)
    return parser


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse `argv`; an unknown option is reported with its subcommand's usage, not the top one.

    argparse hands a subcommand's unknown options up to the top parser, whose usage
    (`ernie-aiml [-h] COMMAND ...`) does not show the options the user was reaching for.
    """
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        usage_parser: argparse.ArgumentParser = getattr(args, "usage_parser", parser)
        usage_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    return args


def _silence_stdout() -> None:
    """Point stdout at /dev/null once its reader has gone, so the exit flush cannot fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no real file descriptor (tests capture stdout)
        pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run `ernie-aiml`; returns the exit code (1 with one line on stderr for AIML errors).

    A reader that closes the pipe early (`ernie-aiml demo | head -5`) ends the command
    quietly with 141, the status of a process killed by SIGPIPE, as `git log | head` does.
    """
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parse(parser, args_list)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(_load(args.command).run(args) or 0)
    except AIMLError as exc:
        print(f"ernie-aiml {args.command}: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
