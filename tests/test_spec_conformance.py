"""The suite's spec conformance plugin (tests/spec_conformance): what it fails, what the marks
allow, child processes, the totals; and that every MockTransport in the suite goes through it."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest
import spec_conformance

pytest_plugins = ["pytester"]

TESTS = Path(__file__).resolve().parent

INNER = """
import json, subprocess, sys
import httpx, pytest
from ernie_aiml.emulator import Emulator, ValidatingTransport

VALID = {"model": "baidu/ernie-5.0", "messages": [{"role": "user", "content": "Hi"}]}
INVALID = {**VALID, "temperature": 5}
UNLISTED = {**VALID, "x_trace": "t1"}
KEY = {"Authorization": "Bearer k"}

def send(body):
    with Emulator(validate=False) as emu:
        httpx.post(emu.base_url + "/chat/completions", json=body, headers=KEY)

def test_valid():
    send(VALID)

def test_invalid():
    send(INVALID)

@pytest.mark.invalid_body
def test_invalid_on_purpose():
    send(INVALID)

def test_unlisted():
    send(UNLISTED)

@pytest.mark.unlisted_keys
def test_unlisted_on_purpose():
    send(UNLISTED)

def test_invalid_through_the_transport():
    handler = lambda request: httpx.Response(200, json={})
    with httpx.Client(transport=ValidatingTransport(handler, validate=False)) as http:
        http.post("http://127.0.0.1:9/v1/chat/completions", json=INVALID)

def test_invalid_in_a_child_process():
    code = "import sys, json; sys.path.insert(0, '.'); from test_inner import send, INVALID; send(INVALID)"
    subprocess.run([sys.executable, "-c", code], check=True)
"""


def test_the_plugin_fails_what_aiml_would_refuse_or_ignore(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makepyfile(test_inner=INNER)
    # the inner run is a child of this one: it must not report to this run's log
    monkeypatch.delenv(spec_conformance.LOG_ENV)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(TESTS), os.environ["PYTHONPATH"]]))
    result = pytester.runpytest_subprocess("-p", "spec_conformance", "-p", "no:cacheprovider")
    # a body at fault fails its test at teardown (pytest counts the call as passed)
    result.assert_outcomes(passed=7, errors=4)
    faulty = ["invalid", "unlisted", "invalid_through_the_transport", "invalid_in_a_child_process"]
    for name in faulty:
        result.stdout.fnmatch_lines([f"ERROR test_inner.py::test_{name} - Failed: 1 chat body*"])
    result.stdout.fnmatch_lines(
        [
            "*baidu/ernie-5.0 (emulator): temperature: Number must be less than or equal to 2",
            "*baidu/ernie-5.0 (emulator): top-level key(s) the schema does not list "
            "(AIML ignores them): x_trace",
            "*baidu/ernie-5.0 (transport): temperature: Number must be less than or equal to 2",
            "AIML spec conformance: 7 chat bodies checked (6 by emulators, 1 by "
            "ValidatingTransport), 3 valid, 1 invalid on purpose (invalid_body), 3 invalid "
            "elsewhere; 1 with unlisted top-level keys on purpose (unlisted_keys), 1 elsewhere",
            "  top-level keys the model's schema does not list (AIML ignores them):",
            "    baidu/ernie-5.0: x_trace (2), e.g. test_inner.py::test_unlisted",
        ]
    )


def _mock_transports(path: Path) -> list[int]:
    """Lines where `path` builds an `httpx.MockTransport` itself."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and getattr(node.func, "attr", getattr(node.func, "id", None)) == "MockTransport"
    ]


def test_every_mock_transport_in_the_suite_checks_its_bodies() -> None:
    """Unit tests build their MockTransport through `support.mock_transport` (a
    `ValidatingTransport`), so their chat bodies count in the conformance check too."""
    found = {
        str(path.relative_to(TESTS)): lines
        for path in TESTS.rglob("*.py")
        if (lines := _mock_transports(path))
    }
    assert found == {}
