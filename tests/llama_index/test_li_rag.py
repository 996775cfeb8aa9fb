"""A RAG pipeline on the emulator: index, retrieve by meaning, answer with ErnieAIML."""

from __future__ import annotations

import hashlib
import math
import re

import pytest
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.base.embeddings.base import BaseEmbedding
from llama_index.core.chat_engine.types import ChatMode

DIM = 256
DOCS = [
    "The Eiffel Tower is in Paris and was finished in 1889.",
    "ERNIE is a family of large language models built by Baidu.",
    "Photosynthesis turns sunlight, water and carbon dioxide into sugar.",
    "The Great Wall of China is thousands of kilometres long.",
]
QUESTION = "Which company builds the ERNIE language models?"
PASSAGE = DOCS[1]


class HashEmbedding(BaseEmbedding):
    """Bag-of-words hashing: texts sharing words get close vectors, so retrieval is meaningful."""

    @classmethod
    def class_name(cls) -> str:
        return "HashEmbedding"

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * DIM
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % DIM] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def _get_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    async def _aget_query_embedding(self, query: str) -> list[float]:
        return self._vector(query)

    def _get_text_embedding(self, text: str) -> list[float]:
        return self._vector(text)


@pytest.fixture
def index() -> VectorStoreIndex:
    return VectorStoreIndex.from_documents(
        [Document(text=t) for t in DOCS], embed_model=HashEmbedding()
    )


def _check(emulator, answer: str, source_texts: list[str]) -> None:
    assert source_texts[0] == PASSAGE
    sent = "\n".join(str(m["content"]) for m in emulator.requests[-1].json["messages"])
    assert PASSAGE in sent  # the retrieved context reached the model
    assert QUESTION in sent
    assert answer == f'According to the context: "{PASSAGE}"'


def test_query_engine(emulator, llm, index) -> None:
    engine = index.as_query_engine(llm=llm, similarity_top_k=1)
    response = engine.query(QUESTION)
    _check(emulator, str(response), [n.node.get_content() for n in response.source_nodes])
    assert len(emulator.requests) == 1


def test_query_engine_streaming(emulator, llm, index) -> None:
    engine = index.as_query_engine(llm=llm, similarity_top_k=1, streaming=True)
    response = engine.query(QUESTION)
    pieces = list(response.response_gen)
    assert len(pieces) > 1
    _check(emulator, "".join(pieces), [n.node.get_content() for n in response.source_nodes])
    assert emulator.requests[-1].json["stream"] is True


async def test_query_engine_async(emulator, llm, index) -> None:
    engine = index.as_query_engine(llm=llm, similarity_top_k=1)
    response = await engine.aquery(QUESTION)
    _check(emulator, str(response), [n.node.get_content() for n in response.source_nodes])


async def test_query_engine_async_streaming(emulator, llm, index) -> None:
    engine = index.as_query_engine(llm=llm, similarity_top_k=1, streaming=True)
    response = await engine.aquery(QUESTION)
    pieces = [piece async for piece in response.async_response_gen()]
    _check(emulator, "".join(pieces), [n.node.get_content() for n in response.source_nodes])


def test_reasoning_never_leaks_into_the_answer(emulator, llm, index) -> None:
    # ernie-5.0 reasons (the emulator sends reasoning_content); the answer is text only
    engine = index.as_query_engine(llm=llm, similarity_top_k=1)
    assert "The user asks" not in str(engine.query(QUESTION))


def test_condense_plus_context_chat_engine(emulator, llm, index) -> None:
    engine = index.as_chat_engine(
        chat_mode=ChatMode.CONDENSE_PLUS_CONTEXT, llm=llm, similarity_top_k=1
    )
    response = engine.chat(QUESTION)
    sent = "\n".join(str(m["content"]) for m in emulator.requests[-1].json["messages"])
    assert PASSAGE in sent
    assert response.source_nodes[0].node.get_content() == PASSAGE
