"""Framework conventions: tracing params, profiles, identity, batching, lazy imports."""

from __future__ import annotations

import subprocess
import sys
import warnings

import ernie_aiml
import pytest
from ernie_aiml import RetryPolicy
from ernie_aiml.emulator import ErrorReply
from langchain_core.load import dumpd
from lc_support import model_for

from langchain_ernie_aiml import ChatErnieAIML


def test_llm_type_and_ls_params() -> None:
    model = ChatErnieAIML(api_key="k", temperature=0.3, max_tokens=50, stop="END")
    assert model._llm_type == "chat-ernie-aiml"
    assert model._get_ls_params() == {
        "ls_provider": "ernie_aiml",
        "ls_model_type": "chat",
        "ls_model_name": "baidu/ernie-5.0",
        "ls_temperature": 0.3,
        "ls_max_tokens": 50,
        "ls_stop": ["END"],
    }
    override = model._get_ls_params(
        model="baidu/ernie-4.5-vl-424b-a47b", stop=["X"], temperature=1.0
    )
    assert override["ls_model_name"] == "baidu/ernie-4.5-vl-424b-a47b"
    assert (override["ls_stop"], override["ls_temperature"]) == (["X"], 1.0)


@pytest.mark.filterwarnings("ignore::ernie_aiml.UnknownModelWarning")
def test_profiles_come_from_the_catalog() -> None:
    ernie5 = ChatErnieAIML(api_key="k").profile
    assert ernie5 is not None
    assert ernie5["max_input_tokens"] == 128_000
    assert ernie5["reasoning_output"] and ernie5["image_inputs"] and ernie5["pdf_inputs"]
    assert ernie5["tool_calling"] and ernie5["status"] == "active"
    assert ernie5["structured_output"] is False  # create_agent takes the tool route (ToolStrategy)
    vl = ChatErnieAIML(api_key="k", model="baidu/ernie-4.5-vl-424b-a47b").profile
    assert vl["max_input_tokens"] == 123_000 and vl["reasoning_output"] is False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ernie_aiml.DeprecatedModelWarning)
        old = ChatErnieAIML(api_key="k", model="baidu/ernie-x1-turbo-32k").profile
    assert old["status"] == "deprecated" and old["tool_calling"] is False
    assert ChatErnieAIML(api_key="k", model="baidu/ernie-9").profile is None
    custom = ChatErnieAIML(api_key="k", profile={"max_input_tokens": 5})
    assert custom.profile == {"max_input_tokens": 5}


def test_deprecated_model_warns_at_construction(monkeypatch: pytest.MonkeyPatch) -> None:
    # A fresh once-per-process record for this test, the process's own restored after it.
    monkeypatch.setattr(ernie_aiml._catalog, "_warned", set())
    with pytest.warns(ernie_aiml.DeprecatedModelWarning, match="deprecated"):
        ChatErnieAIML(api_key="k", model="baidu/ernie-4.5-8k-preview")


def test_one_client_per_instance_and_identity() -> None:
    model = ChatErnieAIML(api_key="k", max_retries=5, timeout=12.5)
    assert model.aiml_client is model.aiml_client
    assert model.aiml_client.max_retries == 5
    assert model._identifying_params == {"model_name": "baidu/ernie-5.0"}
    assert ChatErnieAIML(api_key="k", model="ernie-5.0").model_name == "ernie-5.0"


def _recording_policy(max_retries: int) -> tuple[RetryPolicy, list[float]]:
    sleeps: list[float] = []

    async def async_sleep(seconds: float) -> None:
        sleeps.append(seconds)

    policy = RetryPolicy(max_retries=max_retries, sleep=sleeps.append, async_sleep=async_sleep)
    return policy, sleeps


def test_retry_policy_gets_retry_after_and_attempts(emulator) -> None:
    policy, sleeps = _recording_policy(max_retries=2)
    model = model_for(emulator, max_retries=0, retry_policy=policy)  # the policy wins
    assert model.aiml_client.retry_policy is policy
    emulator.enqueue(
        ErrorReply(429, "slow down", headers={"retry-after": "3"}),
        ErrorReply(503, "busy", headers={"retry-after": "7"}),
    )
    assert model.invoke("Hello").content == 'You said: "Hello"'
    assert sleeps == [3.0, 7.0]
    assert len(emulator.chat_requests) == 3


def test_retry_policy_budget_is_the_attempt_count(emulator) -> None:
    import asyncio

    from langchain_core.exceptions import ModelRateLimitError

    policy, sleeps = _recording_policy(max_retries=1)
    model = model_for(emulator, max_retries=5, retry_policy=policy)
    emulator.enqueue(*[ErrorReply(429, "slow down", headers={"retry-after": "2"})] * 2)
    with pytest.raises(ModelRateLimitError, match="slow down"):
        asyncio.run(model.ainvoke("Hello"))
    assert sleeps == [2.0]
    assert len(emulator.chat_requests) == 2


def test_retry_policy_is_not_serialised() -> None:
    policy, _ = _recording_policy(max_retries=4)
    model = ChatErnieAIML(api_key="k", retry_policy=policy)
    assert "retry_policy" not in dumpd(model)["kwargs"]
    assert "retry_policy" not in model.model_dump()
    assert "retry_policy" not in repr(model)
    assert model.retry_policy is policy


def test_batch_and_abatch(emulator) -> None:
    import asyncio

    model = model_for(emulator)
    answers = model.batch(["Hello one", "Hello two"])
    assert [a.content for a in answers] == ['You said: "Hello one"', 'You said: "Hello two"']
    answers = asyncio.run(model.abatch(["Hello three"]))
    assert answers[0].content == 'You said: "Hello three"'


def test_import_is_lazy_and_framework_pure() -> None:
    code = (
        "import sys, langchain_ernie_aiml;"
        "assert 'langchain_ernie_aiml.chat_models' not in sys.modules;"
        "langchain_ernie_aiml.ChatErnieAIML;"
        "assert not any(m.startswith('llama_index') for m in sys.modules), 'llama_index';"
        "assert 'openai' not in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
