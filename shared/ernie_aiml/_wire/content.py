"""Images and PDFs for user messages, checked against what AIML accepts.

AIML takes JPEG, PNG, GIF and WEBP images (URL or base64) and PDF files only. MIME types
are sniffed from magic bytes (for base64 only the head is decoded, so this stays cheap on
large files); anything unknown is refused here rather than sent as `data:None;base64,…`.
"""

from __future__ import annotations

import base64 as b64lib
import binascii
from typing import Any

from .._errors.classes import ParameterError
from .._limits import limits
from .._types import FilePart, ImagePart

IMAGE_MIME_TYPES: tuple[str, ...] = ("image/jpeg", "image/png", "image/gif", "image/webp")
PDF_MIME_TYPE = "application/pdf"
DETAILS: tuple[str, ...] = ("low", "high", "auto")

_MIME_ALIASES = {
    "image/jpg": "image/jpeg",
    "image/pjpeg": "image/jpeg",
    "application/x-pdf": PDF_MIME_TYPE,
}
_IMAGE_LIST = ", ".join(IMAGE_MIME_TYPES)
_HEAD_CHARS = 32  # 24 decoded bytes: enough for every signature below


def sniff_mime(data: bytes) -> str | None:
    """The MIME type told by the first bytes (JPEG, PNG, GIF, WEBP, PDF), else None."""
    if data[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    if data[:4] == b"\x89PNG":
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    if data[:4] == b"%PDF":
        return PDF_MIME_TYPE
    return None


def _short(value: str, limit: int = 60) -> str:
    """A repr short enough for an error message (base64 payloads can be megabytes)."""
    return repr(value if len(value) <= limit else value[:limit] + "…")


def _b64_head(data: str, what: str) -> bytes:
    """Decode only the first few base64 characters: enough to sniff, cheap on any size."""
    head = "".join(data[: _HEAD_CHARS * 2].split())[:_HEAD_CHARS]
    head = head[: len(head) // 4 * 4] if len(head) >= 4 else head
    if "-" in head or "_" in head:
        head = head.translate(str.maketrans("-_", "+/"))
    try:
        return b64lib.b64decode(head, validate=True)
    except (binascii.Error, ValueError):
        raise ParameterError(
            f"{what}: base64 data is not valid base64 ({_short(data, 24)})"
        ) from None


def _mime(mime_type: str) -> str:
    """Lower-cased, parameters dropped, common aliases (image/jpg) mapped."""
    mime = mime_type.split(";", 1)[0].strip().lower()
    return _MIME_ALIASES.get(mime, mime)


def parse_data_url(url: str, what: str) -> tuple[str, str]:
    """`data:<mime>;base64,<payload>` split into (mime or "", payload)."""
    header, sep, payload = url[5:].partition(",")
    fields = header.split(";")
    if not sep or "base64" not in (f.strip().lower() for f in fields[1:]):
        raise ParameterError(
            f"{what}: a data: URL must be 'data:<mime>;base64,<data>' (got {_short(url)})"
        )
    if not payload:
        raise ParameterError(f"{what}: the data: URL carries no data")
    return (_mime(fields[0]) if fields[0].strip() else ""), payload


def check_size(size: int, what: str) -> None:
    """Refuse base64 data of more than `limits().image_bytes` characters before it is copied
    into a body (each copy of a 100 MB image costs 100 MB more)."""
    limit = limits().image_bytes
    if size > limit:
        raise ParameterError(
            f"{what}: {size} characters of base64 data, more than the limit image_bytes="
            f"{limit} (raise it with ernie_aiml.configure_limits(image_bytes=...))"
        )


def image_mime(b64: str, mime_type: str | None) -> str:
    """The MIME type to send for base64 image data: the given one if AIML takes it, else sniffed."""
    check_size(len(b64), "image")
    if mime_type:
        mime = _mime(mime_type)
        if mime not in IMAGE_MIME_TYPES:
            raise ParameterError(f"image: unsupported type {mime_type!r}; AIML takes {_IMAGE_LIST}")
        return mime
    sniffed = sniff_mime(_b64_head(b64, "image"))
    if sniffed not in IMAGE_MIME_TYPES:
        found = f"{sniffed}, not an image" if sniffed else "in an unrecognised format"
        raise ParameterError(f"image: the data is {found}; AIML takes {_IMAGE_LIST}")
    return sniffed


def check_detail(detail: Any) -> str | None:
    """`detail` is one of low, high, auto (or unset)."""
    if detail is None or (isinstance(detail, str) and detail in DETAILS):
        return detail
    raise ParameterError(f"image detail must be one of 'low', 'high', 'auto' (got {detail!r})")


def image_url(part: ImagePart) -> str:
    """The `image_url.url` to send for a part: an http(s) URL or a checked data: URL."""
    if part.url is not None:
        url = part.url
        lowered = url[:8].lower()
        if lowered.startswith(("https://", "http://")):
            return url
        if lowered.startswith("data:"):
            mime, payload = parse_data_url(url, "image")
            return f"data:{image_mime(payload, mime or part.mime_type)};base64,{payload}"
        raise ParameterError(f"image url must be http(s):// or a data: URL (got {_short(url)})")
    if part.base64:
        return f"data:{image_mime(part.base64, part.mime_type)};base64,{part.base64}"
    raise ParameterError("image part needs url or base64 data")


def _one_of(what: str, **sources: Any) -> None:
    given = [name for name, value in sources.items() if value is not None]
    if len(given) != 1:
        names = ", ".join(f"{n}=" for n in sources)
        raise ParameterError(f"{what}: pass exactly one of {names} (got {len(given)})")


def image_part(
    *,
    url: str | None = None,
    base64: str | None = None,
    data: bytes | None = None,
    mime_type: str | None = None,
    detail: str | None = None,
) -> ImagePart:
    """An image for a user message from a URL, base64 text or raw bytes, checked for AIML.

    The MIME type is sniffed when not given; http(s) URLs are not downloaded.
    """
    _one_of("image_part", url=url, base64=base64, data=data)
    detail = check_detail(detail)
    if url is not None and not url[:5].lower().startswith("data:"):
        image_url(ImagePart(url=url))
        mime = image_mime("", mime_type) if mime_type else None
        return ImagePart(url=url, mime_type=mime, detail=detail)
    if url is not None or (base64 is not None and base64[:5].lower() == "data:"):
        declared, base64 = parse_data_url(url if url is not None else base64, "image")  # type: ignore[arg-type]
        mime_type = declared or mime_type
    elif data is not None:
        if not data:
            raise ParameterError("image_part: data is empty")
        check_size((len(data) + 2) // 3 * 4, "image_part")
        base64 = b64lib.b64encode(data).decode("ascii")
    if not base64:
        raise ParameterError("image_part: base64 data is empty")
    return ImagePart(base64=base64, mime_type=image_mime(base64, mime_type), detail=detail)


def pdf_data(b64: str, mime_type: str | None) -> None:
    """Refuse anything that is not a PDF: by declared type, then by its magic bytes (always)."""
    check_size(len(b64), "file")
    if mime_type and _mime(mime_type) != PDF_MIME_TYPE:
        raise ParameterError(f"file: unsupported type {mime_type!r}; AIML takes PDF files only")
    sniffed = sniff_mime(_b64_head(b64, "file"))
    if sniffed != PDF_MIME_TYPE:
        # a label is no proof: bytes labelled application/pdf must start like a PDF too
        found = sniffed or "not a PDF (no %PDF header)"
        raise ParameterError(f"file: the data is {found}; AIML takes PDF files only")


def file_part(
    *,
    base64: str | None = None,
    data: bytes | None = None,
    mime_type: str | None = None,
    filename: str | None = None,
    file_id: str | None = None,
) -> FilePart:
    """A PDF for a user message (base64 text, raw bytes or a server-side `file_id`)."""
    _one_of("file_part", base64=base64, data=data, file_id=file_id)
    if file_id is not None:
        if not file_id:
            raise ParameterError("file_part: file_id is empty")
        return FilePart(base64=None, filename=filename, file_id=file_id)
    if data is not None:
        check_size((len(data) + 2) // 3 * 4, "file_part")
        base64 = b64lib.b64encode(data).decode("ascii")
    elif base64 is not None and base64[:5].lower() == "data:":
        declared, base64 = parse_data_url(base64, "file")
        mime_type = declared or mime_type
    if not base64:
        raise ParameterError("file_part: the file is empty")
    pdf_data(base64, mime_type)
    return FilePart(base64=base64, mime_type=PDF_MIME_TYPE, filename=filename)


def file_payload(part: FilePart) -> dict[str, Any]:
    """The `file` object of a `{"type": "file"}` part: `file_data` (+`filename`) or `file_id`."""
    if part.file_id:
        out: dict[str, Any] = {"file_id": part.file_id}
    elif part.base64:
        mime, b64 = part.mime_type, part.base64
        if b64[:5].lower() == "data:":
            declared, b64 = parse_data_url(b64, "file")
            mime = declared or mime
        pdf_data(b64, mime)
        out = {"file_data": f"data:{PDF_MIME_TYPE};base64,{b64}"}
    else:
        raise ParameterError("file part needs base64 data or a file_id")
    if part.filename:
        out["filename"] = part.filename
    return out
