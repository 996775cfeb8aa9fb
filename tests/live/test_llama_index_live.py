"""Live checks of `ErnieAIML` against the real AI/ML API (only with AIML_API_KEY set)."""

from __future__ import annotations

import os

import pytest

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not os.environ.get("AIML_API_KEY"), reason="needs AIML_API_KEY"),
    pytest.mark.enable_socket,
]


@pytest.fixture
def llm():
    from llama_index_ernie_aiml import ErnieAIML

    return ErnieAIML(model="baidu/ernie-5.0", max_tokens=2048, timeout=120)


def test_live_chat_with_reasoning(llm) -> None:
    from llama_index.core.base.llms.types import ChatMessage, TextBlock

    response = llm.chat([ChatMessage(role="user", content="Reply with the single word: pong")])
    assert "pong" in (response.message.content or "").lower()
    assert any(isinstance(b, TextBlock) for b in response.message.blocks)
    assert response.additional_kwargs["total_tokens"] > 0


async def test_live_astream_chat(llm) -> None:
    from llama_index.core.base.llms.types import ChatMessage

    gen = await llm.astream_chat([ChatMessage(role="user", content="Count from 1 to 5.")])
    responses = [r async for r in gen]
    assert "5" in (responses[-1].message.content or "")
    assert responses[-1].additional_kwargs.get("total_tokens", 0) > 0


async def test_live_function_agent(llm) -> None:
    from llama_index.core.agent.workflow import FunctionAgent

    def multiply(a: int, b: int) -> int:
        """Multiply two integers."""
        return a * b

    agent = FunctionAgent(tools=[multiply], llm=llm, system_prompt="Always use the tools.")
    result = await agent.run(user_msg="What is 123 times 456? Use the multiply tool.")
    assert "56088" in str(result).replace(",", "")
