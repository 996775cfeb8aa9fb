"""LlamaIndex integration for ERNIE on the AI/ML API: `ErnieAIML`, a FunctionCallingLLM.

`ErnieAIML` loads on first access, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["ErnieAIML"]


def __getattr__(name: str) -> Any:
    if name == "ErnieAIML":
        from .base import ErnieAIML

        globals()[name] = ErnieAIML
        return ErnieAIML
    raise AttributeError(f"module 'llama_index_ernie_aiml' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)


if TYPE_CHECKING:  # pragma: no cover
    from .base import ErnieAIML
