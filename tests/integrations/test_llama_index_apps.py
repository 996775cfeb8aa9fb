"""LlamaIndex applications on ErnieAIML: query and chat engines, a router, an ingestion pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import llama_index.core
import pytest
from int_support import KEY, MODEL, Contains, call, reply
from llama_index.core import Document, VectorStoreIndex
from llama_index.core.embeddings import MockEmbedding
from llama_index.core.extractors import TitleExtractor
from llama_index.core.ingestion import IngestionPipeline
from llama_index.core.node_parser import SentenceSplitter
from llama_index.core.query_engine import RouterQueryEngine
from llama_index.core.selectors import PydanticSingleSelector
from llama_index.core.tools import QueryEngineTool

from llama_index_ernie_aiml import ErnieAIML

ERNIE = "ERNIE 5.0 has a context window of 128,000 tokens."
PARIS = "Paris is the capital of France."
QA_SYSTEM = Contains("You are an expert Q&A system")
TIKTOKEN_CACHE = Path(llama_index.core.__file__).parent / "_static" / "tiktoken_cache"


def _llm(emulator: Any) -> ErnieAIML:
    return ErnieAIML(api_key=KEY, base_url=emulator.base_url, max_retries=0)


def _index(*texts: str) -> VectorStoreIndex:
    documents = [Document(text=text) for text in texts]
    return VectorStoreIndex.from_documents(documents, embed_model=MockEmbedding(embed_dim=8))


def _qa_prompt(context: str, query: str) -> str:
    return (
        f"Context information is below.\n---------------------\n{context}\n"
        "---------------------\nGiven the context information and not prior knowledge, "
        f"answer the query.\nQuery: {query}\nAnswer: "
    )


def test_query_engine_over_a_vector_index(emulator) -> None:
    engine = _index(ERNIE).as_query_engine(llm=_llm(emulator))
    response = engine.query("How large is the ERNIE 5.0 context window?")

    assert str(response) == f'According to the context: "{ERNIE}"'
    assert [n.node.get_content() for n in response.source_nodes] == [ERNIE]
    assert [r.json for r in emulator.chat_requests] == [
        {
            "model": MODEL,
            "messages": [
                {"role": "system", "content": QA_SYSTEM},
                {
                    "role": "user",
                    "content": _qa_prompt(ERNIE, "How large is the ERNIE 5.0 context window?"),
                },
            ],
        }
    ]


async def test_streaming_query_engine(emulator) -> None:
    engine = _index(ERNIE).as_query_engine(llm=_llm(emulator), streaming=True)
    response = await engine.aquery("How large is the ERNIE 5.0 context window?")
    text = "".join([token async for token in response.async_response_gen()])

    assert text == f'According to the context: "{ERNIE}"'
    (body,) = [r.json for r in emulator.chat_requests]
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["messages"][1]["content"] == _qa_prompt(
        ERNIE, "How large is the ERNIE 5.0 context window?"
    )


def test_condense_plus_context_chat_engine(emulator) -> None:
    emulator.enqueue(
        reply("Paris."),
        reply("How large is the ERNIE 5.0 context window?"),
        reply("128,000 tokens."),
    )
    engine = _index(ERNIE, PARIS).as_chat_engine(
        chat_mode="condense_plus_context", llm=_llm(emulator), similarity_top_k=2
    )
    assert str(engine.chat("What is the capital of France?")) == "Paris."
    assert str(engine.chat("And the ERNIE 5.0 context window?")) == "128,000 tokens."

    context = Contains("Here are the relevant documents for the context:", PARIS, ERNIE)
    first, condense, answer = (r.json for r in emulator.chat_requests)
    assert first == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": context},
            {"role": "user", "content": "What is the capital of France?"},
        ],
    }
    assert condense == {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": Contains(
                    "Chat History:\n  user: What is the capital of France?\nassistant: Paris.",
                    "Follow Up Input: And the ERNIE 5.0 context window?",
                ),
            }
        ],
    }
    assert answer == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": context},
            {"role": "user", "content": "What is the capital of France?"},
            {"role": "assistant", "content": "Paris."},
            {"role": "user", "content": "And the ERNIE 5.0 context window?"},
        ],
    }


def test_router_query_engine_with_a_pydantic_single_selector(emulator) -> None:
    emulator.enqueue(
        reply(calls=[call("call_s1", "SingleSelection", {"index": 2, "reason": "a city"})]),
        reply("Paris."),
    )
    llm = _llm(emulator)
    tools = [
        QueryEngineTool.from_defaults(
            _index(ERNIE).as_query_engine(llm=llm),
            name="ernie_facts",
            description="Facts about ERNIE models.",
        ),
        QueryEngineTool.from_defaults(
            _index(PARIS).as_query_engine(llm=llm),
            name="geography",
            description="Facts about cities and countries.",
        ),
    ]
    router = RouterQueryEngine(
        selector=PydanticSingleSelector.from_defaults(llm=llm), query_engine_tools=tools, llm=llm
    )
    response = router.query("What is the capital of France?")

    assert str(response) == "Paris."
    (selection,) = response.metadata["selector_result"].selections
    assert (selection.index, selection.reason) == (1, "a city")  # 1-based on the wire
    select, answer = (r.json for r in emulator.chat_requests)
    assert select == {
        "model": MODEL,
        "messages": [
            {
                "role": "user",
                "content": Contains(
                    "(1) Facts about ERNIE models.\n\n(2) Facts about cities and countries.",
                    "'What is the capital of France?'",
                ),
            }
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "SingleSelection",
                    "description": "A single selection of a choice.",
                    "parameters": {
                        "type": "object",
                        "properties": {"index": {"type": "integer"}, "reason": {"type": "string"}},
                        "required": ["index", "reason"],
                    },
                },
            }
        ],
        "tool_choice": "required",
        "parallel_tool_calls": False,
    }
    assert answer == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": QA_SYSTEM},
            {"role": "user", "content": _qa_prompt(PARIS, "What is the capital of France?")},
        ],
    }


def _title_prompts(text: str) -> tuple[str, str]:
    """TitleExtractor's two prompts for a one-node document, as the emulator echoes them."""
    candidate = (
        f"Context: {text}. Give a title that summarizes all of the unique entities, titles "
        "or themes found in the context. Title: "
    )
    combine = (
        f'You said: "{candidate}". Based on the above candidate titles and content, what is '
        "the comprehensive title for this document? Title: "
    )
    return candidate, combine


def test_ingestion_pipeline_with_an_llm_extractor_in_two_worker_processes(
    emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The workers are spawned processes: the pickled LLM takes its key from the environment,
    # and tiktoken reads llama-index-core's bundled cache instead of downloading.
    monkeypatch.setenv("AIML_API_KEY", KEY)
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(TIKTOKEN_CACHE))
    texts = [ERNIE, PARIS, "The Yangtze is the longest river in Asia.", "Baidu is in Beijing."]
    pipeline = IngestionPipeline(
        transformations=[
            SentenceSplitter(chunk_size=64, chunk_overlap=0),
            TitleExtractor(llm=ErnieAIML(base_url=emulator.base_url, max_retries=0), nodes=1),
        ]
    )
    nodes = pipeline.run(
        documents=[Document(text=t, doc_id=f"doc-{i}") for i, t in enumerate(texts)],
        num_workers=2,
    )

    assert {n.ref_doc_id: n.metadata["document_title"] for n in nodes} == {
        f"doc-{i}": f'You said: "{_title_prompts(t)[1]}"' for i, t in enumerate(texts)
    }
    requests = emulator.chat_requests
    assert {r.headers["authorization"] for r in requests} == {f"Bearer {KEY}"}
    prompts = sorted(p for t in texts for p in _title_prompts(t))
    assert sorted(r.json["messages"][0]["content"] for r in requests) == prompts
    shapes = [
        (r.json["model"], [m["role"] for m in r.json["messages"]], sorted(r.json)) for r in requests
    ]
    assert shapes == [(MODEL, ["user"], ["messages", "model"])] * len(prompts)
