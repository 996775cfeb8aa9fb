"""The `ernie-aiml` command: one entry point, subcommands loaded only when used.

Each subcommand is a module (or an object in one) with `add_arguments(parser)` and
`run(args) -> int`. Register a new one in `SUBCOMMANDS`; only the chosen subcommand's
module is imported, so `ernie-aiml models` never imports LangChain or LlamaIndex.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from typing import Any

from ernie_aiml import AIMLError

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

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        """Print the table (or the live ids)."""
        if args.live:
            from ernie_aiml import AIMLClient

            with AIMLClient() as client:
                for entry in client.list_models():
                    print(entry.get("id", ""))
            return 0
        print(catalog_table())
        return 0


def catalog_table() -> str:
    """The model catalog as an aligned text table."""
    from ernie_aiml import DEFAULT_MODEL, list_catalog

    def yes(flag: bool) -> str:
        return "yes" if flag else "-"

    header = ("model", "context", "reasoning", "vision", "PDF", "tools", "status")
    rows = [header]
    for info in list_catalog():
        reasoning = "switch" if info.thinking_switch else yes(info.reasoning)
        status = info.status + (" (default)" if info.id == DEFAULT_MODEL else "")
        rows.append(
            (
                info.id,
                f"{info.context_window:,}",
                reasoning,
                yes(info.vision),
                yes(info.pdf_input),
                yes(info.tools),
                status,
            )
        )
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((a for a in argv if not a.startswith("-")), None)
    for name, (_target, text) in SUBCOMMANDS.items():
        subparser = sub.add_parser(name, help=text, description=text)
        if name == chosen:
            _load(name).add_arguments(subparser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `ernie-aiml`; returns the exit code (1 with one line on stderr for AIML errors)."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if not args.command:
        parser.print_help()
        return 2
    try:
        return int(_load(args.command).run(args) or 0)
    except AIMLError as exc:
        print(f"ernie-aiml {args.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
