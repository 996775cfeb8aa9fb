"""The emulator: a loopback HTTP/1.1 server that speaks AIML's chat API.

It runs an asyncio loop in a daemon thread, so sync and async tests (and benchmarks with
a thousand concurrent streams) can talk to it over real sockets. Scripted replies are
served first (FIFO, one per chat request); with none queued the deterministic responder
answers. Every request is recorded.
"""

from __future__ import annotations

import asyncio
import json
import re
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from urllib.parse import parse_qs

from ._checks import body_refusal, json_body
from ._http import BadRequest, HTTPConnection, RawRequest, cut_inside
from ._prompt_cache import PromptCache
from ._replies import (
    DropConnection,
    ErrorReply,
    Hang,
    JSONReply,
    RawReply,
    RecordedRequest,
    Reply,
    SSEReply,
)
from ._responder import respond
from ._shapes import completion_body, error_body, prompt_tokens, stream_events, usd_header
from ._specs import ModelSpec, model_spec, model_specs
from ._validate import require_jsonschema

CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
MODELS_PATHS = frozenset({"/v1/models", "/models"})
KEY_MESSAGE = (
    "This request requires a valid API key. Please provide it in the Authorization header "
    "as 'Bearer <YOUR_AIMLAPI_KEY>'."
)
_CLIENT_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
_Headers = list[tuple[str, str]]


class Emulator:
    """AIML on 127.0.0.1 for tests, notebooks and benchmarks.

    `with Emulator() as emu:` starts it on a free port; point a client at `emu.base_url`
    with any non-empty key. `enqueue(...)` scripts the next answers; `requests` logs
    what arrived. Every chat body is validated against its model's published schema
    (`validate=False`: answered anyway; `strict=True`: top-level keys the schema does not
    list are refused too). By default it answers as AIML does: status 201 (`status=200`),
    streams without `[DONE]` (`done=True` adds it), the cost in USD as well as credits
    (`x-aimlapi-usd-spent` on JSON answers, `meta.usage.usd_spent` in a stream's last chunk;
    `usd_spent=False` sends credits only), id and name on every tool-call fragment
    (`repeat_call_ids=False`: only the first). `charges` is its ledger of credits charged:
    one entry per answer that carried `meta.usage.credits_used` (the default answers and
    scripted ones alike), added when the answer was sent.
    """

    def __init__(
        self,
        port: int = 0,
        host: str = "127.0.0.1",
        *,
        require_key: bool = True,
        allow_deprecated: bool = False,
        done: bool = False,
        status: int = 201,
        chunk_size: int = 12,
        validate: bool = True,
        strict: bool = False,
        usd_spent: bool = True,
        repeat_call_ids: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.require_key = require_key
        self.allow_deprecated = allow_deprecated
        self.done = done
        self.status = status
        self.chunk_size = chunk_size
        self.validate = validate
        self.strict = strict
        self.usd_spent = usd_spent
        self.repeat_call_ids = repeat_call_ids
        #: Marked prefixes seen (`cache_control`); `prompt_cache.clock` can be swapped in tests.
        self.prompt_cache = PromptCache()
        self._queue: deque[Reply] = deque()
        self._requests: list[RecordedRequest] = []
        self._charges: list[float] = []
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[asyncio.Task[Any]] = set()

    # ------------------------------------------------------------ public API

    @property
    def base_url(self) -> str:
        """`http://127.0.0.1:PORT/v1`: what a client's `base_url` should be."""
        return f"http://{self.host}:{self.port}/v1"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first (a snapshot)."""
        with self._lock:
            return list(self._requests)

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        """Only the chat-completion requests."""
        return [r for r in self.requests if r.path in CHAT_PATHS]

    @property
    def charges(self) -> list[float]:
        """The credits charged per answer sent, oldest first (a snapshot)."""
        with self._lock:
            return list(self._charges)

    @property
    def credits_charged(self) -> float:
        """The credits of every answer sent so far."""
        return sum(self.charges)

    def _charge(self, answer: Any) -> None:
        """Note the credits an answer (a body or a stream's events) carries, if any."""
        credits = sum(
            _credits_of(part) for part in (answer if isinstance(answer, list) else [answer])
        )
        if credits:
            with self._lock:
                self._charges.append(credits)

    @property
    def open_connections(self) -> int:
        """How many client connections the server holds open right now (for leak checks)."""
        return len(self._connections)

    @property
    def pending(self) -> int:
        """How many scripted replies are still queued."""
        with self._lock:
            return len(self._queue)

    def enqueue(self, *replies: Reply) -> Emulator:
        """Queue scripted replies: each chat request consumes the oldest one."""
        with self._lock:
            self._queue.extend(replies)
        return self

    def clear(self) -> None:
        """Forget recorded requests and queued replies."""
        with self._lock:
            self._queue.clear()
            self._requests.clear()
            self._charges.clear()

    def start(self) -> Emulator:
        """Bind the port and serve in a background daemon thread (idempotent)."""
        if self._thread is not None:
            return self
        if self.validate:
            require_jsonschema()
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(
            target=self._run, args=(ready, failure), name="ernie-aiml-emulator", daemon=True
        )
        self._thread.start()
        ready.wait(30)
        if failure:
            self._thread.join(5)
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        """Close every connection (hung ones too) and the server, and end the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            future.result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(10)
            self._loop = self._thread = self._server = None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    async def __aenter__(self) -> Emulator:
        return self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.stop)

    def __repr__(self) -> str:
        state = "running" if self._thread else "stopped"
        return f"Emulator({self.base_url!r}, {state})"

    # ------------------------------------------------------------ loop thread

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        try:
            self._server = loop.run_until_complete(
                asyncio.start_server(self._serve, self.host, self.port, backlog=4096)
            )
        except BaseException as exc:
            failure.append(exc)
            loop.close()
            ready.set()
            return
        self.port = self._server.sockets[0].getsockname()[1]
        self._loop = loop
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._connections)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._connections.add(task)
        http = HTTPConnection(reader, writer)
        try:
            while await self._serve_one(http) and http.next_cycle():
                pass
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            self._connections.discard(task)
            http.close()

    async def _serve_one(self, http: HTTPConnection) -> bool:
        """Read and answer one request; True when the connection may serve another."""
        try:
            raw = await http.read_request()
        except BadRequest as exc:
            return await _refuse_framing(http, exc)
        if raw is None:
            return False
        record = _record(raw)
        with self._lock:
            self._requests.append(record)
        try:
            return await self._route(record, http)
        except (ConnectionError, asyncio.CancelledError):
            raise
        except Exception as exc:  # a bug here must reach the test as a 500 (or a cut), not a hang
            if not http.answering:
                return False
            body = error_body(500, f"Emulator failed: {exc!r}", record.path)
            return await _send_json(http, 500, body, [], keep=False)

    # ------------------------------------------------------------ routing

    async def _route(self, record: RecordedRequest, http: HTTPConnection) -> bool:
        extra = _echo_headers(record)
        if record.path in CHAT_PATHS and record.method == "POST":
            return await self._chat(record, http, extra)
        if record.path in MODELS_PATHS and record.method == "GET":
            body = {"data": _models_data(record.query, self.allow_deprecated)}
            return await _send_json(http, 200, body, extra)
        message = f"Cannot {record.method} {record.path}"
        return await _send_json(http, 404, error_body(404, message, record.path), extra)

    async def _chat(self, record: RecordedRequest, http: HTTPConnection, extra: _Headers) -> bool:
        refusal = self._refusal(record)
        if refusal is not None:
            status, message = refusal
            return await _send_json(http, status, error_body(status, message, record.path), extra)
        with self._lock:
            reply = self._queue.popleft() if self._queue else None
        if reply is not None:
            return await self._scripted(reply, record, http, extra)
        return await self._default(record, http, extra)

    def _refusal(self, record: RecordedRequest) -> tuple[int, str] | None:
        """Why AIML would refuse this chat request before any model ran (auth, body)."""
        if self.require_key and not _has_key(record.headers):
            return 401, KEY_MESSAGE
        check, message = body_refusal(
            record.json, "emulator", validate=self.validate, strict=self.strict
        )
        record.problem = check.problem if check is not None else None
        return None if message is None else (400, message)

    async def _default(
        self, record: RecordedRequest, http: HTTPConnection, extra: _Headers
    ) -> bool:
        body: dict[str, Any] = record.json
        model: Any = body.get("model")  # echoed as sent: any JSON value when not validated
        spec = model_spec(model)
        prompt = prompt_tokens(body.get("messages") or (), body.get("tools"))
        refusal = _model_refusal(spec, prompt, self.allow_deprecated)
        if refusal is not None:
            status, message = refusal
            return await _send_json(http, status, error_body(status, message, record.path), extra)
        cached = self.prompt_cache.read_and_store(body)
        answer = respond(body)
        if body.get("stream"):
            events = stream_events(
                answer.content,
                reasoning=answer.reasoning,
                tool_calls=answer.tool_calls,
                model=model,
                chunk_size=self.chunk_size,
                finish_reason=answer.finish_reason,
                prompt=prompt,
                repeat_call_ids=self.repeat_call_ids,
                usd_spent=self.usd_spent,
                cached=cached,
            )
            sent = await _send_sse(http, self.status, events, self.done, extra)
            self._charge(events)
            return sent
        payload = completion_body(
            model=model,
            content=answer.content,
            reasoning=answer.reasoning,
            tool_calls=answer.tool_calls,
            finish_reason=answer.finish_reason,
            prompt=prompt,
            cached=cached,
        )
        credits = payload["meta"]["usage"]["credits_used"]
        headers = [*extra, ("x-aimlapi-credits-used", str(credits))]
        if self.usd_spent:
            headers.append(("x-aimlapi-usd-spent", usd_header(credits)))
        sent = await _send_json(http, self.status, payload, headers)
        self._charge(payload)
        return sent

    async def _scripted(
        self, reply: Reply, record: RecordedRequest, http: HTTPConnection, extra: _Headers
    ) -> bool:
        if isinstance(reply, Hang):
            await asyncio.Event().wait()  # ends when stop() cancels the connection
            return False
        await asyncio.sleep(reply.delay)
        if isinstance(reply, DropConnection):
            return False
        headers = [*extra, *(reply.headers or {}).items()]
        if isinstance(reply, JSONReply):
            if reply.cut_after is not None:
                return await _send_cut_json(http, reply, headers)
            sent = await _send_json(http, reply.status, reply.body, headers)
            self._charge(reply.body)
            return sent
        if isinstance(reply, ErrorReply):
            body = error_body(reply.status, reply.message, record.path)
            return await _send_json(http, reply.status, body, headers)
        if isinstance(reply, RawReply):
            return await _send_bytes(http, reply.status, reply.body, reply.content_type, headers)
        sent = await _send_scripted_sse(http, reply, headers)
        self._charge(list(reply.events))
        return sent


def _credits_of(answer: Any) -> float:
    """`meta.usage.credits_used` of a body or stream event (0 when it has none)."""
    meta = answer.get("meta") if isinstance(answer, dict) else None
    usage = meta.get("usage") if isinstance(meta, dict) else None
    credits = usage.get("credits_used") if isinstance(usage, dict) else None
    return credits if isinstance(credits, (int, float)) else 0


# ------------------------------------------------------------------ helpers


def _record(raw: RawRequest) -> RecordedRequest:
    path, _, query = raw.target.partition("?")
    return RecordedRequest(
        raw.method,
        path,
        raw.headers,
        json_body(raw.body),
        raw.body,
        query,
        received=time.monotonic(),
    )


def _has_key(headers: dict[str, str]) -> bool:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    return scheme.lower() == "bearer" and bool(token.strip())


def _inference_id() -> tuple[str, str]:
    return ("x-inference-id", str(uuid.uuid4()))


def _echo_headers(record: RecordedRequest) -> _Headers:
    headers = [_inference_id()]
    client_id = record.headers.get("x-client-request-id")
    if client_id and _CLIENT_ID_RE.match(client_id):
        headers.append(("x-client-request-id", client_id))
    return headers


def _model_refusal(
    spec: ModelSpec | None, prompt: int, allow_deprecated: bool
) -> tuple[int, str] | None:
    """A 404 for a deprecated model, a 400 for a prompt beyond the context window."""
    if spec is None:
        return None
    if spec.deprecated and not allow_deprecated:
        return 404, "Model is deprecated"
    if spec.context_window is not None and prompt > spec.context_window:
        return 400, (
            f"This model's maximum context length is {spec.context_window} tokens, "
            f"but the prompt has {prompt} tokens."
        )
    return None


def _models_data(query: str, include_deprecated: bool) -> list[dict[str, Any]]:
    """`GET /v1/models`: the spec's ids (active first), deprecated ones only when allowed.

    The specs name no aliases, so `aliases` is empty and `?id=` matches the id exactly.
    """
    params = parse_qs(query)
    wanted = params.get("id", [None])[0]
    capabilities = "capabilities" in ",".join(params.get("include", []))
    return [
        _model_entry(spec, capabilities)
        for spec in model_specs().values()
        if (include_deprecated or not spec.deprecated) and (not wanted or wanted == spec.id)
    ]


def _model_entry(spec: ModelSpec, capabilities: bool) -> dict[str, Any]:
    tags = ["chat"] + [t for t, on in (("reasoning", spec.reasons), ("vision", spec.vision)) if on]
    entry: dict[str, Any] = {
        "id": spec.id,
        "aliases": [],
        "type": "openai/chat-completions",
        "info": {
            "name": spec.id.removeprefix("baidu/"),
            "developer": "Baidu",
            "contextLength": spec.context_window,
            "outputMax": None,
        },
        "tags": tags,
    }
    if capabilities:
        entry["capabilities"] = {
            "streaming": "stream" in spec.parameters,
            "tools": spec.tools,
            "vision": spec.vision,
            "file_input": spec.file_input,
            "structured_output": "response_format" in spec.parameters,
            "parallel_tool_calls": "parallel_tool_calls" in spec.parameters,
        }
    return entry


def _connection(keep: bool) -> tuple[str, str]:
    return ("connection", "keep-alive" if keep else "close")


async def _refuse_framing(http: HTTPConnection, error: BadRequest) -> bool:
    """A request h11 cannot read: its status (400 for bad framing) in AIML's error body, then
    close (the rest of the bytes on the connection cannot be trusted)."""
    path = error.target.partition("?")[0]
    body = error_body(error.status, f"Bad HTTP/1.1 request: {error.message}", path)
    return await _send_json(http, error.status, body, [_inference_id()], keep=False)


async def _send_json(
    http: HTTPConnection,
    status: int,
    body: Any,
    headers: Iterable[tuple[str, str]],
    *,
    keep: bool = True,
) -> bool:
    data = json.dumps(body, ensure_ascii=False).encode()
    content_type = "application/json; charset=utf-8"
    return await _send_bytes(http, status, data, content_type, headers, keep=keep)


async def _send_bytes(
    http: HTTPConnection,
    status: int,
    data: bytes,
    content_type: str,
    headers: Iterable[tuple[str, str]],
    *,
    keep: bool = True,
) -> bool:
    """A whole answer with `Content-Length`, in one write; `keep` offers keep-alive (h11
    closes anyway when the client asked to)."""
    head = [
        ("content-type", content_type),
        ("content-length", str(len(data))),
        _connection(keep),
        *headers,
    ]
    http.write(http.head(status, head), http.body(data), http.end())
    await http.drain()
    return keep


async def _send_cut_json(
    http: HTTPConnection, reply: JSONReply, headers: Iterable[tuple[str, str]]
) -> bool:
    """The head of a JSON answer and only the first `cut_after` bytes of its body, then close."""
    data = json.dumps(reply.body, ensure_ascii=False).encode()
    head = [
        ("content-type", "application/json; charset=utf-8"),
        ("content-length", str(len(data))),
        _connection(False),
        *headers,
    ]
    http.write(http.head(reply.status, head), http.body(data)[: reply.cut_after])
    await http.drain()
    return False


def _sse_head(
    http: HTTPConnection, status: int, keep: bool, headers: Iterable[tuple[str, str]]
) -> bytes:
    return http.head(
        status,
        [
            ("content-type", "text/event-stream"),
            ("cache-control", "no-cache"),
            ("transfer-encoding", "chunked"),
            _connection(keep),
            *headers,
        ],
    )


def _event_bytes(event: Any) -> bytes:
    if isinstance(event, str):
        return event.encode()
    return b"data: " + json.dumps(event, ensure_ascii=False).encode() + b"\n\n"


_DONE = b"data: [DONE]\n\n"


async def _send_sse(
    http: HTTPConnection,
    status: int,
    events: Sequence[Any],
    done: bool,
    headers: Iterable[tuple[str, str]],
) -> bool:
    """A whole event stream in one write: one HTTP chunk per event."""
    parts = [_sse_head(http, status, True, headers)]
    parts += [http.body(_event_bytes(e)) for e in events]
    if done:
        parts.append(http.body(_DONE))
    parts.append(http.end())
    http.write(*parts)
    await http.drain()
    return True


async def _send_scripted_sse(
    http: HTTPConnection, reply: SSEReply, headers: Iterable[tuple[str, str]]
) -> bool:
    """A scripted stream, event by event, optionally cut short."""
    events = [_event_bytes(e) for e in reply.events]
    if reply.done:
        events.append(_DONE)
    cut = reply.cut_after
    http.write(_sse_head(http, reply.status, cut is None, headers))
    for index, data in enumerate(events):
        if cut is not None and index >= cut:
            if reply.cut_inside:
                http.write(cut_inside(http.body(data), data))
            await http.drain()
            return False
        if reply.event_delay and index:
            await http.drain()
            await asyncio.sleep(reply.event_delay)
        http.write(http.body(data))
    if cut is not None:
        await http.drain()
        return False
    http.write(http.end())
    await http.drain()
    return True


def serve_forever(
    port: int = 0,
    host: str = "127.0.0.1",
    *,
    on_ready: Callable[[Emulator], None] | None = None,
    stop_event: threading.Event | None = None,
    **options: Any,
) -> None:
    """Run an emulator until Ctrl-C (or until `stop_event` is set): the CLI's server.

    `on_ready` is called with the running emulator (e.g. to print its base URL).
    """
    stop_event = stop_event or threading.Event()
    with Emulator(port, host, **options) as emulator:
        if on_ready is not None:
            on_ready(emulator)
        try:
            while not stop_event.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
