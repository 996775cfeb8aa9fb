"""`ernie-aiml` as a new user meets it: closed pipes, missing extras, taken ports, typos.

Each failure a user can cause from the shell ends in one line saying what to do (exit 2 for
what the command line or the install got wrong), never a traceback or a raw Python warning.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest
from ernie_aiml import __version__
from ernie_aiml.emulator import Emulator

from ernie_aiml_cli.app import EXIT_BROKEN_PIPE, main


def _env(**extra: str) -> dict[str, str]:
    """The user's shell without any AIML settings (the demo then runs on its own emulator)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML_", "AIMLAPI_"))}
    env.update(extra)
    return env


CLI = [sys.executable, "-m", "ernie_aiml_cli"]


# --------------------------------------------------------------------------- closed pipes


def test_demo_piped_into_head_ends_quietly() -> None:
    """`ernie-aiml demo | head -5`, with a real pipe and a real `head`."""
    demo = subprocess.Popen(
        [*CLI, "demo", "--emulator"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    assert demo.stdout is not None and demo.stderr is not None
    head = subprocess.run(["head", "-5"], stdin=demo.stdout, capture_output=True, check=True)
    demo.stdout.close()  # only `head` holds the read end now: when it exits, the pipe closes
    err = demo.stderr.read().decode()
    demo.stderr.close()
    assert demo.wait(timeout=120) == EXIT_BROKEN_PIPE, err
    assert err == ""
    assert head.stdout.decode().splitlines()[2] == "== 1. LangChain: a thinking model, streamed =="


@pytest.mark.parametrize("command", [["models"], ["demo", "--emulator"]])
def test_a_reader_gone_before_the_first_line_ends_quietly(command: list[str]) -> None:
    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader has already gone: the first write meets EPIPE
    try:
        done = subprocess.run(
            [*CLI, *command], stdout=write_end, stderr=subprocess.PIPE, env=_env(), timeout=120
        )
    finally:
        os.close(write_end)
    assert done.returncode == EXIT_BROKEN_PIPE
    assert done.stderr.decode() == ""


# --------------------------------------------------------------------------- the emulator


def test_emulator_without_jsonschema_is_one_line_with_the_fix(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "jsonschema", None)  # a [langchain]-only install
    assert main(["emulator", "--port", "0"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        "ernie-aiml emulator: checking request bodies needs jsonschema, which is not installed; "
        'install it with: pip install "ernie-aiml[emulator]" '
        "(or serve without checks: ernie-aiml emulator --no-validate)\n"
    )


def test_emulator_no_validate_serves_without_jsonschema() -> None:
    """`--no-validate` in an install without jsonschema: it serves and answers."""
    code = (
        "import sys; sys.modules['jsonschema'] = None\n"
        "from ernie_aiml_cli import main\n"
        "sys.exit(main(['emulator', '--port', '0', '--no-validate']))\n"
    )
    server = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=_env(),
    )
    try:
        assert server.stdout is not None
        base_url = server.stdout.readline().strip()
        import httpx

        reply = httpx.post(
            f"{base_url}/chat/completions",
            json={"model": "baidu/ernie-5.0", "messages": [{"role": "user", "content": "ping"}]},
            headers={"Authorization": "Bearer test"},
            timeout=30,
        )
        assert reply.status_code == 201
        assert reply.json()["choices"][0]["message"]["content"] == 'You said: "ping"'
    finally:
        server.terminate()
        server.wait(timeout=30)
        assert server.stdout is not None
        server.stdout.close()


@pytest.fixture
def taken_port() -> Iterator[int]:
    """A port on 127.0.0.1 another program is listening on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_emulator_on_a_taken_port_is_one_line(
    taken_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["emulator", "--port", str(taken_port)]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"ernie-aiml emulator: cannot listen on 127.0.0.1:{taken_port}: the port is already in "
        "use (choose another --port, or --port 0 for a free one)\n"
    )


# --------------------------------------------------------------------------- chat


@pytest.mark.parametrize("prompt", ["", "   "])
def test_chat_refuses_an_empty_prompt(
    env: Emulator, prompt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", prompt]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err == "error: the prompt is empty; ask something, or give no prompt to chat\n"
    assert env.requests == []


@pytest.mark.invalid_body  # an id outside the spec's enum, on purpose
@pytest.mark.parametrize(
    ("model", "hint"),
    [
        ("baidu/ernie-5.1", "closest ERNIE ids: baidu/ernie-5.0"),
        (
            "gpt-4o",
            "the ERNIE models AIML serves: baidu/ernie-5.0, baidu/ernie-4.5-vl-424b-a47b",
        ),
    ],
)
def test_chat_with_an_unknown_model_the_server_refuses_is_one_line(
    env: Emulator, model: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["chat", "--model", model, "hi"]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert err == (
        f"error: the server does not know the model {model!r} ({hint}; "
        "`ernie-aiml models` lists every ERNIE id)\n"
    )
    assert env.chat_requests[-1].json["model"] == model  # sent as given: AIML serves more


@pytest.mark.invalid_body
def test_chat_with_an_unknown_model_the_server_serves_answers_without_a_warning(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with Emulator(validate=False) as emu:  # a server that knows a model this package does not
        monkeypatch.setenv("AIML_API_KEY", "test-key")
        monkeypatch.setenv("AIML_API_BASE", emu.base_url)
        monkeypatch.setenv("NO_COLOR", "1")
        assert main(["chat", "--model", "baidu/ernie-6.0", "hi"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert 'answer: You said: "hi"' in out


def test_a_known_model_refused_for_another_reason_keeps_the_servers_message(
    env: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    from ernie_aiml.emulator import ErrorReply

    env.enqueue(ErrorReply(400, "model: the prompt is too long for this model"))
    assert main(["chat", "hi"]) == 1
    assert capsys.readouterr().err.startswith(
        "error: model: the prompt is too long for this model [status 400"
    )


# --------------------------------------------------------------------------- the parser


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out == f"ernie-aiml {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["chat", "--modle", "ernie-5.0", "hi"], "usage: ernie-aiml chat [-h] [--model MODEL]"),
        (["emulator", "--prot=8765"], "usage: ernie-aiml emulator [-h] [--host HOST]"),
        (["models", "--lvie"], "usage: ernie-aiml models [-h] [--live]"),
        (["--bogus"], "usage: ernie-aiml [-h] [--version] COMMAND ..."),
    ],
)
def test_a_mistyped_flag_shows_its_subcommands_usage(
    argv: list[str], usage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage)
    prog = usage.removeprefix("usage: ").split(" [")[0]
    typo = next(a for a in argv if a.startswith("--"))
    assert err.splitlines()[-1] == f"{prog}: error: unrecognized arguments: {typo}"


def test_models_markdown_is_the_catalog_the_readme_shows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """One source for the table: `get_model`, `ernie-aiml models` and the README agree."""
    from ernie_aiml import get_model

    assert main(["models", "--markdown"]) == 0
    rows = {
        line.split(" | ")[0].strip("|` "): line.split(" | ")[1:]
        for line in capsys.readouterr().out.splitlines()[2:]
    }
    assert len(rows) == 15
    turbo_vl = rows["baidu/ernie-4-5-turbo-vl-32k"]
    assert turbo_vl == ["32,000", "—", "yes", "yes", "—", "deprecated |"]
    info = get_model("ernie-4.5-turbo-vl-32k")
    assert info is not None and info.pdf_input and info.vision and not info.tools
