"""`ernie-aiml demo`: the package doing its job in a minute, live or against the emulator.

The steps import LangChain and LlamaIndex, so nothing here is imported by `import ernie_aiml`;
the CLI loads this subpackage only when `demo` runs. Before its first step it checks that
all of them are installed, and if not, prints the one command that installs them.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from ernie_aiml.integration import install_command, missing_modules, not_installed

__all__ = ["DEMO_EXTRA", "REQUIRED_MODULES", "add_arguments", "missing_line", "run"]

#: What the demo's steps import beyond the core, and the one extra that installs all of it.
REQUIRED_MODULES = ("langchain_core", "llama_index.core", "llama_index.retrievers.bm25")
DEMO_EXTRA = "demo"


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
    """Run the demo; returns the exit code (1 with one clear line on any failure).

    A missing framework is found before anything runs: one line with the install command.
    """
    line = missing_line()
    if line:
        (stderr or sys.stderr).write(line + "\n")
        return 1
    from ._runner import run_demo

    force_emulator = bool(getattr(args, "emulator", False))
    return run_demo(stdout=stdout, stderr=stderr, force_emulator=force_emulator)


def missing_line() -> str | None:
    """The error line naming what the demo lacks and the one install command, or None."""
    missing = missing_modules(*REQUIRED_MODULES)
    if not missing:
        return None
    return (
        f"error: the demo needs {not_installed(missing)}; "
        f"install everything it needs with: {install_command(DEMO_EXTRA)}"
    )
