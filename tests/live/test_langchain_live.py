"""The whole langchain-tests integration suite against the real AI/ML API.

Runs only when AIML_API_KEY is set (marked `live`, sockets enabled for these tests);
skipped, never faked, otherwise. Multimodal tests download their fixtures from the
internet, as upstream intends.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

from langchain_ernie_aiml import ChatErnieAIML

pytestmark = [
    pytest.mark.live,
    pytest.mark.enable_socket,
    pytest.mark.skipif(not os.environ.get("AIML_API_KEY"), reason="AIML_API_KEY is not set"),
]


@pytest.fixture
def vcr() -> None:
    """Stand-in for pytest-recording's fixture: no cassettes are recorded."""
    return None


class TestChatErnieAIMLLive(ChatModelIntegrationTests):
    """The standard suite on baidu/ernie-5.0 (reasoning, tools, vision, PDF)."""

    @property
    def chat_model_class(self) -> type[ChatErnieAIML]:
        return ChatErnieAIML

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "baidu/ernie-5.0"}

    @property
    def has_tool_calling(self) -> bool:
        return True

    @property
    def has_tool_choice(self) -> bool:
        return True

    @property
    def has_structured_output(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_pdf_inputs(self) -> bool:
        return True

    @property
    def model_override_value(self) -> str:
        return "baidu/ernie-4.5-vl-424b-a47b"

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        return {"invoke": ["reasoning_output"], "stream": ["reasoning_output"]}

    def invoke_with_reasoning_output(self, *, stream: bool = False) -> Any:
        model = ChatErnieAIML(**self.chat_model_params)
        prompt = "Explain why the sky is blue, thinking step by step."
        if not stream:
            return model.invoke(prompt)
        full = None
        for chunk in model.stream(prompt):
            full = chunk if full is None else full + chunk
        return full
