"""`ValidatingTransport`: `httpx.MockTransport` with the emulator's check of chat bodies."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Coroutine

import httpx

from ._checks import body_refusal, json_body
from ._shapes import error_body

Handler = (
    Callable[[httpx.Request], httpx.Response]
    | Callable[[httpx.Request], Coroutine[None, None, httpx.Response]]
)


class ValidatingTransport(httpx.BaseTransport, httpx.AsyncBaseTransport):
    """A drop-in for `httpx.MockTransport(handler)` that holds chat bodies to AIML's spec.

    Each `POST …/chat/completions` body is checked against its model's published request
    schema, as the emulator checks it: an invalid one gets AIML's 400 "Body validation
    error" without reaching `handler` (`strict=True`: also top-level keys the schema does
    not list). With `validate=False` every request reaches `handler`, and the verdict still
    goes to `watch_bodies` watchers: how a suite that scripts its answers proves its bodies
    conform. Other requests go straight to `handler` (sync or async, as MockTransport's).
    """

    def __init__(self, handler: Handler, *, validate: bool = True, strict: bool = False) -> None:
        self.validate = validate
        self.strict = strict
        self._mock = httpx.MockTransport(handler)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Check the body, then answer through the handler (or refuse)."""
        request.read()
        return self._refusal(request) or self._mock.handle_request(request)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Check the body, then answer through the handler (or refuse)."""
        await request.aread()
        return self._refusal(request) or await self._mock.handle_async_request(request)

    def _refusal(self, request: httpx.Request) -> httpx.Response | None:
        path = request.url.path
        if request.method != "POST" or not path.endswith("/chat/completions"):
            return None
        _, message = body_refusal(
            json_body(request.content), "transport", validate=self.validate, strict=self.strict
        )
        if message is None:
            return None
        headers = {"x-inference-id": str(uuid.uuid4())}
        return httpx.Response(400, headers=headers, json=error_body(400, message, path))
