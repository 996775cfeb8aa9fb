"""validate_params: documented ranges, types, and the thinking switch per model."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import pytest
from ernie_aiml import ParameterError
from ernie_aiml._wire.params import KNOWN_PARAMS, validate_params
from ernie_aiml.integration import FIELD_PARAMS


def test_all_valid_params_are_returned_wire_ready() -> None:
    out = validate_params(
        "baidu/ernie-5.0",
        temperature=0.7,
        top_p=0.9,
        max_tokens=512,
        stop=("END", "STOP"),
        seed=42,
        frequency_penalty=-1.5,
        presence_penalty=2,
        enable_thinking=True,
        thinking_budget=100,
    )
    assert out == {
        "temperature": 0.7,
        "top_p": 0.9,
        "max_tokens": 512,
        "stop": ["END", "STOP"],
        "seed": 42,
        "frequency_penalty": -1.5,
        "presence_penalty": 2,
        "enable_thinking": True,
        "thinking_budget": 100,
    }


def test_none_values_and_unknown_names_are_not_sent() -> None:
    assert validate_params("baidu/ernie-5.0", temperature=None, stop=None, foo=1) == {}
    assert validate_params(None) == {}


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("temperature", 0),
        ("temperature", 2),
        ("top_p", 0.01),
        ("top_p", 1),
        ("frequency_penalty", -2),
        ("presence_penalty", 2.0),
        ("max_tokens", 1),
        ("seed", 1),
    ],
)
def test_boundaries_are_inclusive(name: str, value: float) -> None:
    assert validate_params("baidu/ernie-4.5-vl-424b-a47b", **{name: value}) == {name: value}


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("temperature", 3.5, "temperature must be between 0 and 2 (got 3.5)"),
        ("temperature", -0.1, "temperature must be between 0 and 2 (got -0.1)"),
        ("top_p", 0, "top_p must be between 0.01 and 1 (got 0)"),
        ("top_p", 1.5, "top_p must be between 0.01 and 1 (got 1.5)"),
        ("frequency_penalty", 2.5, "frequency_penalty must be between -2 and 2 (got 2.5)"),
        ("presence_penalty", -3, "presence_penalty must be between -2 and 2 (got -3)"),
        ("max_tokens", 0, "max_tokens must be an integer >= 1 (got 0)"),
        ("seed", 0, "seed must be an integer >= 1 (got 0)"),
        ("thinking_budget", 99, "thinking_budget must be an integer >= 100 (got 99)"),
    ],
)
def test_out_of_range_names_parameter_range_and_value(
    name: str, value: float, message: str
) -> None:
    with pytest.raises(ParameterError) as info:
        validate_params("baidu/ernie-5.0", **{name: value})
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("temperature", "hot", "temperature must be a number between 0 and 2 (got 'hot')"),
        ("temperature", True, "temperature must be a number between 0 and 2 (got True)"),
        ("top_p", False, "top_p must be a number between 0.01 and 1 (got False)"),
        ("temperature", float("nan"), "temperature must be between 0 and 2 (got nan)"),
        ("presence_penalty", float("inf"), "presence_penalty must be between -2 and 2 (got inf)"),
        ("max_tokens", 100.0, "max_tokens must be an integer >= 1 (got 100.0)"),
        ("max_tokens", True, "max_tokens must be an integer >= 1 (got True)"),
        ("max_tokens", "100", "max_tokens must be an integer >= 1 (got '100')"),
        ("seed", 1.5, "seed must be an integer >= 1 (got 1.5)"),
        ("thinking_budget", 200.0, "thinking_budget must be an integer >= 100 (got 200.0)"),
        ("enable_thinking", 1, "enable_thinking must be True or False (got 1)"),
        ("enable_thinking", "yes", "enable_thinking must be True or False (got 'yes')"),
    ],
)
def test_wrong_types_are_refused(name: str, value: object, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        validate_params("baidu/ernie-5.0", **{name: value})
    assert str(info.value) == message


def test_other_real_numbers_are_converted_to_float() -> None:
    out = validate_params(None, temperature=Fraction(1, 2))
    assert out == {"temperature": 0.5}
    assert type(out["temperature"]) is float


def test_stop_accepts_a_string_or_up_to_four_strings() -> None:
    assert validate_params(None, stop="\n") == {"stop": "\n"}
    assert validate_params(None, stop=["a", "b", "c", "d"]) == {"stop": ["a", "b", "c", "d"]}


@pytest.mark.parametrize("empty", [[], ()])
def test_an_empty_stop_list_means_no_stop(empty: object) -> None:
    assert validate_params(None, stop=empty) == {}
    assert validate_params("baidu/ernie-5.0", stop=empty, seed=3) == {"seed": 3}


def test_known_params_is_exported_and_lists_every_generation_parameter() -> None:
    expected = frozenset(
        {
            "temperature",
            "top_p",
            "max_tokens",
            "stop",
            "seed",
            "frequency_penalty",
            "presence_penalty",
            "enable_thinking",
            "thinking_budget",
        }
    )
    assert frozenset(FIELD_PARAMS) == expected
    assert (
        expected | {"max_completion_tokens", "provider", "normalize_tool_schemas"} == KNOWN_PARAMS
    )


@pytest.mark.parametrize(
    ("model", "params", "message"),
    [
        (
            "baidu/ernie-5.0",
            {"max_completion_tokens": 10},
            "max_completion_tokens not supported by baidu/ernie-5.0; models that take it: "
            "baidu/ernie-4.5-vl-424b-a47b",
        ),
        (
            "baidu/ernie-4.5-vl-424b-a47b",
            {"normalize_tool_schemas": True},
            "normalize_tool_schemas not supported by baidu/ernie-4.5-vl-424b-a47b; models "
            "that take it: baidu/ernie-5.0",
        ),
        (
            "baidu/ernie-4.5-0.3b",
            {"provider": "baidu"},
            "provider not supported by baidu/ernie-4.5-0.3b; models that take it: "
            "baidu/ernie-5.0, baidu/ernie-4.5-vl-424b-a47b",
        ),
        ("baidu/ernie-5.0", {"provider": ""}, "provider must be a non-empty string (got '')"),
        (
            "baidu/ernie-4.5-vl-424b-a47b",
            {"max_completion_tokens": 0},
            "max_completion_tokens must be an integer >= 1 (got 0)",
        ),
    ],
)
def test_model_specific_params_only_where_the_spec_lists_them(
    model: str, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ParameterError) as info:
        validate_params(model, **params)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("baidu/ernie-4.5-vl-424b-a47b", {"max_completion_tokens": 64, "provider": "baidu"}),
        ("baidu/ernie-5.0", {"normalize_tool_schemas": True, "provider": "auto"}),
        ("baidu/ernie-4.5-300b-a47b", {"max_completion_tokens": 1, "provider": "baidu"}),
        ("some/unknown-model", {"max_completion_tokens": 5, "normalize_tool_schemas": False}),
    ],
)
def test_model_specific_params_are_sent_where_listed(model: str, params: dict[str, Any]) -> None:
    assert validate_params(model, **params) == params


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            ["a", "b", "c", "d", "e"],
            "stop takes at most 4 sequences (got 5: ['a', 'b', 'c', 'd', 'e'])",
        ),
        (["a", 1], "stop sequences must be non-empty strings (got 1 in ['a', 1])"),
        (["a", ""], "stop sequences must be non-empty strings (got '' in ['a', ''])"),
        ("", "stop must be a non-empty string or a list of them (got '')"),
        (7, "stop must be a string or a list of at most 4 strings (got 7)"),
    ],
)
def test_bad_stop(value: object, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        validate_params(None, stop=value)
    assert str(info.value) == message


@pytest.mark.parametrize("model", ["baidu/ernie-x1-turbo-32k", "baidu/ernie-4.5-vl-424b-a47b"])
def test_thinking_switch_on_a_model_without_one(model: str) -> None:
    with pytest.raises(ParameterError) as info:
        validate_params(model, enable_thinking=True)
    assert str(info.value) == (
        f"enable_thinking not supported by {model}: only baidu/ernie-5.0 has a thinking switch"
    )


def test_thinking_budget_on_a_model_without_switch_names_it_by_canonical_id() -> None:
    with pytest.raises(ParameterError) as info:
        validate_params("ernie-x1.1-preview", enable_thinking=False, thinking_budget=500)
    assert str(info.value) == (
        "enable_thinking and thinking_budget not supported by baidu/ernie-x1-1-preview: "
        "only baidu/ernie-5.0 has a thinking switch"
    )


def test_thinking_budget_needs_thinking_on() -> None:
    with pytest.raises(ParameterError) as info:
        validate_params("baidu/ernie-5.0", enable_thinking=False, thinking_budget=500)
    assert str(info.value) == (
        "thinking_budget needs enable_thinking (got enable_thinking=False, thinking_budget=500)"
    )


def test_thinking_on_the_switch_model_and_its_alias() -> None:
    assert validate_params("ernie-5.0", enable_thinking=False) == {"enable_thinking": False}
    assert validate_params("baidu/ernie-5.0", thinking_budget=2048) == {"thinking_budget": 2048}


def test_unknown_model_gets_range_checks_only() -> None:
    assert validate_params("acme/foo", enable_thinking=True, thinking_budget=150) == {
        "enable_thinking": True,
        "thinking_budget": 150,
    }
    with pytest.raises(ParameterError, match=r"^temperature must be between 0 and 2 \(got 9\)$"):
        validate_params("acme/foo", temperature=9)


def test_parameter_error_is_a_value_error() -> None:
    with pytest.raises(ValueError):
        validate_params(None, seed=-1)
