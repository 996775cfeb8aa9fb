"""`from llama_index.llms.ernie_aiml import ErnieAIML`: the ecosystem-conventional path."""

from llama_index_ernie_aiml.base import ErnieAIML

__all__ = ["ErnieAIML"]
