"""ERNIE's token estimate as a LlamaIndex tokenizer, offline (no tiktoken download).

`Settings.tokenizer = tokenizer`, or `ChatMemoryBuffer.from_defaults(token_limit=...,
tokenizer_fn=tokenizer)`: LlamaIndex counts with `len(tokenizer(text))`, and these lengths
are the core's `count_tokens`, the figure the emulator's `prompt_tokens` is built from.
"""

from __future__ import annotations

from ernie_aiml.integration import tokenize


def tokenizer(text: str) -> list[str]:
    """`text` in estimated ERNIE tokens (pieces of text, one per token)."""
    return tokenize(text)
