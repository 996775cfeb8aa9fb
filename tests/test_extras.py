"""A missing optional framework: the import or the demo says the one `pip install` to run."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from ernie_aiml.integration import install_command, missing_modules, require_extra

from ernie_aiml_cli.app import main

#: Makes `hidden` (and its submodules) look uninstalled, as in an env without that extra.
_BLOCKER = """
import sys

class _Uninstalled:
    def find_spec(self, name, path=None, target=None):
        if name == {hidden!r} or name.startswith({hidden!r} + "."):
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, _Uninstalled())
"""


def _run_without(hidden: str, code: str) -> subprocess.CompletedProcess[str]:
    script = _BLOCKER.format(hidden=hidden) + textwrap.dedent(code)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)


@pytest.mark.parametrize(
    ("hidden", "statement", "command"),
    [
        (
            "langchain_core",
            "from langchain_ernie_aiml import ChatErnieAIML",
            'pip install "ernie-aiml[langchain]"',
        ),
        (
            "llama_index.core",
            "from llama_index_ernie_aiml import ErnieAIML",
            'pip install "ernie-aiml[llama-index]"',
        ),
        (
            "llama_index.core",
            "from llama_index.llms.ernie_aiml import ErnieAIML",
            'pip install "ernie-aiml[llama-index]"',
        ),
        ("ray", "from ernie_aiml_ray import ChatBatch", 'pip install "ernie-aiml[ray]"'),
    ],
)
def test_adapter_without_its_framework_names_the_extra(
    hidden: str, statement: str, command: str
) -> None:
    code = f"""
    try:
        {statement}
    except ImportError as exc:
        print(type(exc).__name__, exc.name, exc, sep="|")
    """
    result = _run_without(hidden, code)
    assert result.returncode == 0, result.stderr
    kind, name, message = result.stdout.strip().split("|")
    assert kind == "ImportError"
    assert name == hidden
    assert message.endswith(f"install it with: {command}")
    # other modules of the same extra may be missing too (pyarrow beside ray)
    assert re.search(
        rf"needs {re.escape(hidden)}(, [\w.]+)*, which (is|are) not installed", message
    )


def test_missing_modules_finds_without_importing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "llama_index.retrievers.bm25", None)
    assert missing_modules(
        "json", "no_such_module_xyz", "no_such.child", "llama_index.retrievers.bm25"
    ) == [
        "no_such_module_xyz",
        "no_such.child",
        "llama_index.retrievers.bm25",
    ]


def test_require_extra_raises_the_install_command() -> None:
    assert install_command("all") == 'pip install "ernie-aiml[all]"'
    require_extra("x", "langchain", "json")  # installed: nothing happens
    with pytest.raises(
        ImportError,
        match=r'^x needs no_such_module_xyz, which is not installed; install it with: pip install "ernie-aiml\[langchain\]"$',
    ):
        require_extra("x", "langchain", "no_such_module_xyz")


def test_demo_names_every_missing_module_once(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "llama_index.core", None)
    monkeypatch.setitem(sys.modules, "llama_index.retrievers.bm25", None)
    assert main(["demo"]) == 1
    assert capsys.readouterr().err == (
        "error: the demo needs llama_index.core, llama_index.retrievers.bm25, which are not "
        'installed; install everything it needs with: pip install "ernie-aiml[demo]"\n'
    )


@pytest.mark.parametrize(
    "hidden", ["langchain_core", "llama_index.core", "llama_index.retrievers.bm25"]
)
def test_demo_without_a_framework_prints_the_install_command_and_starts_nothing(
    hidden: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, hidden, None)
    code = main(["demo"])
    out, err = capsys.readouterr()
    assert code == 1
    assert out == ""  # not even the first line: no emulator, no step started
    assert err == (
        f"error: the demo needs {hidden}, which is not installed; "
        'install everything it needs with: pip install "ernie-aiml[demo]"\n'
    )
