"""Masking the key in whatever a server sends back, in every form it can take there.

The one place that does it: response headers (request and inference ids, a redirect's
`Location`, everything LangChain copies into `response_metadata`), bodies (answers, error
bodies, stream events, before they are parsed, so no decoded string, error, span or
`JSONDecodeError.doc` ever holds the key) and messages. A JSON body may spell the key with
`\\u00XX` escapes (or `\\/`); those forms are masked too. The checks are two substring
searches when nothing matches, so they sit on the per-chunk path.

httpcore's DEBUG trace prints response headers as they came (where a hostile server may
echo the key): `LogMask` masks every key in use in the records of httpx's, httpcore's and
hpack's loggers. It runs only for a record a logger emits: nothing while they are quiet.
"""

from __future__ import annotations

import logging
import re

import httpx

#: Shortest key that is masked in what a server echoes. AIML keys are 32 characters; a
#: shorter "key" (a placeholder such as "k" in tests or demos) is no credential, and masking
#: it would garble every message it happens to occur in ("Body valida***ion error").
MIN_SCRUB_LENGTH = 8
MASK = "***"
#: JSON may escape any character this way; `/` also as `\/` (`"` and `\` are never in a key).
_ESCAPE = "\\u00"


class Masker:
    """Masks one key in text, bytes and headers (made once per key, cached)."""

    __slots__ = (
        "_escaped",
        "_escaped_bytes",
        "_key_bytes",
        "first",
        "key",
        "prefixes",
        "reach",
        "slash",
    )

    def __init__(self, key: str) -> None:
        self.key = key
        #: A streamed piece can begin a key cut across deltas only if it ends with one of
        #: these (the key's proper prefixes); it then holds `first`, the cheaper test.
        self.first = key[0]
        self.prefixes = tuple(key[:size] for size in range(1, len(key)))
        self._key_bytes = key.encode("ascii", errors="replace")
        self.slash = "/" in key  # only then can `\/` spell part of it
        #: The longest the key can be in a body: every character as 8 backslashes and
        #: `u00XX` (`_char_pattern`).
        self.reach = 13 * len(key)
        pattern = "".join(_char_pattern(char) for char in key)
        self._escaped = re.compile(pattern)
        self._escaped_bytes = re.compile(pattern.encode("ascii", errors="replace"))

    def needed(self, text: str) -> bool:
        """Whether `text` may hold the key in some form (the per-event paths inline this)."""
        # one backslash search first: it is a memchr, the escape search is not
        return self.key in text or (
            "\\" in text and (_ESCAPE in text or (self.slash and "\\/" in text))
        )

    def needed_bytes(self, data: bytes) -> bool:
        """`needed` for raw bytes (one check of a whole read; the key is ASCII)."""
        return self._key_bytes in data or (
            b"\\" in data and (b"\\u00" in data or (self.slash and b"\\/" in data))
        )

    def settle(self, held: str, text: str) -> tuple[str, str]:
        """A streamed piece after what was `held` back: what can be shown now, the key
        masked, and the tail that could still begin the key (held until the next piece of
        the same field says whether it does; a key cut across deltas is masked too)."""
        if held:
            text = held + text
        key = self.key
        if key in text:
            text = text.replace(key, MASK)
        first = key[0]
        at = text.find(first, max(len(text) - len(key) + 1, 0))
        while at != -1:
            if key.startswith(text[at:]):
                return text[:at], text[at:]
            at = text.find(first, at + 1)
        return text, ""

    def text(self, text: str) -> str:
        """`text` with the key masked, raw or JSON-escaped."""
        if self.key in text:
            text = text.replace(self.key, MASK)
        if "\\" in text and (_ESCAPE in text or (self.slash and "\\/" in text)):
            text = self._escaped.sub(MASK, text)
        return text

    def bytes(self, data: bytes) -> bytes:
        """`text` for a raw body."""
        if self._key_bytes in data:
            data = data.replace(self._key_bytes, MASK.encode())
        if b"\\" in data and (b"\\u00" in data or (self.slash and b"\\/" in data)):
            data = self._escaped_bytes.sub(MASK.encode(), data)
        return data

    def headers(self, response: httpx.Response) -> None:
        """Mask the key in `response`'s header names and values, in place (nothing to do:
        no copy)."""
        raw = response.headers.raw
        key = self._key_bytes
        if key in b"\n".join([b"%s:%s" % pair for pair in raw]):  # one search per call
            mask = MASK.encode()
            response.headers = httpx.Headers(
                [(name.replace(key, mask), value.replace(key, mask)) for name, value in raw]
            )


def _char_pattern(char: str) -> str:
    """One key character, raw or as a JSON `\\u00XX` escape (hex digits in either case)."""
    code = f"{ord(char):04x}"
    hexes = "".join(f"[{d}{d.upper()}]" if d.isalpha() else d for d in code)
    # escaped up to four times over (1, 2, 4 or 8 backslashes); a bounded count, since
    # `\\+` backtracks over a run of backslashes (quadratic in a hostile body)
    forms = [re.escape(char), f"\\\\{{1,8}}u{hexes}"]
    if char == "/":
        forms.append(r"\\{1,8}/")
    return f"(?:{'|'.join(forms)})"


def masker(key: str | None) -> Masker | None:
    """The `Masker` of `key` (made once, kept); None when there is nothing worth masking (no
    or a short key). Every key kept is masked in httpx's, httpcore's and hpack's records."""
    if not key:
        return None
    mask = _MASKERS.get(key)
    if mask is not None:
        return mask
    if len(key) < MIN_SCRUB_LENGTH:
        return None
    mask = Masker(key)
    if len(_MASKERS) >= _KEPT:  # the oldest goes; made again (and kept) at its next call
        _MASKERS.pop(next(iter(_MASKERS)), None)
    _MASKERS[key] = mask
    return mask


#: The `Masker` of every key in use, oldest first: what `masker` returns and `LogMask` masks.
#: A process meets a handful of keys; a bound keeps one minting keys from growing it.
_MASKERS: dict[str, Masker] = {}
_KEPT = 256
#: The loggers that print what a server sent: httpcore's DEBUG trace shows response headers
#: as they came, hpack's its decoded HTTP/2 headers, httpx's INFO line the URL.
LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "hpack.hpack",
)


class LogMask(logging.Filter):
    """Masks every key in use in a record of `LOGGERS` (its message is rendered once, and
    replaced only when it held a key). One is attached to each of them when this module is
    imported; with no key kept yet it passes every record as it is."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Mask the record in place; it is always passed on."""
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: the handler reports it, as it would have
            return True
        masked = message
        for mask in tuple(_MASKERS.values()):
            if mask.needed(masked):
                masked = mask.text(masked)
        if masked is not message:
            record.msg, record.args = masked, ()
        return True


_LOG_MASK = LogMask()
for _name in LOGGERS:
    logging.getLogger(_name).addFilter(_LOG_MASK)
