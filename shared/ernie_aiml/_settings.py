"""Where the key, base URL and timeouts come from, and the rule that guards the key.

Order: explicit argument, then `AIML_API_KEY`, then `AIMLAPI_API_KEY` (likewise
`AIML_API_BASE`, `AIMLAPI_API_BASE`). `OPENAI_API_KEY` is never read: it would send an
OpenAI key to a third party.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import os
import warnings
from typing import Any
from urllib.parse import urlsplit

import httpx

from ._errors.classes import InsecureTransportError, MissingAPIKeyError, ParameterError

DEFAULT_BASE_URL = "https://api.aimlapi.com/v1"
KEY_ENV_VARS = ("AIML_API_KEY", "AIMLAPI_API_KEY")
BASE_ENV_VARS = ("AIML_API_BASE", "AIMLAPI_API_BASE")

#: Connect fast, but let a long chain of thought take its time before the first byte.
DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=600.0, write=60.0, pool=60.0)
DEFAULT_MAX_RETRIES = 2


def resolve_api_key(api_key: str | None = None) -> str:
    """The key to use (checked by `check_api_key`), or `MissingAPIKeyError` naming both
    environment variables."""
    if api_key and api_key.strip():
        return check_api_key(api_key, "api_key")
    for name in KEY_ENV_VARS:
        value = os.environ.get(name)
        if value and value.strip():
            return check_api_key(value, name)
    raise MissingAPIKeyError(
        "No AI/ML API key: pass api_key=... or set AIML_API_KEY (or AIMLAPI_API_KEY). "
        "OPENAI_API_KEY is never used."
    )


def check_api_key(key: str, source: str = "api_key") -> str:
    """`key` as it can be sent: surrounding whitespace stripped (a secret file's newline,
    a CRLF `.env`) with a `APIKeyWhitespaceWarning`; a `Bearer ` prefix, control, space,
    quote, backslash or non-ASCII characters refused with a `ParameterError` that never
    contains the key."""
    stripped = key.strip()
    if (
        stripped.isascii()
        and stripped.isprintable()
        and " " not in stripped
        and '"' not in stripped
        and "\\" not in stripped
    ):
        if stripped != key:
            warnings.warn(
                f"{source} had surrounding whitespace (such as a trailing newline); it was "
                "stripped before use",
                APIKeyWhitespaceWarning,
                stacklevel=3,
            )
        return stripped
    if stripped[:7].lower() == "bearer ":
        raise _key_error(source, "starts with 'Bearer ': pass the key alone (the package adds it)")
    index, char = next((i, c) for i, c in enumerate(stripped) if _bad_key_char(c))
    raise _key_error(source, f"contains {_kind(char)} character at position {index}")


def _bad_key_char(char: str) -> bool:
    # `"` and `\\` never occur in a key, and JSON would escape them past the masking
    return char in ' "\\' or not (char.isascii() and char.isprintable())


def _kind(char: str) -> str:
    if char == " ":
        return "a space"
    if char in '"\\':
        return "a quote or backslash"
    return "a control" if char.isascii() else "a non-ASCII"


def _key_error(source: str, what: str) -> ParameterError:
    """The refusal of a malformed key: says where it came from and what is wrong, never the key."""
    return ParameterError(
        f"{source} {what}; an AI/ML API key is visible ASCII, without quotes or backslashes "
        "(nothing was sent)"
    )


class APIKeyWhitespaceWarning(UserWarning):
    """The key had surrounding whitespace (a trailing newline, say); it was stripped."""


def find_api_key(api_key: str | None = None) -> str | None:
    """Like `resolve_api_key` but returns None instead of raising."""
    try:
        return resolve_api_key(api_key)
    except MissingAPIKeyError:
        return None


def resolve_base_url(base_url: str | None = None) -> str:
    """The base URL to use, without a trailing slash; one without a scheme or host is refused."""
    source = "base_url"
    if not base_url:
        source, base_url = next(
            ((n, os.environ[n]) for n in BASE_ENV_VARS if os.environ.get(n)),
            ("base_url", DEFAULT_BASE_URL),
        )
    return check_base_url(base_url, source).rstrip("/")


@functools.lru_cache(maxsize=64)
def check_base_url(base_url: str, source: str = "base_url") -> str:
    """`base_url` if it is an http(s) URL with a host, else `ParameterError` saying what to write."""
    if not isinstance(base_url, str):
        raise ParameterError(f"{source} must be a URL string (got {base_url!r})")
    if not base_url.isascii():
        try:
            base_url.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParameterError(
                f"{source} holds a character no URL can carry (a lone surrogate "
                f"{base_url[exc.start]!r} at position {exc.start})"
            ) from None
    parts = urlsplit(base_url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ParameterError(
            f"{source} {base_url!r} is not a URL the key can be sent to: it needs https:// "
            "(or http:// for a loopback address), e.g. https://api.aimlapi.com/v1 or "
            "http://127.0.0.1:8765/v1"
        )
    return base_url


def check_timeout(timeout: Any, name: str = "timeout") -> None:
    """None, a number of seconds > 0, or an `httpx.Timeout` whose limits are None or > 0.

    Checked before any request: httpx would take 0 as "fail at once" (a misleading
    connection error after every retry) and a negative value opens a socket, then raises.
    """
    if timeout is None:
        return
    if isinstance(timeout, httpx.Timeout):
        for kind in ("connect", "read", "write", "pool"):
            _seconds(getattr(timeout, kind), f"{name}.{kind}", none_ok=True)
        return
    _seconds(timeout, name, none_ok=False)


def _seconds(value: Any, name: str, *, none_ok: bool) -> None:
    if value is None and none_ok:
        return
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or not math.isfinite(value)
        or value <= 0
    ):
        raise ParameterError(
            f"{name} must be a number of seconds > 0 (no upper limit) or an httpx.Timeout "
            f"(got {value!r})"
        )


def check_max_retries(max_retries: Any) -> int:
    """An integer >= 0 (retries after the first attempt)."""
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise ParameterError(f"max_retries must be an integer >= 0 (got {max_retries!r})")
    return max_retries


def check_deadline(value: float | None) -> float | None:
    """`deadline` as given (None: the default), after checking it is a number of seconds > 0."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < math.inf:
        raise ParameterError(f"deadline must be a number of seconds > 0 (got {value!r})")
    return float(value)


def check_client_options(values: dict[str, Any]) -> None:
    """The adapters' constructor arguments that configure the client, checked as given."""
    if values.get("base_url") is not None:
        check_base_url(values["base_url"])
    check_timeout(values.get("timeout"))
    if "max_retries" in values:
        check_max_retries(values["max_retries"])
    check_deadline(values.get("deadline"))


def resolve_timeout(timeout: float | httpx.Timeout | None) -> httpx.Timeout:
    """A number is the read timeout; connect stays short so a dead host fails fast."""
    if timeout is None:
        return DEFAULT_TIMEOUT
    check_timeout(timeout)
    if isinstance(timeout, httpx.Timeout):
        return timeout
    return httpx.Timeout(float(timeout), connect=min(float(timeout), 10.0))


def is_loopback_host(host: str) -> bool:
    """True for localhost and any 127.0.0.0/8 or ::1 address."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport_security(url: str, *, allow_insecure_http: bool = False) -> None:
    """Refuse to send the key over plain http to a host that is not loopback."""
    if allow_insecure_http:
        return
    refusal = _refusal(url)
    if refusal is not None:
        raise InsecureTransportError(refusal)


@functools.lru_cache(maxsize=256)
def _refusal(url: str) -> str | None:
    """Why `url` may not carry the key (None if it may); cached: a client has few URLs."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return None
    if parts.scheme == "http" and is_loopback_host(parts.hostname or ""):
        return None
    return (
        f"Refusing to send the API key over {parts.scheme or 'an unknown scheme'}:// to "
        f"{parts.hostname!r}: use https, a loopback address, or allow_insecure_http=True."
    )
