"""The model catalog: every documented ERNIE id, aliases, status and the deprecation warning."""

from __future__ import annotations

import warnings

import pytest
from ernie_aiml import DEFAULT_MODEL, DeprecatedModelWarning, _catalog, get_model, list_catalog
from ernie_aiml._catalog import canonical_id, warn_if_deprecated

# The `model.enum` of each of AIML's 15 ERNIE OpenAPI specs (spelling exactly as there).
SPEC_IDS = [
    "baidu/ernie-4.5-0.3b",
    "baidu/ernie-4.5-21b-a3b-thinking",
    "baidu/ernie-4.5-21b-a3b",
    "baidu/ernie-4.5-300b-a47b-paddle",
    "baidu/ernie-4.5-300b-a47b",
    "baidu/ernie-4-5-8k-preview",
    "baidu/ernie-4-5-turbo-128k",
    "baidu/ernie-4-5-turbo-vl-32k",
    "baidu/ernie-4.5-vl-28b-a3b",
    "baidu/ernie-4.5-vl-424b-a47b",
    "baidu/ernie-5-0-thinking-latest",
    "baidu/ernie-5-0-thinking-preview",
    "baidu/ernie-5.0",
    "baidu/ernie-x1-turbo-32k",
    "baidu/ernie-x1-1-preview",
]


@pytest.fixture
def fresh_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which models already warned in this process."""
    monkeypatch.setattr(_catalog, "_warned", set())


def test_every_spec_id_is_known_by_its_own_spelling() -> None:
    assert sorted(m.id for m in list_catalog()) == sorted(SPEC_IDS)
    for model_id in SPEC_IDS:
        info = get_model(model_id)
        assert info is not None and info.id == model_id
        assert canonical_id(model_id) == model_id


def test_only_two_models_are_active_and_the_default_is_one() -> None:
    active = [m.id for m in list_catalog() if m.status == "active"]
    assert active == ["baidu/ernie-5.0", "baidu/ernie-4.5-vl-424b-a47b"]
    assert DEFAULT_MODEL == "baidu/ernie-5.0"
    deprecated = sorted(m.id for m in list_catalog() if m.deprecated)
    assert deprecated == sorted(set(SPEC_IDS) - set(active))
    assert len(deprecated) == 13


@pytest.mark.parametrize(
    ("alias", "model_id"),
    [
        # the names the server echoes back (seed responses)
        ("ernie-x1.1-preview", "baidu/ernie-x1-1-preview"),
        ("ernie-x1-turbo-32k", "baidu/ernie-x1-turbo-32k"),
        ("baidu/ernie-4.5-21B-a3b", "baidu/ernie-4.5-21b-a3b"),
        ("ernie-5.0-thinking-preview", "baidu/ernie-5-0-thinking-preview"),
        ("baidu/ernie-4.5-vl-424b-a47b", "baidu/ernie-4.5-vl-424b-a47b"),
        # dotted vs dashed, with and without the provider prefix
        ("baidu/ernie-x1.1-preview", "baidu/ernie-x1-1-preview"),
        ("baidu/ernie-4.5-8k-preview", "baidu/ernie-4-5-8k-preview"),
        ("ernie-4-5-turbo-128k", "baidu/ernie-4-5-turbo-128k"),
        ("baidu/ernie-4-5-21b-a3b-thinking", "baidu/ernie-4.5-21b-a3b-thinking"),
        ("baidu/ernie-5.0-thinking-latest", "baidu/ernie-5-0-thinking-latest"),
        ("ernie-5.0", "baidu/ernie-5.0"),
        ("ERNIE-5-0", "baidu/ernie-5.0"),
    ],
)
def test_aliases_resolve(alias: str, model_id: str) -> None:
    info = get_model(alias)
    assert info is not None and info.id == model_id
    assert canonical_id(alias) == model_id


@pytest.mark.parametrize("name", ["acme/foo", "baidu/ernie-6.0", "gpt-4o", "", None])
def test_unknown_ids_have_no_entry_and_pass_through(name: str | None) -> None:
    assert get_model(name) is None
    if name:
        assert canonical_id(name) == name


def test_capabilities_of_the_active_models() -> None:
    five = get_model("baidu/ernie-5.0")
    vl = get_model("baidu/ernie-4.5-vl-424b-a47b")
    assert five is not None and vl is not None
    assert (
        five.context_window,
        five.reasoning,
        five.thinking_switch,
        five.vision,
        five.pdf_input,
        five.tools,
    ) == (128_000, True, True, True, True, True)
    assert (
        vl.context_window,
        vl.reasoning,
        vl.thinking_switch,
        vl.vision,
        vl.pdf_input,
        vl.tools,
    ) == (123_000, False, False, True, True, True)
    assert [m.id for m in list_catalog() if m.thinking_switch] == ["baidu/ernie-5.0"]


def test_context_windows_of_deprecated_models() -> None:
    expected = {
        "baidu/ernie-x1-1-preview": 64_000,
        "baidu/ernie-x1-turbo-32k": 32_000,
        "baidu/ernie-5-0-thinking-preview": 128_000,
        "baidu/ernie-5-0-thinking-latest": 128_000,
        "baidu/ernie-4.5-21b-a3b": 120_000,
        "baidu/ernie-4.5-21b-a3b-thinking": 131_000,
        "baidu/ernie-4.5-300b-a47b": 123_000,
        "baidu/ernie-4.5-300b-a47b-paddle": 123_000,
        "baidu/ernie-4.5-0.3b": 120_000,
        "baidu/ernie-4-5-8k-preview": 8_000,
        "baidu/ernie-4-5-turbo-128k": 128_000,
        "baidu/ernie-4-5-turbo-vl-32k": 32_000,
        "baidu/ernie-4.5-vl-28b-a3b": 30_000,
    }
    assert {m.id: m.context_window for m in list_catalog() if m.deprecated} == expected


def test_deprecated_model_warns_once_per_process_naming_active_ids(fresh_warnings: None) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert warn_if_deprecated("baidu/ernie-x1-turbo-32k") is True
        assert warn_if_deprecated("ernie-x1-turbo-32k") is True  # same model, by alias
        assert warn_if_deprecated("baidu/ernie-x1-turbo-32k") is True
        assert warn_if_deprecated("baidu/ernie-4.5-0.3b") is True
    assert [w.category for w in caught] == [DeprecatedModelWarning, DeprecatedModelWarning]
    first = str(caught[0].message)
    assert first == (
        "baidu/ernie-x1-turbo-32k is listed by AI/ML API as deprecated and can no longer be "
        "called; use baidu/ernie-5.0 (reasoning, vision, PDF, tools) or "
        "baidu/ernie-4.5-vl-424b-a47b (vision, PDF, tools)"
    )
    assert str(caught[1].message).startswith("baidu/ernie-4.5-0.3b is listed")


def test_active_and_unknown_models_do_not_warn(fresh_warnings: None) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert warn_if_deprecated("baidu/ernie-5.0") is False
        assert warn_if_deprecated("baidu/ernie-4.5-vl-424b-a47b") is False
        assert warn_if_deprecated("acme/foo") is False
    assert caught == []


@pytest.fixture
def fresh_unknown(monkeypatch: pytest.MonkeyPatch) -> None:
    """Forget which unknown ids already warned in this process."""
    monkeypatch.setattr(_catalog, "_warned_unknown", set())


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("baidu/ernie-5", "closest known: baidu/ernie-5.0"),
        (
            "baidu/ernie-4.5-vl-424b",
            "closest known: baidu/ernie-4.5-vl-424b-a47b, baidu/ernie-4.5-vl-28b-a3b, "
            "baidu/ernie-4.5-0.3b",
        ),
        ("gpt-4o", "AI/ML API serves baidu/ernie-5.0, baidu/ernie-4.5-vl-424b-a47b"),
    ],
)
def test_unknown_ids_warn_once_with_the_closest_known_ids(
    fresh_unknown: None, name: str, hint: str
) -> None:
    from ernie_aiml import Message, UnknownModelWarning, build_chat_request

    with pytest.warns(UnknownModelWarning) as record:
        body = build_chat_request(name, [Message("user", "hi")])
    assert body["model"] == name  # sent as given
    assert str(record[0].message) == (
        f"{name!r} is not an ERNIE model this package knows; it is sent as given, with no "
        f"capability checks ({hint})"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        build_chat_request(name, [Message("user", "hi")])  # once per process and name
