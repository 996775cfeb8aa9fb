"""What each package pulls in at import time: the core is framework-free, adapters stay apart."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint('\\n'.join(sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    return set(out.split())


def _top(mods: set[str]) -> set[str]:
    return {
        m.split(".")[0] + ("." + m.split(".")[1] if m.startswith("llama_index.") else "")
        for m in mods
    }


def test_core_imports_no_framework_and_no_openai() -> None:
    mods = _top(_modules_after("import ernie_aiml"))
    assert not mods & {"langchain_core", "llama_index.core", "openai", "httpx"}


def test_core_client_loads_httpx_only_when_used() -> None:
    mods = _top(_modules_after("import ernie_aiml; ernie_aiml.AIMLClient"))
    assert "httpx" in mods
    assert not mods & {"langchain_core", "llama_index.core", "openai"}


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("from langchain_ernie_aiml import ChatErnieAIML", {"llama_index.core", "openai"}),
        ("from llama_index_ernie_aiml import ErnieAIML", {"langchain_core", "openai"}),
        ("from llama_index.llms.ernie_aiml import ErnieAIML", {"langchain_core", "openai"}),
    ],
)
def test_adapters_do_not_import_the_other_framework(statement: str, forbidden: set[str]) -> None:
    assert not _top(_modules_after(statement)) & forbidden


@pytest.mark.parametrize(
    "statement",
    [
        "import ernie_aiml; ernie_aiml.AIMLClient; ernie_aiml.track_usage",
        "from langchain_ernie_aiml import ChatErnieAIML",
        "from llama_index_ernie_aiml import ErnieAIML",
    ],
)
def test_nothing_but_the_ray_runner_imports_ray(statement: str) -> None:
    assert not _top(_modules_after(statement)) & {"ray", "pyarrow"}


def test_redis_is_imported_only_when_a_store_is_used() -> None:
    unused = "import ernie_aiml\nwith ernie_aiml.track_usage(max_calls=1): ernie_aiml.AIMLClient"
    assert "redis" not in _top(_modules_after(unused))
    # a shared budget or rate limit made (validated) but not yet used: still no redis
    made = (
        "import ernie_aiml; ernie_aiml.RateLimiter(store='redis://127.0.0.1:1/0', name='a', rpm=1)"
    )
    assert "redis" not in _top(_modules_after(made))
