"""`ernie_aiml_ray` on a real local Ray (2 CPUs) against the emulator: every row comes back
exactly once, answered or with a typed error; the shared budget holds across actors; a
killed actor loses no row."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from ernie_aiml.emulator import Emulator
from ray_support import FlakyEmulator, KillOnce, ledger, prompts_sent

from ernie_aiml_ray import map_chat

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:ray.*")


def _prompts(n: int) -> list[dict[str, str]]:
    return [{"prompt": f"question {i}"} for i in range(n)]


def _by_prompt(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda r: r["prompt"])


def _run(ray: Any, rows: list[dict[str, Any]], **config: Any) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = map_chat(ray.data.from_items(rows), **config).take_all()
    return out


def test_2000_prompts_each_answered_once_with_its_own_answer(
    ray_cluster: Any, emu: Emulator
) -> None:
    rows = _run(
        ray_cluster, _prompts(2000), base_url=emu.base_url, actors=2, concurrency=16, batch_size=250
    )
    assert sorted(r["prompt"] for r in rows) == sorted(p["prompt"] for p in _prompts(2000))
    for row in rows:
        assert row["answer"] == f'You said: "{row["prompt"]}"'
        assert row["error"] is None and row["error_type"] is None
        assert row["finish_reason"] == "stop"
        assert row["input_tokens"] > 0 and row["output_tokens"] > 0 and row["reasoning_tokens"] > 0
        assert row["request_id"]
    # the output's usage is the emulator's ledger, request for request
    assert len(emu.chat_requests) == 2000
    charges = ledger(emu, 2000)
    assert sum(r["credits"] for r in rows) == sum(charges) == emu.credits_charged
    assert sorted(r["credits"] for r in rows) == sorted(charges)
    assert sum(r["usd"] for r in rows) == pytest.approx(emu.credits_charged / 2_000_000)
    assert "tool_calls" not in rows[0] and "parsed" not in rows[0]


def test_a_shared_budget_of_500_calls_answers_exactly_500(
    ray_cluster: Any, emu: Emulator, store: str
) -> None:
    budget = {"store": store, "name": "ray-test-500", "max_calls": 500}
    rows = _run(
        ray_cluster,
        _prompts(700),
        base_url=emu.base_url,
        actors=2,
        concurrency=16,
        budget=budget,
        batch_size=100,
    )
    assert len(rows) == 700
    answered = [r for r in rows if r["answer"] is not None]
    refused = [r for r in rows if r["answer"] is None]
    assert len(answered) == 500 == len(emu.chat_requests)
    assert {r["error_type"] for r in refused} == {"BudgetExceededError"}
    assert all("max_calls=500" in r["error"] and r["credits"] is None for r in refused)
    assert all(r["error"] is None for r in answered)
    # resume: the spent budget refuses again and sends nothing; a fresh one answers the rest
    again = _run(ray_cluster, rows, base_url=emu.base_url, budget=budget, batch_size=200)
    assert _by_prompt(again) == _by_prompt(rows)  # nothing changed
    assert len(emu.chat_requests) == 500
    assert sum(r["answer"] is not None for r in again) == 500
    rest = _run(ray_cluster, again, base_url=emu.base_url, batch_size=200)
    assert len(emu.chat_requests) == 700
    assert all(r["answer"] == f'You said: "{r["prompt"]}"' for r in rest)
    assert sorted(r["prompt"] for r in rest) == sorted(p["prompt"] for p in _prompts(700))


def test_5xx_and_429_rows_are_answered_or_typed_and_never_sent_beyond_their_retries(
    ray_cluster: Any,
) -> None:
    with FlakyEmulator() as emu:
        rows = _run(
            ray_cluster,
            _prompts(400),
            base_url=emu.base_url,
            concurrency=16,
            max_retries=2,
            batch_size=150,
        )
        sent = prompts_sent(emu)
        errors = emu.scripted_errors
    assert len(rows) == 400
    assert errors[500] >= 20 and errors[429] >= 8  # the script did fail requests
    for row in rows:
        assert sent[row["prompt"]] <= 3  # one attempt and max_retries=2 retries, at most
        if row["answer"] is None:
            assert row["error_type"] in ("ServerError", "RateLimitError"), row
            assert row["error"].startswith("scripted ")
            assert sent[row["prompt"]] == 3
        else:
            assert row["answer"] == f'You said: "{row["prompt"]}"' and row["error"] is None
    # every request was either a row's one answer or a scripted error, nothing else
    answered = sum(row["answer"] is not None for row in rows)
    assert sum(sent.values()) == answered + errors[500] + errors[429]


def test_an_actor_killed_mid_job_loses_no_row_and_answers_none_twice(
    ray_cluster: Any, emu: Emulator, tmp_path: Path
) -> None:
    marker = str(tmp_path / "killed")
    ds = ray_cluster.data.from_items(_prompts(400))
    out = ds.map_batches(
        KillOnce,
        fn_constructor_kwargs={"marker": marker, "after": 100, "base_url": emu.base_url},
        batch_size=100,
        batch_format="pyarrow",
        compute=ray_cluster.data.ActorPoolStrategy(size=2),
    ).take_all()
    assert Path(marker).exists()  # an actor did die
    assert sorted(r["prompt"] for r in out) == sorted(p["prompt"] for p in _prompts(400))
    assert all(r["answer"] == f'You said: "{r["prompt"]}"' for r in out)
    assert len(emu.chat_requests) > 400  # the dead actor's batch was sent again


def test_a_failing_row_fails_the_job_with_raise(ray_cluster: Any) -> None:
    with Emulator() as emu:
        emu.enqueue(*(emu_error() for _ in range(3)))
        with pytest.raises(Exception, match="scripted 500"):
            _run(
                ray_cluster,
                _prompts(4),
                base_url=emu.base_url,
                on_error="raise",
                concurrency=1,
                max_retries=2,
            )


def emu_error() -> Any:
    from ernie_aiml.emulator import ErrorReply

    return ErrorReply(500, "scripted 500")


def test_the_runner_imports_no_ray_until_a_job_is_mapped() -> None:
    import subprocess

    code = (
        "import sys, ernie_aiml_ray\n"
        "ernie_aiml_ray.ChatBatch(concurrency=4)\n"
        "print('ray' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
