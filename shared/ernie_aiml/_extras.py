"""Optional extras: find a missing framework before importing it, and name the one install.

The adapters and the demo need packages that `pip install ernie-aiml` alone does not bring.
Checking with `importlib.util.find_spec` costs no import, so a package can refuse to load
with the exact command to run instead of a bare `No module named 'llama_index.core'`.
"""

from __future__ import annotations

from importlib.util import find_spec

__all__ = ["install_command", "missing_modules", "not_installed", "require_extra"]


def install_command(extra: str) -> str:
    """The one command that installs `extra`, quoted for every shell."""
    return f'pip install "ernie-aiml[{extra}]"'


def _importable(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or blocked in sys.modules
        return False


def missing_modules(*modules: str) -> list[str]:
    """Those of `modules` that cannot be imported here (found out without importing them)."""
    return [module for module in modules if not _importable(module)]


def not_installed(missing: list[str]) -> str:
    """`"a, which is not installed"` or `"a, b, which are not installed"`."""
    verb = "is" if len(missing) == 1 else "are"
    return f"{', '.join(missing)}, which {verb} not installed"


def require_extra(what: str, extra: str, *modules: str) -> None:
    """Raise `ImportError` saying how to install `extra` if any of `modules` is missing.

    `what` names the thing that needs them, for the message ("langchain_ernie_aiml").
    """
    missing = missing_modules(*modules)
    if missing:
        raise ImportError(
            f"{what} needs {not_installed(missing)}; install it with: {install_command(extra)}",
            name=missing[0],
        )
