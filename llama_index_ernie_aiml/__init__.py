"""LlamaIndex integration for ERNIE on the AI/ML API: `ErnieAIML`, a FunctionCallingLLM.

`ErnieAIML` loads on first access, so importing this package stays cheap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ernie_aiml import lazy_module_exports

_EXPORTS: dict[str, str] = {"ErnieAIML": "base"}

__all__ = ["ErnieAIML"]

__getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from .base import ErnieAIML
