"""The notebooks run top to bottom against the emulator (no key), in a kernel from this venv."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _kernel_env() -> dict[str, str]:
    """The kernel's environment: no key, no base URL, so the notebook starts its emulator."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML_", "AIMLAPI_"))}
    env.pop("OPENAI_API_KEY", None)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    return env


def _run(name: str, tmp_path: Path) -> str:
    """Execute a notebook; returns all its text outputs joined. Fails on any cell error."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name="python3",
        timeout=300,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute(env=_kernel_env())
    texts = []
    for cell in nb.cells:
        outputs = cell.get("outputs", [])
        for output in outputs:
            assert output.get("output_type") != "error", output
        # a busy kernel may split one print across stream outputs: join those as printed
        texts.append("".join(o.get("text", "") for o in outputs if o["output_type"] == "stream"))
        texts.extend(o.get("data", {}).get("text/plain", "") for o in outputs)
    return "\n".join(texts)


@pytest.mark.parametrize("name", ["langchain_quickstart.ipynb", "llamaindex_rag.ipynb"])
def test_notebooks_are_committed_without_outputs(name: str) -> None:
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    nbformat.validate(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [], cell.source[:60]
            assert cell.execution_count is None


def test_the_tracing_cell_says_it_needs_the_sdk() -> None:
    """`[otel]` installs only the API: the cell before the SDK import says what to install."""
    cells = nbformat.read(NOTEBOOKS / "langchain_quickstart.ipynb", as_version=4).cells
    index = next(i for i, c in enumerate(cells) if "from opentelemetry.sdk" in c.source)
    assert "`pip install opentelemetry-sdk`" in cells[index - 1].source


def test_langchain_quickstart_runs_top_to_bottom(tmp_path: Path) -> None:
    out = _run("langchain_quickstart.ipynb", tmp_path)
    assert "No AIML_API_KEY: using the built-in emulator at http://127.0.0.1:" in out
    assert 'reasoning: The user asks: "What is the capital of France?"' in out
    assert 'answer: You said: "What is the capital of France?"' in out
    assert "credits: " in out
    assert "thinking: The user asks:" in out
    assert "tool call: multiply {'a': 6" in out
    assert "answer: The result is 42" in out
    assert "City(name='Paris', country='France', population_millions=2.1)" in out
    assert "What colour is this image?" in out
    assert "I received 1 attachment." in out
    assert "Credits Used: " in out
    assert "Reasoning Tokens: " in out
    # the budget stops the runaway agent; its calls are spans
    assert "stopped: max_credits = 1500 after 1628 credits" in out
    assert "spent: 7 calls, 1341 tokens (1054 in, 287 out, 200 reasoning), 1628 credits" in out
    assert out.count("span: chat baidu/ernie-5.0 | aimlapi | in ") == 7
    assert (
        "span: chat baidu/ernie-5.0 | aimlapi | in 80 out 49 (reasoning 31) | finish ('tool_calls',) | 178 credits"
        in out
    )


def test_llamaindex_rag_runs_top_to_bottom(tmp_path: Path) -> None:
    out = _run("llamaindex_rag.ipynb", tmp_path)
    assert "No AIML_API_KEY: using the built-in emulator at http://127.0.0.1:" in out
    assert "5 documents," in out
    assert "answer: According to the context:" in out
    assert "source: errors.md (score " in out
    assert "enable_thinking=False" in out  # the streamed answer quotes reasoning.md
    assert "tool call: multiply {'a': 21" in out
    assert "thinking: The user asks:" in out
    assert "answer: The result is 42" in out
    assert "thinking (" in out
    assert 'answer: You said: "Is 17 a prime number?"' in out
