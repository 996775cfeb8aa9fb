"""`ValidatingTransport`: httpx.MockTransport with the emulator's check of chat bodies, and
`watch_bodies`, the hook both doubles report their verdicts to."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from ernie_aiml import AIMLClient, BadRequestError
from ernie_aiml.emulator import BodyCheck, Emulator, ValidatingTransport, watch_bodies

URL = "http://127.0.0.1:9/v1/chat/completions"
VALID = {"model": "baidu/ernie-5.0", "messages": [{"role": "user", "content": "Hi"}]}
TOO_HOT = {**VALID, "temperature": 5}
TOO_HOT_DETAIL = "temperature: Number must be less than or equal to 2"
UNLISTED = {**VALID, "x_trace": "abc"}
ANSWER = {"id": "chatcmpl-1", "object": "chat.completion", "choices": []}


class Handler:
    """A MockTransport handler that answers 200 and counts what reached it."""

    def __init__(self) -> None:
        self.seen: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        return httpx.Response(200, json=ANSWER)


@pytest.fixture
def checks() -> Any:
    """Every verdict reached in this process while the test runs."""
    seen: list[BodyCheck] = []
    unwatch = watch_bodies(seen.append)
    yield seen
    unwatch()


def post(transport: httpx.BaseTransport, payload: Any, url: str = URL) -> httpx.Response:
    with httpx.Client(transport=transport) as http:
        if isinstance(payload, bytes):
            return http.post(url, content=payload)
        return http.post(url, json=payload)


def test_a_valid_body_reaches_the_handler(checks: list[BodyCheck]) -> None:
    handler = Handler()
    response = post(ValidatingTransport(handler), VALID)
    assert (response.status_code, response.json()) == (200, ANSWER)
    assert [json.loads(r.content) for r in handler.seen] == [VALID]
    assert [(c.model, c.valid, c.unlisted, c.source) for c in checks] == [
        ("baidu/ernie-5.0", True, (), "transport")
    ]


@pytest.mark.invalid_body
def test_an_invalid_body_gets_the_emulators_400_without_reaching_the_handler(
    emulator: Emulator, checks: list[BodyCheck]
) -> None:
    handler = Handler()
    response = post(ValidatingTransport(handler), TOO_HOT)
    assert handler.seen == []
    assert response.status_code == 400
    error = response.json()
    assert error["message"] == f"Body validation error: {TOO_HOT_DETAIL}"
    assert (error["path"], error["statusCode"]) == ("/v1/chat/completions", "400")
    assert response.headers["x-inference-id"]
    emulated = httpx.post(
        f"{emulator.base_url}/chat/completions",
        json=TOO_HOT,
        headers={"Authorization": "Bearer k"},
    )
    assert emulated.json()["message"] == error["message"]  # the same check, the same words
    assert [(c.problem, c.source) for c in checks] == [
        (TOO_HOT_DETAIL, "transport"),
        (TOO_HOT_DETAIL, "emulator"),
    ]


@pytest.mark.invalid_body
async def test_async_handlers_and_clients_get_the_same_check() -> None:
    reached: list[Any] = []

    async def handler(request: httpx.Request) -> httpx.Response:
        reached.append(json.loads(request.content))
        return httpx.Response(200, json=ANSWER)

    transport = ValidatingTransport(handler)
    async with httpx.AsyncClient(transport=transport) as http:
        ok = await http.post(URL, json=VALID)
        refused = await http.post(URL, json=TOO_HOT)
    assert (ok.status_code, refused.status_code) == (200, 400)
    assert reached == [VALID]


@pytest.mark.invalid_body
def test_the_client_sees_a_typed_error_with_the_message() -> None:
    handler = Handler()
    http = httpx.Client(transport=ValidatingTransport(handler))
    client = AIMLClient(api_key="sk-test", http_client=http, max_retries=0)
    with pytest.raises(BadRequestError, match=TOO_HOT_DETAIL):
        client.chat(TOO_HOT)
    assert handler.seen == []
    http.close()


@pytest.mark.unlisted_keys
def test_strict_refuses_keys_the_schema_does_not_list(checks: list[BodyCheck]) -> None:
    handler = Handler()
    assert post(ValidatingTransport(handler), UNLISTED).status_code == 200
    strict = post(ValidatingTransport(handler, strict=True), UNLISTED)
    assert strict.status_code == 400
    assert strict.json()["message"] == (
        "Body validation error: Unrecognized key(s) in object: 'x_trace'"
    )
    assert len(handler.seen) == 1
    assert [(c.valid, c.unlisted) for c in checks] == [(True, ("x_trace",))] * 2


@pytest.mark.invalid_body
def test_validate_false_answers_everything_and_still_reports(checks: list[BodyCheck]) -> None:
    handler = Handler()
    assert post(ValidatingTransport(handler, validate=False), TOO_HOT).status_code == 200
    assert len(handler.seen) == 1
    assert [(c.model, c.problem, c.source) for c in checks] == [
        ("baidu/ernie-5.0", TOO_HOT_DETAIL, "transport")
    ]


def test_a_body_that_is_not_json_is_refused() -> None:
    handler = Handler()
    response = post(ValidatingTransport(handler), b"not json")
    assert response.status_code == 400
    assert response.json()["message"] == "Body validation error: body must be a JSON object"
    assert handler.seen == []


def test_other_requests_pass_unchecked(checks: list[BodyCheck]) -> None:
    handler = Handler()
    transport = ValidatingTransport(handler)
    with httpx.Client(transport=transport) as http:
        assert http.get("http://127.0.0.1:9/v1/models").status_code == 200
        assert http.post("http://127.0.0.1:9/v1/embeddings", json={}).status_code == 200
    assert len(handler.seen) == 2
    assert checks == []


# ------------------------------------------------------------------ watch_bodies


@pytest.mark.invalid_body
def test_watchers_see_every_verdict_until_they_stop(emulator: Emulator) -> None:
    first: list[BodyCheck] = []
    second: list[BodyCheck] = []
    stop_first = watch_bodies(first.append)
    stop_second = watch_bodies(second.append)
    client = AIMLClient(api_key="k", base_url=emulator.base_url, max_retries=0)
    client.chat(VALID)
    stop_first()
    stop_first()  # stopping twice is harmless
    with pytest.raises(BadRequestError):
        client.chat(TOO_HOT)
    stop_second()
    client.chat(VALID)
    client.close()
    assert [c.valid for c in first] == [True]
    assert [(c.valid, c.problem) for c in second] == [(True, None), (False, TOO_HOT_DETAIL)]
    assert second[1].body == TOO_HOT  # the body as the emulator parsed it
