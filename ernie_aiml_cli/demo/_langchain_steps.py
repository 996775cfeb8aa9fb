"""Demo steps 1 and 2: LangChain's `ChatErnieAIML` streaming reasoning, calling tools, structuring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from pydantic import BaseModel, Field

from ..chat import StreamPrinter
from ._tools import multiply

if TYPE_CHECKING:
    from ._runner import Backend

STREAM_PROMPT = "In two sentences: why does a thinking model reason before it answers?"
TOOL_PROMPT = "What is 12.5 times 8? Use the multiply tool."
STRUCTURED_PROMPT = (
    "Context window: 123000 tokens. Sees images: yes. Describe this model as a card: "
    '"baidu/ernie-4.5-vl-424b-a47b".'
)


class ModelCard(BaseModel):
    """A structured description of one model, filled in by the LLM."""

    name: str = Field(description="the model id")
    context_window_tokens: int = Field(description="context window in tokens")
    supports_vision: bool = Field(description="whether the model accepts images")


def chat_model(backend: Backend, **kwargs: Any) -> Any:
    """A `ChatErnieAIML` pointed at the demo's backend."""
    from langchain_ernie_aiml import ChatErnieAIML

    return ChatErnieAIML(
        model=backend.model, api_key=backend.api_key, base_url=backend.base_url, **kwargs
    )


def streamed_reasoning(backend: Backend, out: TextIO) -> None:
    """Stream an answer from a thinking model: reasoning first and apart, then the answer."""
    llm = chat_model(backend, enable_thinking=True)
    out.write(f"you: {STREAM_PROMPT}\n")
    printer = StreamPrinter(out)
    for chunk in llm.stream(STREAM_PROMPT):
        printer.reasoning(chunk.additional_kwargs.get("reasoning_content"))
        printer.answer(chunk.text if isinstance(chunk.content, list) else chunk.content)
    printer.end()


def tools_and_structured_output(backend: Backend, out: TextIO) -> None:
    """Model -> real Python tool -> model, then `with_structured_output` into a Pydantic object."""
    from langchain_core.messages import HumanMessage, ToolMessage
    from langchain_core.tools import StructuredTool

    tool = StructuredTool.from_function(multiply)
    llm = chat_model(backend).bind_tools([tool])
    messages: list[Any] = [HumanMessage(TOOL_PROMPT)]
    out.write(f"you: {TOOL_PROMPT}\n")
    ai = llm.invoke(messages)
    messages.append(ai)
    for call in ai.tool_calls:
        args = ", ".join(f"{k}={v!r}" for k, v in call["args"].items())
        result = tool.invoke(call["args"])
        out.write(f"model calls: {call['name']}({args})\ntool result: {result!r}\n")
        messages.append(ToolMessage(content=str(result), tool_call_id=call["id"]))
    final = llm.invoke(messages)
    out.write(f"answer: {final.text}\n\n")

    out.write(f"you: {STRUCTURED_PROMPT}\n")
    card = chat_model(backend).with_structured_output(ModelCard).invoke(STRUCTURED_PROMPT)
    out.write(f"structured output: {card!r}\n")
