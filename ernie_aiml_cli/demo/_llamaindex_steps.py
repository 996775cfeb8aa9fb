"""Demo steps 3 and 4: LlamaIndex's `ErnieAIML` answering over BM25-retrieved docs, and as an agent."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, TextIO

from ..chat import StreamPrinter
from ._corpus import corpus_files
from ._tools import model_facts

if TYPE_CHECKING:
    from ._runner import Backend

RAG_QUESTION = "How do I add up the credits used by many calls?"
AGENT_PROMPT = (
    'Use the model_facts tool: can "baidu/ernie-4.5-vl-424b-a47b" read PDFs, '
    "and how large is its context window?"
)


def llama_llm(backend: Backend, **kwargs: Any) -> Any:
    """An `ErnieAIML` pointed at the demo's backend."""
    from llama_index_ernie_aiml import ErnieAIML

    return ErnieAIML(
        model=backend.model, api_key=backend.api_key, base_url=backend.base_url, **kwargs
    )


def corpus_nodes() -> list[Any]:
    """One node per paragraph of the shipped docs, tagged with its file name.

    Paragraphs are split here rather than by `SentenceSplitter`, whose sentence tokenizer
    reads NLTK data files that NLTK refuses to open when an installer hard-linked them.
    """
    from llama_index.core.schema import TextNode

    nodes = []
    for name, text in corpus_files().items():
        for paragraph in text.split("\n\n"):
            paragraph = " ".join(paragraph.split())
            if paragraph and not paragraph.startswith("#"):
                nodes.append(TextNode(text=paragraph, metadata={"file_name": name}))
    return nodes


def build_retriever(top_k: int = 3) -> Any:
    """A BM25 retriever over the shipped corpus: real ranking, fully offline, no embeddings."""
    from llama_index.retrievers.bm25 import BM25Retriever

    return BM25Retriever.from_defaults(nodes=corpus_nodes(), similarity_top_k=top_k)


def rag_over_docs(backend: Backend, out: TextIO) -> None:
    """Retrieve with BM25, answer with ErnieAIML, print the answer and its sources."""
    from llama_index.core.query_engine import RetrieverQueryEngine

    engine = RetrieverQueryEngine.from_args(build_retriever(), llm=llama_llm(backend))
    out.write(f"question: {RAG_QUESTION}\n")
    response = engine.query(RAG_QUESTION)
    out.write(f"answer: {str(response).strip()}\nsources:\n")
    for hit in response.source_nodes:
        name = hit.node.metadata.get("file_name", "?")
        out.write(f"  - {name} (BM25 score {hit.score or 0.0:.2f})\n")


def agent_with_tool(backend: Backend, out: TextIO) -> None:
    """A FunctionAgent calls a real tool; its thinking and answer stream as they come."""
    asyncio.run(_run_agent(backend, out))


async def _run_agent(backend: Backend, out: TextIO) -> None:
    from llama_index.core.agent.workflow import AgentStream, FunctionAgent, ToolCallResult
    from llama_index.core.tools import FunctionTool

    agent = FunctionAgent(
        tools=[FunctionTool.from_defaults(fn=model_facts)],
        llm=llama_llm(backend, enable_thinking=True),
        system_prompt="You answer questions about ERNIE models. Use the tools you are given.",
    )
    out.write(f"you: {AGENT_PROMPT}\n")
    printer = StreamPrinter(out)
    handler = agent.run(user_msg=AGENT_PROMPT)
    async for event in handler.stream_events():
        if isinstance(event, AgentStream):
            printer.reasoning(event.thinking_delta)
            printer.answer(event.delta)
        elif isinstance(event, ToolCallResult):
            printer.end()
            out.write(f"tool call: {event.tool_name}({event.tool_kwargs}) -> {event.tool_output}\n")
    await handler
    printer.end()
