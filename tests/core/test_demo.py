"""`ernie-aiml demo` end to end: in-process through the CLI, against the embedded emulator."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from ernie_aiml.emulator import ErrorReply

from ernie_aiml_cli.app import main

HEADINGS = [
    "== 1. LangChain: a thinking model, streamed ==",
    "== 2. LangChain: tool calling and structured output ==",
    "== 3. LlamaIndex: RAG over the package's own docs (BM25) ==",
    "== 4. LlamaIndex: a FunctionAgent with a tool, streamed ==",
    "== 5. Usage of the whole demo ==",
]


@pytest.fixture(scope="module")
def demo_run() -> tuple[int, str, str]:
    """Run the demo once (no key in the environment) and keep its exit code and output."""
    import contextlib
    import io
    import os

    saved = {k: os.environ.pop(k) for k in list(os.environ) if k.startswith(("AIML", "AIMLAPI"))}
    out, err = io.StringIO(), io.StringIO()
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["demo"])
    finally:
        os.environ.update(saved)
    return code, out.getvalue(), err.getvalue()


def _section(text: str, number: int) -> str:
    start = text.index(HEADINGS[number - 1])
    end = text.index(HEADINGS[number]) if number < len(HEADINGS) else len(text)
    return text[start:end]


def test_demo_exits_zero_and_says_first_that_it_uses_the_emulator(demo_run: Any) -> None:
    code, out, err = demo_run
    assert code == 0, err
    first = out.splitlines()[0]
    assert first.startswith(
        "No AIML_API_KEY set: running against the built-in emulator at http://127.0.0.1:"
    )


def test_demo_headings_in_order(demo_run: Any) -> None:
    _, out, _ = demo_run
    positions = [out.index(h) for h in HEADINGS]
    assert positions == sorted(positions)


def test_reasoning_streams_before_the_answer(demo_run: Any) -> None:
    section = _section(demo_run[1], 1)
    thinking = section.index("thinking: The user asks:")
    answer = section.index("answer: You said:")
    assert thinking < answer


def test_tool_loop_runs_the_real_tool_and_structured_output_is_pydantic(demo_run: Any) -> None:
    section = _section(demo_run[1], 2)
    assert "model calls: multiply(a=12.5, b=8" in section
    assert "tool result: 100.0" in section
    assert "answer: The result is 100.0." in section
    assert "structured output: ModelCard(name=" in section
    assert "context_window_tokens=123000" in section
    assert "supports_vision=" in section


def test_rag_answers_from_the_retrieved_passage_and_lists_sources(demo_run: Any) -> None:
    section = _section(demo_run[1], 3)
    assert "answer: According to the context:" in section
    assert "track_usage()" in section.split("sources:")[0]
    sources = section.split("sources:")[1].strip("\n").splitlines()
    assert sources[0].startswith("  - credits.md (BM25 score ")
    scores = [float(line.rsplit(" ", 1)[1].rstrip(")")) for line in sources]
    assert scores == sorted(scores, reverse=True)
    assert scores[0] > 0


def test_agent_streams_thinking_calls_the_tool_and_answers(demo_run: Any) -> None:
    section = _section(demo_run[1], 4)
    thinking = section.index("thinking: The user asks:")
    tool = section.index("tool call: model_facts(")
    answer = section.index(
        "answer: The result is baidu/ernie-4.5-vl-424b-a47b: context window 123,000"
    )
    assert thinking < tool < answer
    assert "PDF input" in section[answer:]


def test_closing_line_reports_tokens_reasoning_and_credits(demo_run: Any) -> None:
    lines = _section(demo_run[1], 5).strip().splitlines()
    total = lines[-1]
    assert total.startswith("Total: ")
    assert " tokens (" in total
    assert " reasoning)" in total
    # the emulator reports USD as AIML does (header, or the stream's last chunk)
    credits_part, usd_part = total.rsplit(", ", 2)[1:]
    assert credits_part.endswith(" credits") and usd_part.startswith("$")
    reasoning = int(total.split(" reasoning)")[0].rsplit(" ", 1)[1])
    credits = float(credits_part.split(" ")[0])
    assert reasoning > 0
    assert credits > 0
    assert float(usd_part[1:]) == pytest.approx(credits / 2_000_000, abs=1e-6)


def _run_failing(capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["demo"])
    out, err = capsys.readouterr()
    return code, out, err


def test_bad_key_fails_with_one_clear_line(
    emulator: Any, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AIML_API_KEY", "wrong-key")
    monkeypatch.setenv("AIML_API_BASE", emulator.base_url)
    emulator.enqueue(ErrorReply(401, "Invalid API key"))
    code, out, err = _run_failing(capsys)
    assert code == 1
    assert out.splitlines()[0].startswith("Live: using the AI/ML API at http://127.0.0.1:")
    assert err.count("\n") == 1
    assert err.startswith("error: demo failed: AuthenticationError: Invalid API key")
    assert "check AIML_API_KEY" in err
    assert "Traceback" not in out + err


def test_unreachable_server_fails_with_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as sock:  # a loopback port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AIML_API_KEY", "some-key")
    monkeypatch.setenv("AIML_API_BASE", f"http://127.0.0.1:{port}/v1")
    code, _, err = _run_failing(capsys)
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith("error: demo failed: APIConnectionError: ")
    assert "check your network connection and AIML_API_BASE" in err
    assert "Traceback" not in err
