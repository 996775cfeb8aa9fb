"""Server errors become classes that are both the core's and LangChain's; the key never leaks."""

from __future__ import annotations

import json
import pickle

import ernie_aiml
import pytest
from ernie_aiml.emulator import DropConnection, ErrorReply, RawReply, SSEReply
from langchain_core import exceptions as lc
from langchain_core.load import dumpd, dumps, load
from lc_support import model_for

import langchain_ernie_aiml as pkg
from langchain_ernie_aiml import ChatErnieAIML

CASES = [
    (
        400,
        "Body validation error",
        ernie_aiml.BadRequestError,
        lc.ModelInvalidRequestError,
        pkg.ErnieAIMLBadRequestError,
    ),
    (
        400,
        "This model's maximum context length is 128000 tokens",
        ernie_aiml.ContextOverflowError,
        lc.ContextOverflowError,
        pkg.ErnieAIMLContextOverflowError,
    ),
    (
        401,
        "This request requires a valid API key.",
        ernie_aiml.AuthenticationError,
        lc.ModelAuthenticationError,
        pkg.ErnieAIMLAuthenticationError,
    ),
    (
        403,
        "You've run out of credits.",
        ernie_aiml.PermissionDeniedError,
        lc.ModelPermissionDeniedError,
        pkg.ErnieAIMLPermissionDeniedError,
    ),
    (
        404,
        "Model not found",
        ernie_aiml.NotFoundError,
        lc.ModelNotFoundError,
        pkg.ErnieAIMLNotFoundError,
    ),
    (
        404,
        "Model is deprecated",
        ernie_aiml.DeprecatedModelError,
        lc.ModelNotFoundError,
        pkg.ErnieAIMLDeprecatedModelError,
    ),
    (
        429,
        "Too Many Requests",
        ernie_aiml.RateLimitError,
        lc.ModelRateLimitError,
        pkg.ErnieAIMLRateLimitError,
    ),
    (
        500,
        "Internal server error",
        ernie_aiml.ServerError,
        lc.ModelAPIError,
        pkg.ErnieAIMLServerError,
    ),
    (
        408,
        "Request timeout",
        ernie_aiml.RequestTimeoutStatusError,
        lc.ModelTimeoutError,
        pkg.ErnieAIMLRequestTimeoutError,
    ),
]
IDS = [f"{c[0]}-{c[4].__name__}" for c in CASES]


def _check(error: BaseException, status: int, message: str, core_cls, lc_cls, dual) -> None:
    assert type(error) is dual
    assert isinstance(error, core_cls)
    assert isinstance(error, lc_cls)
    assert isinstance(error.__cause__, core_cls)
    assert error.status_code == status
    assert message in str(error)
    assert error.request_id  # the flat body's requestId


@pytest.mark.parametrize(("status", "message", "core_cls", "lc_cls", "dual"), CASES, ids=IDS)
def test_invoke_errors(emulator, status, message, core_cls, lc_cls, dual) -> None:
    emulator.enqueue(ErrorReply(status, message))
    with pytest.raises(lc_cls) as info:
        model_for(emulator).invoke("Hi")
    _check(info.value, status, message, core_cls, lc_cls, dual)


@pytest.mark.parametrize(
    ("status", "message", "core_cls", "lc_cls", "dual"), CASES[:4], ids=IDS[:4]
)
async def test_ainvoke_and_astream_errors(
    emulator, status, message, core_cls, lc_cls, dual
) -> None:
    emulator.enqueue(ErrorReply(status, message), ErrorReply(status, message))
    with pytest.raises(lc_cls) as info:
        await model_for(emulator).ainvoke("Hi")
    _check(info.value, status, message, core_cls, lc_cls, dual)
    with pytest.raises(core_cls) as info:
        async for _ in model_for(emulator).astream("Hi"):
            pass
    _check(info.value, status, message, core_cls, lc_cls, dual)


def test_retryable_flags_follow_langchain() -> None:
    assert pkg.ErnieAIMLRateLimitError("x").is_retryable
    assert pkg.ErnieAIMLServerError("x").is_retryable
    assert not pkg.ErnieAIMLBadRequestError("x").is_retryable


def test_error_inside_stream(emulator) -> None:
    events = [{"error": {"message": "upstream exploded", "code": 500}}]
    emulator.enqueue(SSEReply(events))
    with pytest.raises(lc.ModelAPIError, match="upstream exploded") as info:
        list(model_for(emulator).stream("Hi"))
    assert isinstance(info.value, ernie_aiml.StreamError)


def test_connection_dropped(emulator) -> None:
    emulator.enqueue(DropConnection())
    with pytest.raises(lc.ModelConnectionError) as info:
        model_for(emulator).invoke("Hi")
    assert isinstance(info.value, ernie_aiml.APIConnectionError)


def test_gateway_html_error(emulator) -> None:
    emulator.enqueue(RawReply(502, b"<html><body><h1>502 Bad Gateway</h1></body></html>"))
    with pytest.raises(pkg.ErnieAIMLServerError, match="502 Bad Gateway"):
        model_for(emulator).invoke("Hi")


def test_retries_then_success(emulator) -> None:
    emulator.enqueue(ErrorReply(500, "boom", headers={"retry-after-ms": "1"}))
    message = model_for(emulator, max_retries=1).invoke("Hello")
    assert message.content
    assert len(emulator.chat_requests) == 2


SECRET = "sk-SECRET-do-not-leak-123"


@pytest.mark.filterwarnings("ignore:The function `load` is in beta")
def test_key_never_in_repr_str_dumps_or_errors(emulator, monkeypatch) -> None:
    model = ChatErnieAIML(api_key=SECRET, base_url=emulator.base_url, max_retries=0)
    assert SECRET not in repr(model)
    assert SECRET not in str(model)
    assert SECRET not in dumps(model)
    assert SECRET not in json.dumps(dumpd(model))
    assert SECRET not in repr(model.aiml_client)
    assert SECRET not in str(model.model_dump())
    emulator.enqueue(ErrorReply(401, "This request requires a valid API key."))
    with pytest.raises(lc.ModelAuthenticationError) as info:
        model.invoke("Hi")
    assert SECRET not in str(info.value) and SECRET not in repr(info.value)
    assert emulator.requests[-1].headers["authorization"] == f"Bearer {SECRET}"
    # the serialised form keeps a reference, the key comes back from the environment
    assert dumpd(model)["kwargs"]["api_key"] == {"lc": 1, "type": "secret", "id": ["AIML_API_KEY"]}
    monkeypatch.setenv("AIML_API_KEY", "from-env")
    loaded = load(
        dumpd(model),
        allowed_objects=[ChatErnieAIML],
        valid_namespaces=["langchain_ernie_aiml"],
        secrets_from_env=True,
    )
    assert isinstance(loaded, ChatErnieAIML)
    assert loaded.api_key.get_secret_value() == "from-env"


def test_pickle_round_trip_drops_key_and_client(emulator, monkeypatch) -> None:
    model = ChatErnieAIML(api_key=SECRET, base_url=emulator.base_url, max_retries=0)
    model.invoke("Hello")  # makes the core client (a lock, a weak dict): must still pickle
    data = pickle.dumps(model)
    assert SECRET.encode() not in data
    assert model.api_key.get_secret_value() == SECRET  # the original keeps its key
    monkeypatch.setenv("AIML_API_KEY", "from-env")
    loaded = pickle.loads(data)
    assert loaded.api_key.get_secret_value() == "from-env"
    assert (loaded.base_url, loaded.model_name) == (emulator.base_url, model.model_name)
    assert loaded.aiml_client is not model.aiml_client
    assert loaded.invoke("Hello").content == 'You said: "Hello"'
    assert emulator.requests[-1].headers["authorization"] == "Bearer from-env"


def test_unpickled_without_key_in_env_fails_clearly(emulator, monkeypatch) -> None:
    data = pickle.dumps(ChatErnieAIML(api_key=SECRET, base_url=emulator.base_url))
    monkeypatch.delenv("AIML_API_KEY", raising=False)
    monkeypatch.delenv("AIMLAPI_API_KEY", raising=False)
    with pytest.raises(
        ernie_aiml.MissingAPIKeyError,
        match=r"ChatErnieAIML is pickled without its API key: set AIML_API_KEY or AIMLAPI_API_KEY",
    ):
        pickle.loads(data)
    assert emulator.requests == []


def test_missing_key_raises_at_construction(monkeypatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    with pytest.raises(ernie_aiml.MissingAPIKeyError, match="AIML_API_KEY"):
        ChatErnieAIML()


def test_key_from_env_order(monkeypatch) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", "second")
    assert ChatErnieAIML().api_key.get_secret_value() == "second"
    monkeypatch.setenv("AIML_API_KEY", "first")
    assert ChatErnieAIML().api_key.get_secret_value() == "first"
    assert ChatErnieAIML(api_key="arg").api_key.get_secret_value() == "arg"


def test_plain_http_to_remote_host_refused_before_sending() -> None:
    model = ChatErnieAIML(api_key=SECRET, base_url="http://example.com/v1")
    with pytest.raises(ernie_aiml.InsecureTransportError) as info:
        model.invoke("Hi")
    assert SECRET not in str(info.value)
