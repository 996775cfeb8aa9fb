"""`ernie-aiml demo`: the package doing its job in a minute, live or against the emulator.

The steps import LangChain and LlamaIndex, so nothing here is imported by `import ernie_aiml`;
the CLI loads this subpackage only when `demo` runs.
"""

from __future__ import annotations

import argparse
from typing import TextIO

__all__ = ["add_arguments", "run"]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `ernie-aiml demo`."""
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="use the built-in emulator even when AIML_API_KEY is set",
    )


def run(
    args: argparse.Namespace | None = None,
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run the demo; returns the exit code (1 with one clear line on any failure)."""
    from ._runner import run_demo

    force_emulator = bool(getattr(args, "emulator", False))
    return run_demo(stdout=stdout, stderr=stderr, force_emulator=force_emulator)
