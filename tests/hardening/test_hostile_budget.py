"""A lying server cannot switch a budget off or lower it (issue 22 §4).

`NaN`, infinite or negative credits, USD or token counts, in `meta.usage` or in the
`x-aimlapi-credits-used`/`x-aimlapi-usd-spent` headers, are a `ResponseParseError` in every
mode, and a `track_usage` block never counts them: its totals never go down and its
limits hold while honest and lying answers interleave.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import ernie_aiml
import pytest
from hostile_support import MODES, HostileServer, answer, build, events, json_reply, run, sse_reply

TOKENS = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
LIES: dict[str, tuple[dict[str, Any], dict[str, str]]] = {
    "credits-nan": ({"meta": {"usage": {"credits_used": float("nan")}}}, {}),
    "credits-inf": ({"meta": {"usage": {"credits_used": float("inf")}}}, {}),
    "credits-negative": ({"meta": {"usage": {"credits_used": -1e10}}}, {}),
    "usd-negative-inf": ({"meta": {"usage": {"usd_spent": float("-inf")}}}, {}),
    "usd-negative": ({"meta": {"usage": {"usd_spent": -5.0}}}, {}),
    "tokens-negative": ({"usage": {**TOKENS, "total_tokens": -1_000_000}}, {}),
    "prompt-negative": ({"usage": {**TOKENS, "prompt_tokens": -3}}, {}),
    "reasoning-negative": (
        {"usage": {**TOKENS, "completion_tokens_details": {"reasoning_tokens": -7}}},
        {},
    ),
    "cached-negative": ({"usage": {**TOKENS, "prompt_tokens_details": {"cached_tokens": -1}}}, {}),
    # finite, yet beyond any float: formatting it in a budget error raised OverflowError
    "credits-huge-int": ({"meta": {"usage": {"credits_used": 10**400}}}, {}),
    "tokens-huge-int": ({"usage": {**TOKENS, "total_tokens": 10**400}}, {}),
    "header-credits-huge": ({}, {"x_aimlapi_credits_used": "1" + "0" * 400}),
    "header-credits-nan": ({}, {"x_aimlapi_credits_used": "NaN"}),
    "header-credits-negative": ({}, {"x_aimlapi_credits_used": "-20000000000"}),
    "header-usd-inf": ({}, {"x_aimlapi_usd_spent": "Infinity"}),
}
STREAM_LIES = [
    case for case, (_, headers) in LIES.items() if not headers
]  # streams: no such headers


def liar(case: str) -> HostileServer:
    fields, headers = LIES[case]

    def respond(request: Any) -> Iterator[bytes]:
        if request.streamed:
            return sse_reply(events(**fields), **headers)
        return json_reply(json.dumps(answer(**fields)).encode(), **headers)

    return HostileServer(respond)


@pytest.mark.parametrize("case", list(LIES))
@pytest.mark.parametrize("mode", MODES)
async def test_lying_usage_is_a_parse_error_and_never_counted(mode: str, case: str) -> None:
    if "stream" in mode and case not in STREAM_LIES:
        pytest.skip("streams read their cost from the events, not from headers")
    server = liar(case)
    try:
        with (
            ernie_aiml.track_usage() as tally,
            pytest.raises(ernie_aiml.ResponseParseError, match=">= 0"),
        ):
            await run(mode, build(mode, server.base_url))
    finally:
        server.close()
    assert tally.credits_used == 0 and tally.usd_spent == 0
    assert min(tally.prompt_tokens, tally.total_tokens, tally.reasoning_tokens) >= 0


HONEST = {"meta": {"usage": {"credits_used": 100, "usd_spent": 0.001}}}


@pytest.mark.parametrize("mode", MODES)
async def test_budget_holds_while_lies_and_honest_answers_interleave(mode: str) -> None:
    cases = [c for c in (STREAM_LIES if "stream" in mode else list(LIES))]
    turn = {"n": 0}

    def respond(request: Any) -> Iterator[bytes]:
        turn["n"] += 1
        fields, headers = (HONEST, {}) if turn["n"] % 2 else LIES[cases[turn["n"] % len(cases)]]
        if request.streamed:
            return sse_reply(events(**fields), **headers)
        return json_reply(json.dumps(answer(**fields)).encode(), **headers)

    server = HostileServer(respond)
    target = build(mode, server.base_url)
    spent: list[float] = []
    try:
        with (
            ernie_aiml.track_usage(max_credits=1000) as tally,
            pytest.raises(ernie_aiml.BudgetExceededError),
        ):
            for _ in range(40):
                with contextlib.suppress(ernie_aiml.ResponseParseError):
                    await run(mode, target)
                spent.append(tally.credits_used)
    finally:
        server.close()
    assert spent == sorted(spent)  # never lowered
    assert tally.credits_used == 1000  # ten honest answers, then refused
    assert len(server.requests) == 19  # 10 honest, 9 lies between them (never counted)


@pytest.mark.parametrize("limit", [float("nan"), -1.0])
def test_a_nan_or_negative_limit_is_refused(limit: float) -> None:
    with pytest.raises(ernie_aiml.ParameterError, match="max_credits"):
        ernie_aiml.UsageTally(max_credits=limit)
