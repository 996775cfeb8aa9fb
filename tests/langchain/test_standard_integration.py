"""langchain-tests' `ChatModelIntegrationTests` against the loopback emulator.

One `Emulator` serves the whole module; its deterministic responder echoes the model,
streams reasoning (also in the first chunk), honours `include_usage`, derives forced
tool-call arguments from the prompt and answers JSON for `response_format`.

Skipped offline (they run in tests/live/test_langchain_live.py when AIML_API_KEY is set):
{skipped}

Every other test runs against the emulator; `test_stream_time` skips itself ("VCR not set
up": cassettes are not used, the `vcr` fixture here is a stand-in). Image and PDF request
shapes are covered offline in test_lc_wire.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from ernie_aiml.emulator import Emulator
from langchain_tests.integration_tests import ChatModelIntegrationTests
from lc_support import ErnieSuiteConfig

#: test name -> why the emulator cannot honestly pass it.
OFFLINE_SKIPS: dict[str, str] = {
    "test_image_inputs": "downloads its image fixture from the internet (offline lane: 127.0.0.1 only)",
    "test_pdf_inputs": "downloads its PDF fixture from the internet (offline lane: 127.0.0.1 only)",
}

__doc__ = (__doc__ or "").format(
    skipped="\n".join(f"- {name}: {why}" for name, why in OFFLINE_SKIPS.items()) or "- none"
)


@pytest.fixture(scope="module")
def emulator_url() -> Iterator[str]:
    """One emulator for the module."""
    with Emulator() as emu:
        yield emu.base_url


@pytest.fixture
def vcr() -> None:
    """Stand-in for pytest-recording's fixture: this package records no cassettes."""
    return None


@pytest.fixture(autouse=True)
def _offline_skips(request: pytest.FixtureRequest) -> None:
    name = request.node.originalname or request.node.name
    if name in OFFLINE_SKIPS:
        pytest.skip(OFFLINE_SKIPS[name])


class TestChatErnieAIMLEmulator(ErnieSuiteConfig, ChatModelIntegrationTests):
    """The standard suite on ernie-5.0 (reasoning, tools, vision, PDF) via the emulator."""

    @pytest.fixture(autouse=True)
    def _base_url(self, emulator_url: str) -> None:
        self._url = emulator_url

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "baidu/ernie-5.0", "api_key": "test-key", "base_url": self._url}
