"""Construction: metadata per model, where the key comes from, key hygiene, early errors."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
import warnings
from typing import Any

import pytest
from ernie_aiml import AuthenticationError, MissingAPIKeyError, ParameterError
from ernie_aiml.emulator import ErrorReply
from li_support import KEY
from llama_index.core.base.llms.types import ChatMessage
from llama_index.core.callbacks import CallbackManager, CBEventType, LlamaDebugHandler
from llama_index.core.llms.function_calling import FunctionCallingLLM

from llama_index_ernie_aiml import ErnieAIML

USER = [ChatMessage(role="user", content="Hi")]


@pytest.mark.parametrize(
    ("model", "context_window", "function_calling"),
    [
        ("baidu/ernie-5.0", 128_000, True),
        ("ernie-5.0", 128_000, True),
        ("baidu/ernie-4.5-vl-424b-a47b", 123_000, True),
        ("baidu/ernie-4.5-0.3b", 120_000, False),
        ("baidu/ernie-x1-turbo-32k", 32_000, False),
        ("baidu/ernie-6.0-future", 32_000, True),  # unknown: a safe default, tools assumed
    ],
)
def test_metadata_per_model(model: str, context_window: int, function_calling: bool) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated models warn once per process
        llm = ErnieAIML(model=model, api_key=KEY)
    meta = llm.metadata
    assert meta.context_window == context_window
    assert meta.is_chat_model is True
    assert meta.is_function_calling_model is function_calling
    assert meta.model_name == model
    assert meta.num_output == 4096


def test_metadata_overrides() -> None:
    llm = ErnieAIML(api_key=KEY, context_window=50_000, max_tokens=1000)
    assert llm.metadata.context_window == 50_000
    assert llm.metadata.num_output == 1000


def test_is_a_function_calling_llm_with_own_class_name() -> None:
    llm = ErnieAIML(api_key=KEY)
    assert isinstance(llm, FunctionCallingLLM)
    assert ErnieAIML.class_name() == "ErnieAIML"
    assert llm.model == "baidu/ernie-5.0"
    assert llm.max_retries == 2


def test_every_core_generation_parameter_is_a_field() -> None:
    from ernie_aiml.integration import FIELD_PARAMS

    assert set(FIELD_PARAMS) <= set(ErnieAIML.model_fields)


def test_import_paths() -> None:
    from llama_index.llms.ernie_aiml import ErnieAIML as Conventional

    assert Conventional is ErnieAIML


def test_package_import_is_lazy() -> None:
    code = (
        "import sys, llama_index_ernie_aiml as m;"
        "print('llama_index.core' in sys.modules, dir(m), m.ErnieAIML.__name__,"
        " 'llama_index.core' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False ['ErnieAIML', 'tokenizer'] ErnieAIML True"


def test_import_does_not_pull_langchain_or_openai() -> None:
    code = (
        "import sys, llama_index_ernie_aiml;"
        "from llama_index.llms.ernie_aiml import ErnieAIML;"
        "bad=[m for m in sys.modules if m.split('.')[0] in ('langchain_core','langchain','openai',"
        "'langchain_ernie_aiml')];print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --------------------------------------------------------------------------- keys


def test_key_from_aiml_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIML_API_KEY", "sk-from-env")
    monkeypatch.setenv("AIMLAPI_API_KEY", "sk-second")
    assert ErnieAIML().api_key.get_secret_value() == "sk-from-env"


def test_key_from_aimlapi_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", "sk-second")
    assert ErnieAIML().api_key.get_secret_value() == "sk-second"


def test_openai_api_key_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-leak")
    with pytest.raises(MissingAPIKeyError) as info:
        ErnieAIML()
    assert "sk-openai-must-not-leak" not in str(info.value)


def test_key_sent_as_bearer(emulator, llm) -> None:
    llm.chat(USER)
    assert emulator.requests[-1].headers["authorization"] == f"Bearer {KEY}"


def test_key_never_serialised_or_shown(emulator, make_llm, recorder) -> None:
    debug = LlamaDebugHandler()
    llm = make_llm(callback_manager=CallbackManager([debug]))
    llm.chat(USER)
    list(llm.stream_chat(USER))
    texts = [
        repr(llm),
        str(llm),
        llm.to_json(),
        json.dumps(llm.to_dict()),
        str(llm.to_payload()),
        str(llm.model_dump()),
        llm.model_dump_json(),
        repr(llm._client),
    ]
    texts += [e.model_dump_json() for e in recorder.events]
    texts += [
        str(p) for pair in debug.get_event_pairs(CBEventType.LLM) for e in pair for p in [e.payload]
    ]
    assert recorder.events and debug.get_event_pairs(CBEventType.LLM)
    for text in texts:
        assert KEY not in text
    assert "api_key" not in llm.to_dict()


def test_round_trip_from_dict_keeps_config(monkeypatch: pytest.MonkeyPatch) -> None:
    llm = ErnieAIML(api_key=KEY, temperature=0.5, model="baidu/ernie-4.5-vl-424b-a47b")
    monkeypatch.setenv("AIML_API_KEY", "sk-env")
    again = ErnieAIML.from_dict(llm.to_dict())
    assert again.temperature == 0.5
    assert again.model == "baidu/ernie-4.5-vl-424b-a47b"
    assert again.api_key.get_secret_value() == "sk-env"


def test_pickle_holds_no_key_and_reloads_it_from_the_environment(
    emulator, make_llm, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm = make_llm(temperature=0.5, model="baidu/ernie-4.5-vl-424b-a47b")
    llm.chat(USER)  # the core client now holds pooled connections and locks
    data = pickle.dumps(llm)
    assert KEY.encode() not in data
    monkeypatch.setenv("AIML_API_KEY", "sk-env-after-load")
    again = pickle.loads(data)
    assert (again.temperature, again.model, again.base_url) == (
        0.5,
        "baidu/ernie-4.5-vl-424b-a47b",
        emulator.base_url,
    )
    assert again.metadata == llm.metadata
    assert again.api_key.get_secret_value() == "sk-env-after-load"
    assert again.chat(USER).message.content
    assert emulator.requests[-1].headers["authorization"] == "Bearer sk-env-after-load"
    assert llm.api_key.get_secret_value() == KEY  # the pickled instance is untouched


def test_pickle_key_from_aimlapi_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    data = pickle.dumps(ErnieAIML(api_key=KEY))
    monkeypatch.setenv("AIMLAPI_API_KEY", "sk-second")
    assert pickle.loads(data).api_key.get_secret_value() == "sk-second"


def test_unpickle_without_a_key_in_the_environment_fails_clearly(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = pickle.dumps(ErnieAIML(api_key=KEY))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-must-not-leak")
    with pytest.raises(
        MissingAPIKeyError,
        match=r"ErnieAIML is pickled without its API key: set AIML_API_KEY or AIMLAPI_API_KEY",
    ):
        pickle.loads(data)


def test_pickle_drops_caller_http_clients_without_touching_the_instance(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import httpx

    with httpx.Client() as client:
        llm = ErnieAIML(api_key=KEY, http_client=client)
        with pytest.warns(RuntimeWarning, match="pickled without its http_client"):
            data = pickle.dumps(llm)
        assert llm.http_client is client
    monkeypatch.setenv("AIML_API_KEY", "sk-env")
    assert pickle.loads(data).http_client is None


def test_server_error_does_not_carry_the_key(emulator, llm) -> None:
    emulator.enqueue(ErrorReply(401, "This request requires a valid API key."))
    with pytest.raises(AuthenticationError) as info:
        llm.chat(USER)
    assert "This request requires a valid API key." in str(info.value)
    assert KEY not in str(info.value) and KEY not in repr(info.value)


# --------------------------------------------------------------------------- early errors


BAD_SETTINGS = [
    ("temperature", 3.5, "temperature must be between 0 and 2 (got 3.5)"),
    ("top_p", 0.0, "top_p"),
    ("seed", 0, "seed"),
    ("stop", ["a", "b", "c", "d", "e"], "stop"),
    ("thinking_budget", 50, "thinking_budget"),
    ("enable_thinking", "yes", "enable_thinking"),
]


@pytest.mark.parametrize(("name", "value", "needle"), BAD_SETTINGS)
def test_bad_parameters_fail_at_construction(name: str, value: Any, needle: str) -> None:
    with pytest.raises(ParameterError) as info:
        ErnieAIML(api_key=KEY, **{name: value})
    assert needle in str(info.value)


def test_thinking_switch_only_where_the_model_has_one() -> None:
    with pytest.raises(ParameterError, match="enable_thinking"):
        ErnieAIML(api_key=KEY, model="baidu/ernie-4.5-vl-424b-a47b", enable_thinking=True)


def test_bad_per_call_parameter_fails_before_any_request(emulator, llm) -> None:
    with pytest.raises(ParameterError, match="temperature"):
        llm.chat(USER, temperature=9)
    with pytest.raises(ParameterError, match="temperature"):
        llm.stream_chat(USER, temperature=9)
    assert emulator.requests == []


def test_empty_messages_rejected(emulator, llm) -> None:
    with pytest.raises(ParameterError):
        llm.chat([])
    assert emulator.requests == []
