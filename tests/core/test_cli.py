"""`ernie-aiml`: the models table, `models --live`, and the emulator subcommand."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading

import httpx
import pytest
from ernie_aiml.emulator import Emulator

from ernie_aiml_cli import app as cli


def test_models_prints_the_catalog_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["models"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == ["model", "context", "reasoning", "vision", "PDF", "tools", "status"]
    assert lines[1].split() == [
        "baidu/ernie-5.0", "128,000", "switch", "yes", "yes", "yes", "active", "(default)"
    ]  # fmt: skip
    assert lines[2].split() == [
        "baidu/ernie-4.5-vl-424b-a47b", "123,000", "-", "yes", "yes", "yes", "active"
    ]  # fmt: skip
    assert len(lines) == 1 + 15
    assert sum("deprecated" in line for line in lines) == 13


def test_models_live_reads_the_server(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIML_API_BASE", emulator.base_url)
    assert cli.main(["models", "--live"]) == 0
    assert capsys.readouterr().out.split() == ["baidu/ernie-5.0", "baidu/ernie-4.5-vl-424b-a47b"]
    assert emulator.requests[-1].path == "/v1/models"


def test_an_aiml_error_is_one_line_on_stderr_and_exit_1(
    emulator: Emulator, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIML_API_BASE", emulator.base_url.removesuffix("/v1") + "/nope")
    assert cli.main(["models", "--live"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.count("\n") == 1
    assert captured.err.startswith("ernie-aiml models: Cannot GET /nope/models")
    assert "Traceback" not in captured.err


def test_no_subcommand_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    out = capsys.readouterr().out
    assert "emulator" in out and "models" in out


def test_subcommands_are_a_registry_of_lazy_modules() -> None:
    assert {"emulator", "models"} <= set(cli.SUBCOMMANDS)
    for target, help_text in cli.SUBCOMMANDS.values():
        assert target.startswith("ernie_aiml_cli.")
        assert help_text


def _first_line(process: subprocess.Popen[str], timeout: float = 30.0) -> str:
    lines: queue.Queue[str] = queue.Queue()
    assert process.stdout is not None
    stdout = process.stdout
    threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
    return lines.get(timeout=timeout).strip()


@pytest.mark.parametrize(
    ("flags", "status", "done"), [([], 200, True), (["--status", "201", "--no-done"], 201, False)]
)
def test_emulator_subcommand_serves_until_stopped(
    flags: list[str], status: int, done: bool
) -> None:
    command = [sys.executable, "-m", "ernie_aiml_cli", "emulator", "--port", "0", *flags]
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        base_url = _first_line(process)
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        payload = {
            "model": "baidu/ernie-5.0",
            "stream": True,
            "messages": [{"role": "user", "content": "ping"}],
        }
        response = httpx.post(
            f"{base_url}/chat/completions",
            json=payload,
            headers={"Authorization": "Bearer test"},
            timeout=30,
        )
        assert response.status_code == status
        events = [b.removeprefix("data: ") for b in response.text.split("\n\n") if b]
        assert (events[-1] == "[DONE]") is done
        content = "".join(
            (c["choices"][0]["delta"].get("content") or "")
            for c in map(json.loads, (e for e in events if e != "[DONE]"))
            if c["choices"]
        )
        assert content == 'You said: "ping"'
    finally:
        process.terminate()
        process.wait(timeout=30)
