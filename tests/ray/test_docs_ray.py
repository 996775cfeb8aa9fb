"""The README's Ray example and `notebooks/ray_batch.ipynb` run as a user would run them:
each starts its own local Ray and emulator (no key in the environment)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ray_support import require_ray

ROOT = Path(__file__).resolve().parents[2]


def _clean_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML_", "AIMLAPI_"))}
    env["PYTHONWARNINGS"] = "ignore::DeprecationWarning"
    return env


def test_the_readme_example_runs_on_a_local_ray(tmp_path: Path) -> None:
    require_ray()
    section = ROOT.joinpath("README.md").read_text().split("## Batch inference on Ray", 1)[1]
    block = re.search(r"```python\n(.*?)```", section, re.S)
    assert block is not None
    script = tmp_path / "block.py"
    script.write_text(block.group(1))
    out = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        env=_clean_env(),
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    lines = out.stdout.splitlines()
    assert lines[0].startswith('100 You said: "What is ')
    assert lines[1].endswith(" credits in all") and float(lines[1].split()[0]) > 0
    assert lines[2] == "[]"


def test_the_ray_notebook_runs_and_plots(tmp_path: Path) -> None:
    require_ray()
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(ROOT / "notebooks" / "ray_batch.ipynb", as_version=4)
    for cell in nb.cells:  # committed without outputs
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    env = _clean_env()
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    client = nbclient.NotebookClient(
        nb, kernel_name="python3", timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute(env=env)
    texts, images = [], 0
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            assert output.get("output_type") != "error", output
            texts.append(output.get("text", ""))
            images += "image/png" in output.get("data", {})
    out = "\n".join(texts)
    assert "No AIML_API_KEY: using the built-in emulator at http://127.0.0.1:" in out
    assert "40 rows, 40 answered" in out
    assert 'answer: You said: "In one sentence, why is 7 odd?"' in out  # the shortest prompt
    assert "plotted 40 rows" in out
    assert images == 1
