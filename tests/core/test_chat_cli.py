"""`ernie-aiml chat` end to end against the emulator: one-shot, the interactive loop, Ctrl-C."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
from typing import Any

import pytest
from ernie_aiml.emulator import SSEReply, stream_events

from ernie_aiml_cli.app import main
from ernie_aiml_cli.chat import StreamPrinter


def test_one_shot_prompt_streams_labelled_thinking_then_answer_and_usage(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["chat", "Why", "is", "the", "sky", "blue?"])
    out, err = capsys.readouterr()
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == (
        'thinking: The user asks: "Why is the sky blue?". I will answer directly and keep it short.'
    )
    assert lines[1] == 'answer: You said: "Why is the sky blue?"'
    assert lines[2].startswith("usage: 1 call, ")
    assert "reasoning)" in lines[2]
    # the emulator's stream reports USD in its last chunk, as AIML documents
    assert re.fullmatch(r"usage: .* \d+ credits, \$\d+\.\d+", lines[2])
    body = env.chat_requests[-1].json
    assert body["model"] == "baidu/ernie-5.0"
    assert body["stream"] is True
    assert body["messages"] == [{"role": "user", "content": "Why is the sky blue?"}]
    assert "enable_thinking" not in body


def test_interactive_loop_keeps_history_and_never_sends_reasoning_back(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sys, "stdin", io.StringIO("first question\n\nsecond question\nexit\nnot sent\n")
    )
    code = main(["chat"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert out.count("usage: 1 call, ") == 2
    assert 'answer: You said: "first question"' in out
    assert 'answer: You said: "second question"' in out
    bodies = [r.json for r in env.chat_requests]
    assert len(bodies) == 2
    assert bodies[1]["messages"] == [
        {"role": "user", "content": "first question"},
        {"role": "assistant", "content": 'You said: "first question"'},
        {"role": "user", "content": "second question"},
    ]


def test_eof_ends_the_loop(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("only one"))
    assert main(["chat"]) == 0
    assert len(env.chat_requests) == 1


def test_no_thinking_sends_enable_thinking_false(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", "--no-thinking", "hi"]) == 0
    out = capsys.readouterr().out
    assert env.chat_requests[-1].json["enable_thinking"] is False
    assert "thinking:" not in out
    assert out.startswith('answer: You said: "hi"\n')


def test_thinking_budget_and_model_are_sent(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "--thinking-budget", "512", "--model", "ernie-5.0", "hi"]) == 0
    body = env.chat_requests[-1].json
    assert body["thinking_budget"] == 512
    assert body["model"] == "baidu/ernie-5.0"


def test_thinking_budget_out_of_range_is_one_clear_line_before_any_request(
    env: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", "--thinking-budget", "5", "hi"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: thinking_budget must be an integer >= 100 (got 5)\n"
    assert env.chat_requests == []


def test_missing_key_is_one_clear_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["chat", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: No AI/ML API key")
    assert err.count("\n") == 1


def test_server_error_is_one_clear_line(env: Any, capsys: pytest.CaptureFixture[str]) -> None:
    from ernie_aiml.emulator import ErrorReply

    env.enqueue(ErrorReply(401, "Invalid API key"))
    assert main(["chat", "hi"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: Invalid API key")
    assert "status 401" in err
    assert err.count("\n") == 1


def test_printer_dims_reasoning_on_a_terminal() -> None:
    out = io.StringIO()
    printer = StreamPrinter(out, color=True)
    printer.reasoning("hmm")
    printer.answer("yes")
    printer.end()
    assert out.getvalue() == "\x1b[2mthinking: hmm\x1b[0m\nyes\n"


#: `python -m ernie_aiml_cli chat` with Python's own Ctrl-C handler: a shell without job
#: control starts background jobs with SIGINT ignored, and the child would inherit that (a
#: user's terminal gives it the default, as this does). No `preexec_fn`: a server thread runs.
_CLI_WITH_CTRL_C = (
    "import runpy, signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "sys.argv = ['ernie-aiml', 'chat']; runpy.run_module('ernie_aiml_cli', run_name='__main__')"
)


def test_ctrl_c_stops_the_answer_not_the_loop(emulator: Any) -> None:
    slow = stream_events("x " * 400, reasoning="thinking " * 400, chunk_size=4)
    emulator.enqueue(SSEReply(slow, event_delay=0.05))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "AIMLAPI"))}
    env.update(AIML_API_KEY="test-key", AIML_API_BASE=emulator.base_url, NO_COLOR="1")
    proc = subprocess.Popen(
        [sys.executable, "-c", _CLI_WITH_CTRL_C],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(b"tell me a long story\n")
    proc.stdin.flush()
    seen = b""
    while b"thinking: thinking" not in seen:  # the answer is streaming: now press Ctrl-C
        byte = os.read(proc.stdout.fileno(), 1)
        assert byte, seen
        seen += byte
    proc.send_signal(signal.SIGINT)
    rest, err = proc.communicate(b"and now a short one\n", timeout=60)
    out = (seen + rest).decode()
    assert proc.returncode == 0, err.decode()
    assert "[stopped]" in out
    assert 'answer: You said: "and now a short one"' in out
    assert out.count("usage: 1 call, ") == 1
    last = emulator.chat_requests[-1].json
    assert last["messages"] == [{"role": "user", "content": "and now a short one"}]


def test_max_credits_stops_the_session_before_the_next_request(
    env: Any, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("first question\nsecond question\n"))
    code = main(["chat", "--max-credits", "1"])
    out, err = capsys.readouterr()
    assert code == 1
    assert 'answer: You said: "first question"' in out  # the call that crossed the line
    usage = next(line for line in out.splitlines() if line.startswith("usage: "))
    credits = next(p for p in usage.removeprefix("usage: ").split(", ") if p.endswith(" credits"))
    assert err == (
        f"error: Budget exceeded: {credits} spent reached max_credits=1; the call was not sent "
        f"(this block so far: {usage.removeprefix('usage: ')})\n"
    )
    assert len(env.chat_requests) == 1
