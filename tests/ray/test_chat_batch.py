"""`ChatBatch` called directly on Arrow batches (no cluster): the request on the wire, the
output columns, structured output, tools, resume, errors, settings refused before any
request, and a pickle without the key."""

from __future__ import annotations

import gc
import json
import pickle
import time
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
from ernie_aiml import ParameterError
from ernie_aiml.emulator import Emulator, ErrorReply
from pydantic import BaseModel
from ray_support import KEY, ledger

from ernie_aiml_ray import OUTPUT_COLUMNS, ChatBatch

MODEL = "baidu/ernie-4.5-vl-424b-a47b"


@pytest.fixture
def batch_of(monkeypatch: pytest.MonkeyPatch, emu: Emulator) -> Iterator[Any]:
    """Make a ChatBatch on the emulator (closed after the test); the key from the environment."""
    monkeypatch.setenv("AIML_API_KEY", KEY)
    made: list[ChatBatch] = []

    def make(**config: Any) -> ChatBatch:
        made.append(ChatBatch(model=MODEL, base_url=emu.base_url, **config))
        return made[-1]

    yield make
    for batch in made:
        batch.close()


class City(BaseModel):
    name: str
    country: str


def test_prompts_and_a_system_prompt_go_out_as_the_one_request_path_builds_them(
    batch_of: Any, emu: Emulator
) -> None:
    batch = batch_of(system_prompt="Be brief.", params={"temperature": 0.2, "max_tokens": 50})
    out = batch(pa.table({"id": [1, 2], "prompt": ["Hi", "Bye"]}))
    assert out.column_names == [
        "id",
        "prompt",
        *(n for n in OUTPUT_COLUMNS if n not in ("tool_calls", "parsed")),
    ]
    bodies = sorted((r.json for r in emu.chat_requests), key=lambda b: b["messages"][1]["content"])
    assert bodies[1] == {
        "model": MODEL,
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "user", "content": "Hi"},
        ],
        "temperature": 0.2,
        "max_tokens": 50,
    }
    rows = out.to_pylist()
    assert [r["answer"] for r in rows] == ['You said: "Hi"', 'You said: "Bye"']
    assert [r["id"] for r in rows] == [1, 2]
    assert sum(r["credits"] for r in rows) == sum(ledger(emu, 2))


def test_a_column_of_chat_messages(batch_of: Any, emu: Emulator) -> None:
    chats = [
        [
            {"role": "user", "content": "One"},
            {"role": "assistant", "content": "Yes"},
            {"role": "user", "content": "Two"},
        ]
    ]
    out = batch_of(input_column="chat")({"chat": chats}).to_pylist()
    assert out[0]["answer"] == 'You said: "Two"'
    assert emu.chat_requests[0].json["messages"] == chats[0]


def test_structured_output_fills_a_parsed_column(batch_of: Any, emu: Emulator) -> None:
    out = batch_of(response_format=City)(pa.table({"prompt": ["Paris?"]})).to_pylist()[0]
    assert emu.chat_requests[0].json["response_format"]["type"] == "json_schema"
    assert City.model_validate_json(out["parsed"]).model_dump() == json.loads(out["answer"])
    schema = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    out = batch_of(response_format=schema)(pa.table({"prompt": ["A number"]})).to_pylist()[0]
    assert json.loads(out["parsed"]) == json.loads(out["answer"])
    assert isinstance(json.loads(out["parsed"])["n"], int)


def test_bound_tools_fill_a_tool_calls_column(batch_of: Any) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "multiply",
            "description": "Multiply two integers.",
            "parameters": {
                "type": "object",
                "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                "required": ["a", "b"],
            },
        },
    }
    out = batch_of(tools=[tool])(pa.table({"prompt": ["What is 6 times 7?"]})).to_pylist()[0]
    calls = json.loads(out["tool_calls"])
    assert [(c["name"], c["arguments"]) for c in calls] == [("multiply", {"a": 6, "b": 7})]
    assert out["finish_reason"] == "tool_calls" and out["error"] is None


def test_a_failed_row_gets_its_error_columns_and_a_resumed_job_sends_only_it(
    batch_of: Any, emu: Emulator
) -> None:
    batch = batch_of(max_retries=0, concurrency=1)
    emu.enqueue(ErrorReply(400, "bad things"))
    first = batch(pa.table({"prompt": ["A", "B", "C"]}))
    rows = first.to_pylist()
    failed = [r for r in rows if r["answer"] is None]
    assert len(failed) == 1 and failed[0]["error_type"] == "BadRequestError"
    assert failed[0]["error"] == "bad things" and failed[0]["request_id"]
    assert failed[0]["input_tokens"] is None and failed[0]["credits"] is None
    again = batch(first).to_pylist()
    assert len(emu.chat_requests) == 4  # only the failed row was sent again
    assert [r["answer"] for r in again] == [f'You said: "{p}"' for p in "ABC"]
    assert all(r["error"] is None for r in again)
    assert [r["request_id"] for r in again if r["prompt"] != failed[0]["prompt"]] == [
        r["request_id"] for r in rows if r["prompt"] != failed[0]["prompt"]
    ]


def test_on_error_raise_fails_the_batch(batch_of: Any, emu: Emulator) -> None:
    emu.enqueue(ErrorReply(400, "bad things"))
    with pytest.raises(Exception, match="bad things"):
        batch_of(on_error="raise", max_retries=0)(pa.table({"prompt": ["A"]}))


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"params": {"temperature": 7}}, "temperature must be between"),
        ({"concurrency": 0}, "concurrency must be an integer between 1 and 10000"),
        ({"on_error": "skip"}, "on_error must be 'record' or 'raise'"),
        ({"budget": {"max_calls": 5}}, "budget needs name and store"),
        ({"rate_limit": {"store": "redis://127.0.0.1:1/0", "rpm": 5}}, "rate_limit needs name"),
        ({"response_format": "json"}, "response_format must be a pydantic model class"),
        ({"input_column": ""}, "input_column must be a non-empty string"),
        ({"input_column": "answer"}, "input_column 'answer' is an output column's name"),
        (
            {"budget": {"store": "redis://h:1/0", "name": "x", "max_calls": 0}},
            "max_calls must be > 0",
        ),
        ({"budget": {"store": "redis://h:1/0", "name": "x", "max_call": 5}}, "budget: .*max_call"),
        ({"rate_limit": {"store": "http://h", "name": "x", "rpm": 5}}, "redis"),
    ],
)
def test_bad_settings_are_refused_before_any_request(config: dict[str, Any], message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        ChatBatch(model=MODEL, **config)


def test_a_missing_input_column_names_the_columns(batch_of: Any) -> None:
    with pytest.raises(KeyError, match="input column 'prompt' is not in the batch"):
        batch_of()(pa.table({"text": ["x"]}))


def test_the_pickle_holds_no_key_and_no_client(batch_of: Any) -> None:
    batch = batch_of()
    batch(pa.table({"prompt": ["x"]}))  # a client and a loop exist now
    data = pickle.dumps(batch)
    assert KEY.encode() not in data
    copy = pickle.loads(data)
    assert copy(pa.table({"prompt": ["y"]})).column("answer").to_pylist() == ['You said: "y"']
    copy.close()
    batch.close()
    batch.close()  # idempotent


def test_a_dropped_batch_closes_its_client_without_a_warning(batch_of: Any, emu: Emulator) -> None:
    """Ray Data deletes the UDF when it shuts an actor down: `__del__` closes the client
    (an unclosed one would be a ResourceWarning, an error here) and its connection."""
    batch = ChatBatch(model=MODEL, base_url=emu.base_url)
    batch(pa.table({"prompt": ["x"]}))
    assert emu.open_connections == 1
    del batch
    gc.collect()
    for _ in range(500):  # the emulator's thread sees the close a moment later
        if emu.open_connections == 0:
            break
        time.sleep(0.01)
    assert emu.open_connections == 0
