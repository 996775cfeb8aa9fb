"""langchain-tests' `ChatModelUnitTests` for `ChatErnieAIML`, in full (no overrides).

`test_serdes` loads with `allowed_objects="all"`, which in langchain-core 1.7 only admits
classes listed in langchain-core's own serialisation mapping; the fixture below lists this
class there for the test, as a langchain-core mapping entry would. Users load it with
`allowed_objects=[ChatErnieAIML]` (tested in test_lc_errors.py).
"""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from langchain_tests.unit_tests import ChatModelUnitTests
from lc_support import ErnieSuiteConfig

lc_load = importlib.import_module("langchain_core.load.load")
_CLASS_PATH = ("langchain_ernie_aiml", "chat_models", "ChatErnieAIML")


@pytest.fixture(autouse=True)
def _listed_as_partner(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make `allowed_objects="all"` admit this class, as a langchain-core entry would."""
    monkeypatch.setitem(lc_load.ALL_SERIALIZABLE_MAPPINGS, _CLASS_PATH, _CLASS_PATH)
    monkeypatch.setattr(lc_load, "_default_class_paths_cache", {})


class TestChatErnieAIMLUnit(ErnieSuiteConfig, ChatModelUnitTests):
    """Construction, tool binding, structured output, standard params, serdes."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"model": "baidu/ernie-5.0", "api_key": "test-key"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {"AIML_API_KEY": "env-key", "AIML_API_BASE": "https://example.invalid/v1"},
            {"model": "baidu/ernie-4.5-vl-424b-a47b"},
            {"api_key": "env-key", "model_name": "baidu/ernie-4.5-vl-424b-a47b"},
        )
