"""Both adapters inside Ray tasks and actors: pickled by Ray without the key (the workers
read it from `runtime_env`), usable sync and async, the same answers as in this process,
and no warning (no "Event loop is closed", no unclosed client) in the worker."""

from __future__ import annotations

import asyncio
import gc
import pickle
import warnings
from typing import Any

import pytest
from ernie_aiml.emulator import Emulator
from ray_support import KEY

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")

QUESTIONS = ["What is Ray?", "Why batch?"]


def _in_worker(work: Any) -> tuple[Any, list[str]]:
    """Run `work()` recording every warning, including those of clients collected after."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = work()
        gc.collect()
    return result, [f"{w.category.__name__}: {w.message}" for w in caught]


def _chain(llm: Any) -> Any:
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.prompts import ChatPromptTemplate

    return ChatPromptTemplate.from_messages([("user", "{question}")]) | llm | StrOutputParser()


def _langchain_answers(llm: Any) -> dict[str, Any]:
    chain = _chain(llm)

    async def twice() -> list[str]:  # a fresh event loop for each `asyncio.run`
        return [await chain.ainvoke({"question": q}) for q in QUESTIONS]

    return {
        "sync": [chain.invoke({"question": q}) for q in QUESTIONS],
        "async": asyncio.run(twice()),
        "async again": asyncio.run(twice()),
    }


def _llama_index_answers(llm: Any) -> dict[str, Any]:
    from llama_index.core.llms import ChatMessage

    async def twice() -> list[str]:
        return [(await llm.acomplete(q)).text for q in QUESTIONS]

    return {
        "sync": [llm.complete(q).text for q in QUESTIONS],
        "chat": [
            llm.chat([ChatMessage(role="user", content=q)]).message.content for q in QUESTIONS
        ],
        "async": asyncio.run(twice()),
        "async again": asyncio.run(twice()),
    }


def test_the_pickled_adapters_hold_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from langchain_ernie_aiml import ChatErnieAIML
    from llama_index_ernie_aiml import ErnieAIML

    monkeypatch.setenv("AIML_API_KEY", KEY)
    for llm in (ChatErnieAIML(), ErnieAIML()):
        assert KEY.encode() not in pickle.dumps(llm)


def _chat_ernie_aiml(base_url: str) -> Any:
    from langchain_ernie_aiml import ChatErnieAIML

    return ChatErnieAIML(model="baidu/ernie-5.0", base_url=base_url)


def _ernie_aiml(base_url: str) -> Any:
    from llama_index_ernie_aiml import ErnieAIML

    return ErnieAIML(model="baidu/ernie-5.0", base_url=base_url)


@pytest.mark.parametrize(
    ("make", "answers_of"),
    [(_chat_ernie_aiml, _langchain_answers), (_ernie_aiml, _llama_index_answers)],
    ids=["ChatErnieAIML chain", "ErnieAIML query"],
)
def test_an_adapter_in_ray_tasks_and_actors_answers_as_locally(
    ray_cluster: Any, emu: Emulator, monkeypatch: pytest.MonkeyPatch, make: Any, answers_of: Any
) -> None:
    monkeypatch.setenv("AIML_API_KEY", KEY)  # here only: the workers get it from runtime_env
    llm = make(emu.base_url)
    local = answers_of(llm)
    llm.close()
    assert local["sync"] == [f'You said: "{q}"' for q in QUESTIONS]
    assert local["async"] == local["sync"] == local["async again"]

    task = ray_cluster.remote(lambda m: _in_worker(lambda: answers_of(m)))
    answers, caught = ray_cluster.get(task.remote(llm))
    assert answers == local
    assert caught == []

    @ray_cluster.remote
    class Holder:
        def __init__(self, model: Any) -> None:
            self.model = model

        def answers(self) -> tuple[Any, list[str]]:
            return _in_worker(lambda: answers_of(self.model))

    holder = Holder.remote(llm)
    for _ in range(2):  # the same instance, across calls and event loops in one actor
        answers, caught = ray_cluster.get(holder.answers.remote())
        assert answers == local
        assert caught == []
    ray_cluster.kill(holder)
