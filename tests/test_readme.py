"""Every ```python block in README.md runs, in order and in one namespace, against the emulator.

So the README cannot rot. A block fenced as ```python no-run is shown but not executed.
Test functions a block defines (the pytest example) are called too. A block right after
`<!-- readme-test: needs redis-server -->` runs when `redis-server` is installed, against one
the test starts (its URL in `REDIS_URL`).
"""

from __future__ import annotations

import contextlib
import io
import re
import shutil
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"^```python[ \t]*(?P<flags>[^\n]*)\n(?P<code>.*?)^```[ \t]*$", re.M | re.S)
NEEDS_REDIS = "<!-- readme-test: needs redis-server -->\n"


def python_blocks() -> list[tuple[int, str]]:
    """(line number, code) of every executable python block, in order."""
    text = README.read_text(encoding="utf-8")
    return [
        (text.count("\n", 0, m.start()) + 1, m["code"])
        for m in _BLOCK.finditer(text)
        if "no-run" not in m["flags"].split()
    ]


def test_readme_keeps_the_two_commands_ci_relies_on() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    assert "make demo   # the main job" in section
    assert "make test   # the whole test suite" in section


def test_readme_has_enough_runnable_blocks() -> None:
    assert len(python_blocks()) >= 12


def needs_redis_lines() -> set[int]:
    """The line numbers of the blocks marked as needing a Redis server."""
    text = README.read_text(encoding="utf-8")
    return {
        text.count("\n", 0, m.start()) + 1
        for m in _BLOCK.finditer(text)
        if text[: m.start()].endswith(NEEDS_REDIS)
    }


@pytest.fixture
def readme_redis(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[], bool]]:
    """Starts a redis-server (once) for the blocks that need one; False if there is none."""
    servers: list[Any] = []

    def start() -> bool:
        if not servers:
            if shutil.which("redis-server") is None:
                return False
            from fleet.fleet_support import RedisServer

            servers.append(RedisServer(tmp_path).start())
            monkeypatch.setenv("REDIS_URL", servers[0].url)
        return True

    yield start
    for server in servers:
        server.stop()


def test_readme_python_blocks_run_against_the_emulator(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, readme_redis: Callable[[], bool]
) -> None:
    monkeypatch.setenv("AIML_API_KEY", "readme-test-key")
    monkeypatch.setenv("AIML_API_BASE", emulator.base_url)
    namespace: dict[str, Any] = {"__name__": "readme"}
    out = io.StringIO()
    for line, code in python_blocks():
        if line in needs_redis_lines() and not readme_redis():
            continue  # no redis-server here (CI installs one)
        with contextlib.redirect_stdout(out), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                exec(compile(code, f"README.md:{line}", "exec"), namespace)
            except Exception as exc:  # pragma: no cover - the failure message is the point
                raise AssertionError(f"README block at line {line} failed: {exc!r}") from exc
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert len(tests) == 2
    for test in tests:
        test()
    printed = out.getvalue()
    assert 'You said: "What is the capital of France?"' in printed
    assert "baidu/ernie-4.5-vl-424b-a47b 123000 True False active" in printed
    assert "['baidu/ernie-5.0', 'baidu/ernie-4.5-vl-424b-a47b']" in printed
    assert "The result is 42" in printed
    assert "total=120.5 number='A100'" in printed
    assert "I received 2 attachments." in printed
    assert " calls, " in printed and " credits" in printed
    assert "Refusing to send the API key over http:// to 'example.com'" in printed
    if shutil.which("redis-server"):  # the fleet example: three processes, one budget
        assert "6 requests reached the server\nreadme-eval: 6 calls, " in printed
        assert "{'max_calls': 0}" in printed
