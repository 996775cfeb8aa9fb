"""One tool call's wire entry, both ways, and the server's usage object: what adapters use so
that they never spell AIML's shapes themselves."""

from __future__ import annotations

from ernie_aiml._wire.response import parse_completion
from ernie_aiml.integration import entry_fields, tool_call_entry, wire_usage
from support import load_fixture

SIG = {"google": {"thought_signature": "sig=="}}


def test_entry_round_trip_keeps_extra_content() -> None:
    entry = tool_call_entry("call_1", "add", '{"a": 1}', SIG)
    assert entry == {
        "id": "call_1",
        "type": "function",
        "function": {"name": "add", "arguments": '{"a": 1}'},
        "extra_content": SIG,
    }
    assert entry_fields(entry) == ("call_1", "add", '{"a": 1}', SIG)


def test_entry_without_extra_content_has_no_such_key() -> None:
    assert "extra_content" not in tool_call_entry("c", "f", "{}")


def test_fields_of_a_partial_entry_are_empty_not_missing() -> None:
    assert entry_fields({"function": None}) == (None, "", "", None)
    assert entry_fields({"id": 3, "function": {"name": 1, "arguments": {}}}) == (None, "", "", None)


def test_wire_usage_is_the_servers_object_unchanged() -> None:
    body = load_fixture("seeds/ernie-4.5-vl-424b-a47b.json")
    assert wire_usage(body) is body["usage"]
    assert wire_usage(parse_completion(body).raw) == body["usage"]
    assert wire_usage({"usage": None}) is None
    assert wire_usage(None) is None
