"""`ErnieRateLimiter`: the core's shared rate limit as a langchain-core `BaseRateLimiter`.

`ChatErnieAIML(rate_limiter=ErnieRateLimiter(store="redis://…", name="aiml", rpm=120))`:
langchain-core takes the request slot (`acquire`) before each call, and the model's client
charges the call's tokens and honours the shared 429 window. Any other LangChain chat model
can use it too (requests per minute only: it reports no tokens).
"""

from __future__ import annotations

from ernie_aiml import RateLimiter
from langchain_core.rate_limiters import BaseRateLimiter


class ErnieRateLimiter(BaseRateLimiter):
    """Requests and tokens per minute shared by every process using `name` on `store`.

    The arguments are `ernie_aiml.RateLimiter`'s (`rpm`, `tpm`, `max_wait`, `fail_open`);
    a wait beyond `max_wait` raises `ernie_aiml.RateLimitTimeoutError`.
    """

    def __init__(
        self,
        *,
        store: str,
        name: str,
        rpm: float | None = None,
        tpm: int | None = None,
        max_wait: float = 60.0,
        fail_open: bool = False,
    ) -> None:
        self.limiter = RateLimiter(
            store=store, name=name, rpm=rpm, tpm=tpm, max_wait=max_wait, fail_open=fail_open
        )

    def __repr__(self) -> str:
        return f"ErnieRateLimiter({self.limiter!r})"

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take a request slot, sleeping until it (or only if free now, `blocking=False`)."""
        return self.limiter.acquire(blocking=blocking)

    async def aacquire(self, *, blocking: bool = True) -> bool:
        """Async `acquire`."""
        return await self.limiter.aacquire(blocking=blocking)

    @property
    def transport_limiter(self) -> RateLimiter:
        """What the model's client uses: tokens and the 429 window, no second request slot."""
        return self.limiter.counting_tokens_only()
