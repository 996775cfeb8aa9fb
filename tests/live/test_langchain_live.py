"""The whole langchain-tests integration suite against the real AI/ML API.

Runs only when AIML_API_KEY is set (marked `live`, sockets enabled for these tests);
skipped, never faked, otherwise. Multimodal tests download their fixtures from the
internet, as upstream intends.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest
from langchain_tests.integration_tests import ChatModelIntegrationTests

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "langchain"))
from lc_support import ErnieSuiteConfig

pytestmark = [
    pytest.mark.live,
    pytest.mark.enable_socket,
    pytest.mark.skipif(not os.environ.get("AIML_API_KEY"), reason="AIML_API_KEY is not set"),
]


@pytest.fixture
def vcr() -> None:
    """Stand-in for pytest-recording's fixture: no cassettes are recorded."""
    return None


class TestChatErnieAIMLLive(ErnieSuiteConfig, ChatModelIntegrationTests):
    """The standard suite on baidu/ernie-5.0 (reasoning, tools, vision, PDF)."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "baidu/ernie-5.0"}
