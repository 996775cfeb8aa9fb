"""`get_aiml_usage_callback()`: tokens, reasoning tokens, credits and USD over a block.

Built on the core's `ernie_aiml.track_usage()`: the transport records every finished
call (sync, async, streamed), so the sums are the same ones LlamaIndex sees and no
LangChain callback has to be threaded through `config`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import ernie_aiml


class AIMLUsageCallback:
    """Running totals of every AIML call made inside `get_aiml_usage_callback()`."""

    __slots__ = ("_tally",)

    def __init__(self, tally: ernie_aiml.UsageTally) -> None:
        self._tally = tally

    @property
    def successful_requests(self) -> int:
        """Calls that finished (non-streamed answers, and streams that ended)."""
        return self._tally.calls

    @property
    def prompt_tokens(self) -> int:
        """Input tokens."""
        return self._tally.prompt_tokens

    @property
    def completion_tokens(self) -> int:
        """Output tokens, reasoning included."""
        return self._tally.completion_tokens

    @property
    def total_tokens(self) -> int:
        """Input plus output tokens."""
        return self._tally.total_tokens

    @property
    def reasoning_tokens(self) -> int:
        """Output tokens spent on reasoning (where the server reports them)."""
        return self._tally.reasoning_tokens

    @property
    def cached_tokens(self) -> int:
        """Input tokens read from the server's prompt cache."""
        return self._tally.cached_tokens

    @property
    def credits_used(self) -> float:
        """AIML credits billed."""
        return self._tally.credits_used

    @property
    def usd_spent(self) -> float:
        """US dollars billed, where the server reports them."""
        return self._tally.usd_spent

    def __repr__(self) -> str:
        return (
            f"Tokens Used: {self.total_tokens}\n"
            f"\tPrompt Tokens: {self.prompt_tokens}\n"
            f"\tCompletion Tokens: {self.completion_tokens}\n"
            f"\tReasoning Tokens: {self.reasoning_tokens}\n"
            f"Successful Requests: {self.successful_requests}\n"
            f"Credits Used: {self.credits_used:g}\n"
            f"Total Cost (USD): ${self.usd_spent:.6f}"
        )


@contextmanager
def get_aiml_usage_callback() -> Iterator[AIMLUsageCallback]:
    """Sum the usage and cost of every AIML call in the block (like `get_openai_callback`).

    Example:
        with get_aiml_usage_callback() as cb:
            llm.invoke("Hi")
        print(cb.total_tokens, cb.credits_used)
    """
    with ernie_aiml.track_usage() as tally:
        yield AIMLUsageCallback(tally)
