"""image_part / file_part / sniff_mime: only what AIML accepts, never `data:None;base64`."""

from __future__ import annotations

import base64

import pytest
from ernie_aiml import FilePart, ImagePart, ParameterError, file_part, image_part
from ernie_aiml._wire.content import sniff_mime

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
GIF87 = b"GIF87a\x01\x00\x01\x00\x80\x00\x00"
GIF89 = b"GIF89a\x01\x00\x01\x00\x80\x00\x00"
WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00"
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n"
BMP = b"BM\x36\x00\x00\x00\x00\x00\x00\x00\x36\x00\x00\x00\x28\x00"


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


@pytest.mark.parametrize(
    ("data", "mime"),
    [
        (PNG, "image/png"),
        (JPEG, "image/jpeg"),
        (GIF87, "image/gif"),
        (GIF89, "image/gif"),
        (WEBP, "image/webp"),
        (PDF, "application/pdf"),
        (BMP, None),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None),
        (b"", None),
        (b"\xff\xd8", None),
    ],
)
def test_sniff_mime(data: bytes, mime: str | None) -> None:
    assert sniff_mime(data) == mime


@pytest.mark.parametrize(
    ("data", "mime"),
    [(PNG, "image/png"), (JPEG, "image/jpeg"), (GIF89, "image/gif"), (WEBP, "image/webp")],
)
def test_image_from_bytes_is_sniffed_and_base64_encoded(data: bytes, mime: str) -> None:
    assert image_part(data=data) == ImagePart(base64=b64(data), mime_type=mime)


def test_image_from_base64_is_sniffed_from_the_head_only() -> None:
    # A large payload whose tail is not even valid base64: only the head is decoded.
    big = b64(PNG) + "A" * 100_000 + "!!"
    part = image_part(base64=big, detail="high")
    assert part == ImagePart(base64=big, mime_type="image/png", detail="high")


def test_image_with_explicit_mime_type_is_normalised() -> None:
    assert image_part(base64=b64(JPEG), mime_type="image/JPG") == ImagePart(
        base64=b64(JPEG), mime_type="image/jpeg"
    )


def test_image_url_passes_without_download() -> None:
    url = "https://example.com/cat.jpg"
    assert image_part(url=url, detail="low") == ImagePart(url=url, detail="low")
    assert image_part(url="http://127.0.0.1/x.png") == ImagePart(url="http://127.0.0.1/x.png")


def test_data_url_is_parsed_and_checked() -> None:
    url = f"data:image/png;base64,{b64(PNG)}"
    assert image_part(url=url) == ImagePart(base64=b64(PNG), mime_type="image/png")
    # A data URL given as `base64` is understood too.
    assert image_part(base64=url, detail="auto") == ImagePart(
        base64=b64(PNG), mime_type="image/png", detail="auto"
    )
    # No declared type: sniffed.
    assert image_part(url=f"data:;base64,{b64(GIF89)}") == ImagePart(
        base64=b64(GIF89), mime_type="image/gif"
    )


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"data": BMP},
            "image: the data is in an unrecognised format; AIML takes image/jpeg, "
            "image/png, image/gif, image/webp",
        ),
        (
            {"data": PDF},
            "image: the data is application/pdf, not an image; AIML takes image/jpeg, "
            "image/png, image/gif, image/webp",
        ),
        (
            {"base64": b64(PNG), "mime_type": "image/bmp"},
            "image: unsupported type 'image/bmp'; AIML takes image/jpeg, image/png, image/gif, image/webp",
        ),
        (
            {"url": "data:image/svg+xml;base64,PHN2Zz4="},
            "image: unsupported type 'image/svg+xml'; AIML takes image/jpeg, image/png, image/gif, "
            "image/webp",
        ),
        (
            {"url": "data:image/png,rawtext"},
            "image: a data: URL must be 'data:<mime>;base64,<data>' (got 'data:image/png,rawtext')",
        ),
        ({"url": "data:image/png;base64,"}, "image: the data: URL carries no data"),
        (
            {"url": "ftp://example.com/x.png"},
            "image url must be http(s):// or a data: URL (got 'ftp://example.com/x.png')",
        ),
        (
            {"url": "file:///etc/passwd"},
            "image url must be http(s):// or a data: URL (got 'file:///etc/passwd')",
        ),
        ({"base64": "!!!!not base64"}, "image: base64 data is not valid base64 ('!!!!not base64')"),
        ({"data": b""}, "image_part: data is empty"),
        ({"base64": ""}, "image_part: base64 data is empty"),
        ({}, "image_part: pass exactly one of url=, base64=, data= (got 0)"),
        (
            {"url": "https://x/y.png", "data": PNG},
            "image_part: pass exactly one of url=, base64=, data= (got 2)",
        ),
        (
            {"url": "https://x/y.png", "detail": "medium"},
            "image detail must be one of 'low', 'high', 'auto' (got 'medium')",
        ),
    ],
)
def test_bad_images(kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        image_part(**kwargs)
    assert str(info.value) == message


def test_pdf_from_bytes_base64_and_data_url() -> None:
    expected = FilePart(base64=b64(PDF), mime_type="application/pdf", filename="doc.pdf")
    assert file_part(data=PDF, filename="doc.pdf") == expected
    assert file_part(base64=b64(PDF), filename="doc.pdf") == expected
    assert (
        file_part(base64=f"data:application/pdf;base64,{b64(PDF)}", filename="doc.pdf") == expected
    )
    assert file_part(base64=b64(PDF), mime_type="application/pdf", filename="doc.pdf") == expected


def test_file_id() -> None:
    assert file_part(file_id="file-123") == FilePart(file_id="file-123")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"data": PNG}, "file: the data is image/png; AIML takes PDF files only"),
        (
            {"data": b"hello, world"},
            "file: the data is not a PDF (no %PDF header); AIML takes PDF files only",
        ),
        (
            {"base64": b64(PDF), "mime_type": "text/plain"},
            "file: unsupported type 'text/plain'; AIML takes PDF files only",
        ),
        (
            {"base64": f"data:text/csv;base64,{b64(b'a,b')}"},
            "file: unsupported type 'text/csv'; AIML takes PDF files only",
        ),
        (
            {"data": b"hello, world", "mime_type": "application/pdf"},
            "file: the data is not a PDF (no %PDF header); AIML takes PDF files only",
        ),
        (
            {"base64": f"data:application/pdf;base64,{b64(PNG)}"},
            "file: the data is image/png; AIML takes PDF files only",
        ),
        ({"data": b""}, "file_part: the file is empty"),
        ({}, "file_part: pass exactly one of base64=, data=, file_id= (got 0)"),
    ],
)
def test_bad_files(kwargs: dict, message: str) -> None:
    with pytest.raises(ParameterError) as info:
        file_part(**kwargs)
    assert str(info.value) == message
