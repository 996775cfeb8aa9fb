"""Settings: where the key and base URL come from, the loopback rule, timeouts."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from ernie_aiml import MissingAPIKeyError
from ernie_aiml._errors.classes import InsecureTransportError
from ernie_aiml._settings import (
    DEFAULT_BASE_URL,
    DEFAULT_TIMEOUT,
    check_transport_security,
    is_loopback_host,
    resolve_timeout,
)
from ernie_aiml.integration import find_api_key, resolve_api_key, resolve_base_url


def test_key_argument_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIML_API_KEY", "env-one")
    monkeypatch.setenv("AIMLAPI_API_KEY", "env-two")
    assert resolve_api_key("arg-key") == "arg-key"


def test_key_from_aiml_api_key_then_aimlapi_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIMLAPI_API_KEY", "env-two")
    assert resolve_api_key() == "env-two"
    monkeypatch.setenv("AIML_API_KEY", "env-one")
    assert resolve_api_key() == "env-one"
    assert resolve_api_key(None) == "env-one"


def test_openai_key_is_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    with pytest.raises(MissingAPIKeyError) as info:
        resolve_api_key()
    assert find_api_key() is None
    message = str(info.value)
    assert "AIML_API_KEY" in message and "AIMLAPI_API_KEY" in message
    assert "sk-openai" not in message


def test_missing_key_error_names_both_variables() -> None:
    with pytest.raises(MissingAPIKeyError) as info:
        resolve_api_key()
    assert str(info.value) == (
        "No AI/ML API key: pass api_key=... or set AIML_API_KEY (or AIMLAPI_API_KEY). "
        "OPENAI_API_KEY is never used."
    )
    assert isinstance(info.value, ValueError)


def test_empty_env_values_are_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIML_API_KEY", "")
    monkeypatch.setenv("AIMLAPI_API_KEY", "second")
    assert resolve_api_key() == "second"
    assert find_api_key("") == "second"


def test_base_url_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_base_url() == DEFAULT_BASE_URL
    assert urlsplit(DEFAULT_BASE_URL)[:3] == ("https", "api.aimlapi.com", "/v1")
    monkeypatch.setenv("OPENAI_BASE_URL", "https://api.openai.com/v1")
    assert resolve_base_url() == DEFAULT_BASE_URL
    monkeypatch.setenv("AIMLAPI_API_BASE", "https://two.example/v1")
    assert resolve_base_url() == "https://two.example/v1"
    monkeypatch.setenv("AIML_API_BASE", "https://one.example/v1/")
    assert resolve_base_url() == "https://one.example/v1"
    assert resolve_base_url("http://127.0.0.1:8080/v1/") == "http://127.0.0.1:8080/v1"


@pytest.mark.parametrize(
    "url",
    [
        DEFAULT_BASE_URL,
        "https://example.com/v1",
        "http://127.0.0.1:8000/v1",
        "http://127.0.0.5/v1",
        "http://localhost:9000/v1",
        "http://LOCALHOST/v1",
        "http://api.localhost/v1",
        "http://[::1]:8080/v1",
    ],
)
def test_secure_or_loopback_urls_are_allowed(url: str) -> None:
    assert check_transport_security(url) is None


@pytest.mark.parametrize(
    ("url", "host"),
    [
        ("http://aiml.example.com/v1", "aiml.example.com"),
        ("http://10.0.0.5:8000/v1", "10.0.0.5"),
        ("http://192.168.1.1/v1", "192.168.1.1"),
        ("http://localhost.evil.com/v1", "localhost.evil.com"),
        ("http://128.0.0.1/v1", "128.0.0.1"),
    ],
)
def test_plain_http_to_remote_hosts_is_refused(url: str, host: str) -> None:
    with pytest.raises(InsecureTransportError) as info:
        check_transport_security(url)
    assert str(info.value) == (
        f"Refusing to send the API key over http:// to {host!r}: use https, a loopback "
        "address, or allow_insecure_http=True."
    )


def test_other_schemes_are_refused() -> None:
    with pytest.raises(InsecureTransportError, match=r"^Refusing to send the API key over ftp://"):
        check_transport_security("ftp://example.com/v1")


def test_insecure_http_is_an_explicit_opt_in() -> None:
    assert check_transport_security("http://10.0.0.5/v1", allow_insecure_http=True) is None


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.255.0.9", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("example.com", False),
        ("", False),
    ],
)
def test_is_loopback_host(host: str, loopback: bool) -> None:
    assert is_loopback_host(host) is loopback


def test_resolve_timeout() -> None:
    assert resolve_timeout(None) is DEFAULT_TIMEOUT
    assert httpx.Timeout(connect=10.0, read=600.0, write=60.0, pool=60.0) == DEFAULT_TIMEOUT
    custom = httpx.Timeout(5.0)
    assert resolve_timeout(custom) is custom
    assert resolve_timeout(30) == httpx.Timeout(30.0, connect=10.0)
    assert resolve_timeout(2.5) == httpx.Timeout(2.5, connect=2.5)
