"""LlamaIndex integration for ERNIE on the AI/ML API: `ErnieAIML`, a FunctionCallingLLM.

`ErnieAIML` loads on first access, so importing this package stays cheap. Without
llama-index-core the import fails at once, saying `pip install "ernie-aiml[llama-index]"`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ernie_aiml.integration import lazy_module_exports, require_extra

require_extra("llama_index_ernie_aiml", "llama-index", "llama_index.core")

_EXPORTS: dict[str, str] = {"ErnieAIML": "base", "tokenizer": "_tokenizer"}

__all__ = ["ErnieAIML", "tokenizer"]

__getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover
    from ._tokenizer import tokenizer as tokenizer
    from .base import ErnieAIML as ErnieAIML
