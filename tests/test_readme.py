"""Every ```python block in README.md runs alone, in a fresh interpreter, against the emulator.

As a user pastes it: a block may not lean on a name an earlier block defined, so each one is
written to its own file and run as `__main__` in a process of its own, with `AIML_API_KEY` and
`AIML_API_BASE` pointing at one emulator. To keep this quick, the processes are forked, several
at a time, from one interpreter that imported the frameworks once and ran no block
(tests/readme_runner.py). A block must print nothing on stderr (no traceback, no warning). Test
functions a block defines (the pytest example) are called after it ran.

A block that cannot run here (it needs a service this test run does not have) says so in the
README itself, in an HTML comment on the line before its fence, with the reason:

    <!-- readme-test: skip: needs a Redis server on localhost:6379 -->

It is then reported as skipped with that reason; there is no other way to leave a block out.
A block that needs a Redis server says `<!-- readme-test: needs redis-server -->`: the test
starts one of its own on a free port (its URL in `REDIS_URL`) and runs the block; without the
binary it is skipped, except in CI, where it fails (`.ci/run` installs redis-server).
The model table is checked against the catalog (`ernie-aiml models --markdown`).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ernie_aiml.emulator import BodyCheck, Emulator, watch_bodies

from ernie_aiml_cli.app import catalog_markdown

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(
    r"(?:^<!--[ \t]*readme-test:[ \t]*(?:skip\b:?(?P<skip>[^\n]*?)|needs[ \t]+(?P<needs>[\w-]+)[ \t]*)"
    r"-->[ \t]*\n)?"
    r"^```python(?P<flags>[^\n]*)\n(?P<code>.*?)^```[ \t]*$",
    re.M | re.S,
)
_TABLE_MARKER = "<!-- generated: `ernie-aiml models --markdown`"
_RUNNER = Path(__file__).resolve().parent / "readme_runner.py"


@dataclass(frozen=True)
class Block:
    """One ```python block: where it starts, its code, and why it is not run (if it is not)."""

    line: int
    code: str
    skip: str | None
    flags: str = ""
    needs: str | None = None


def python_blocks() -> list[Block]:
    """Every ```python block of the README, in order."""
    text = README.read_text(encoding="utf-8")
    blocks = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code"))  # the fence's line, 1-based
        skip = match["skip"]
        reason = None if skip is None else skip.strip()
        blocks.append(Block(line, match["code"], reason, match["flags"].strip(), match["needs"]))
    return blocks


BLOCKS = python_blocks()


@dataclass(frozen=True)
class Run:
    """What one block did in its own interpreter."""

    returncode: int
    stdout: str
    stderr: str


def run_blocks(blocks: list[Block], folder: Path, env: dict[str, str]) -> dict[int, Run]:
    """Run each block alone in its own process (tests/readme_runner.py); the runs by line."""
    paths = {}
    for block in blocks:
        path = folder / f"readme_line_{block.line}.py"
        path.write_text(block.code, encoding="utf-8")
        paths[block.line] = path
    done = subprocess.run(
        [sys.executable, str(_RUNNER), *map(str, paths.values())],
        capture_output=True,
        text=True,
        env=env,
        cwd=folder,
        timeout=600,
        check=True,
    )
    status = {
        path: int(code) for code, path in (line.split(" ", 1) for line in done.stdout.splitlines())
    }
    return {
        line: Run(
            status[str(path)],
            Path(f"{path}.out").read_text(encoding="utf-8"),
            Path(f"{path}.err").read_text(encoding="utf-8"),
        )
        for line, path in paths.items()
    }


@dataclass(frozen=True)
class Results:
    """What the README's blocks did: each block's run, and the bodies AIML would refuse."""

    runs: dict[int, Run]
    bad_bodies: list[str]

    @property
    def printed(self) -> str:
        """Everything the blocks printed, joined."""
        return "\n".join(run.stdout for run in self.runs.values())


@pytest.fixture(scope="module")
def readme_runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Results]:
    """Every runnable block, each alone, against one emulator; with the schema problems of
    the bodies they sent."""
    checks: list[BodyCheck] = []
    unwatch = watch_bodies(checks.append)
    redis = _redis_for_blocks(tmp_path_factory)
    try:
        with Emulator() as emu:
            env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML_", "AIMLAPI_"))}
            env.update(AIML_API_KEY="readme-test-key", AIML_API_BASE=emu.base_url)
            if redis is not None:
                env["REDIS_URL"] = redis.url
            runnable = [b for b in BLOCKS if b.skip is None and (b.needs is None or redis)]
            runs = run_blocks(runnable, tmp_path_factory.mktemp("readme"), env)
    finally:
        unwatch()
        if redis is not None:
            redis.stop()
    bad = [f"{c.model}: {c.problem or c.unlisted}" for c in checks if not c.valid or c.unlisted]
    yield Results(runs, bad)


def _redis_for_blocks(factory: pytest.TempPathFactory) -> Any:
    """A redis-server of the test's own for the blocks that need one (None without the binary,
    outside CI; in CI its absence fails)."""
    if not any(b.needs == "redis-server" for b in BLOCKS):
        return None
    if shutil.which("redis-server") is None:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail("redis-server is missing in CI: .ci/run installs it")
        return None
    from fleet.fleet_support import RedisServer

    return RedisServer(factory.mktemp("redis")).start()


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{b.line}" for b in BLOCKS])
def test_readme_block_runs_alone(block: Block, readme_runs: Results) -> None:
    assert not block.flags, (
        f"README.md:{block.line}: ```python {block.flags}: fence flags do not skip a block; "
        "write <!-- readme-test: skip: <why> --> on the line before it"
    )
    if block.skip is not None:
        assert block.skip, f"README.md:{block.line}: a skipped block must say why"
        pytest.skip(block.skip)
    assert block.needs in (None, "redis-server"), f"README.md:{block.line}: unknown need"
    if block.line not in readme_runs.runs:
        pytest.skip(f"needs {block.needs}, which is not installed here")
    run = readme_runs.runs[block.line]
    assert run.returncode == 0, f"README.md:{block.line} failed alone:\n{run.stderr}"
    assert run.stderr == "", f"README.md:{block.line} printed on stderr:\n{run.stderr}"


def test_readme_blocks_print_what_the_readme_says(readme_runs: Results) -> None:
    printed = readme_runs.printed
    assert 'You said: "What is the capital of France?"' in printed
    assert "baidu/ernie-4.5-vl-424b-a47b 123000 True False active" in printed
    assert "['baidu/ernie-5.0', 'baidu/ernie-4.5-vl-424b-a47b']" in printed
    assert "The result is 42" in printed
    assert "total=120.5 number='A100'" in printed
    assert "I received 2 attachments." in printed
    assert " calls, " in printed and " credits" in printed
    assert "Refusing to send the API key over http:// to 'example.com'" in printed
    assert "chat baidu/ernie-5.0 " in printed  # the span
    assert printed.count("README test passed: test_") == 3
    if shutil.which("redis-server"):  # the fleet example: three processes, one budget
        assert "6 requests reached the server\nreadme-eval: 6 calls, " in printed
        assert "{'max_calls': 0}" in printed


def test_readme_streams_print_thinking_apart_from_the_answer(readme_runs: Results) -> None:
    """The streaming examples label the reasoning and the answer, each on its own line."""
    printed = readme_runs.printed
    assert '\nthinking: The user asks: "Is 97 a prime number?"' in printed
    assert '. I will answer directly and keep it short.\nanswer: You said: "Is 97' in printed
    agent = 'thinking: The user asks: "What is 6 times 7? Use the multiply tool."'
    assert f"\n{agent}. The tool multiply can answer this, so I will call it.\ntool: multiply(" in (
        printed
    )
    assert f"\n{agent}. I will answer directly and keep it short.\nanswer: The result is 42" in (
        printed
    )


def test_readme_blocks_send_bodies_aiml_accepts(readme_runs: Results) -> None:
    assert readme_runs.bad_bodies == []


def test_readme_model_table_is_the_catalogs() -> None:
    """One source of truth: the README's table is `ernie-aiml models --markdown`."""
    text = README.read_text(encoding="utf-8")
    after = text.split(_TABLE_MARKER, 1)[1].split("\n", 1)[1]
    table = after.split("\n\n", 1)[0]
    assert table == catalog_markdown(), "run: python scripts/update_readme.py"


def test_readme_install_lists_every_extra() -> None:
    from importlib.metadata import metadata

    extras = metadata("ernie-aiml").get_all("Provides-Extra") or []
    section = README.read_text(encoding="utf-8").split("## Install", 1)[1].split("\n## ", 1)[0]
    for extra in set(extras) - {"test", "bench"}:  # development only
        assert f'pip install "ernie-aiml[{extra}]"' in section, extra


def test_readme_says_what_the_tracing_block_needs_beyond_otel() -> None:
    """`[otel]` brings the OpenTelemetry API only; the block's in-memory exporter is the SDK's."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Tracing with OpenTelemetry", 1)[1].split("\n## ", 1)[0]
    before_block = section.split("```python", 1)[0]
    assert "from opentelemetry.sdk" in section
    assert "`[otel]` does not\ninstall (`pip install opentelemetry-sdk`)" in before_block


def test_readme_keeps_the_two_commands_ci_relies_on() -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("## The two commands", 1)[1].split("\n## ", 1)[0]
    assert "make demo   # the main job" in section
    assert "make test   # the whole test suite" in section


def test_readme_has_enough_runnable_blocks() -> None:
    assert sum(b.skip is None for b in BLOCKS) >= 12
