"""Images and PDFs on the wire (exact parts), and clear errors for what AIML cannot take."""

from __future__ import annotations

import base64
import warnings
from pathlib import Path

import pytest
from ernie_aiml import ParameterError
from llama_index.core.base.llms.types import (
    AudioBlock,
    ChatMessage,
    DocumentBlock,
    ImageBlock,
    MessageRole,
    TextBlock,
)

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _user(*blocks) -> list[ChatMessage]:
    return [ChatMessage(role=MessageRole.USER, blocks=[TextBlock(text="What is this?"), *blocks])]


def _sent_content(emulator) -> list[dict]:
    return emulator.requests[-1].json["messages"][0]["content"]


def test_image_bytes(emulator, llm) -> None:
    llm.chat(_user(ImageBlock(image=PNG, detail="low")))
    assert _sent_content(emulator) == [
        {"type": "text", "text": "What is this?"},
        {
            "type": "image_url",
            "image_url": {"url": f"data:image/png;base64,{_b64(PNG)}", "detail": "low"},
        },
    ]


def test_image_path(emulator, llm, tmp_path: Path) -> None:
    path = tmp_path / "photo.jpg"
    path.write_bytes(JPEG)
    response = llm.chat(_user(ImageBlock(path=path)))
    assert _sent_content(emulator)[1] == {
        "type": "image_url",
        "image_url": {"url": f"data:image/jpeg;base64,{_b64(JPEG)}"},
    }
    assert response.message.content.endswith("I received 1 attachment.")


def test_image_url(emulator, make_llm) -> None:
    llm = make_llm(model="baidu/ernie-4.5-vl-424b-a47b")
    llm.chat(_user(ImageBlock(url="https://example.com/cat.png", detail="high")))
    assert _sent_content(emulator)[1] == {
        "type": "image_url",
        "image_url": {"url": "https://example.com/cat.png", "detail": "high"},
    }


def test_pdf_bytes_and_path(emulator, llm, tmp_path: Path) -> None:
    path = tmp_path / "report.pdf"
    path.write_bytes(PDF)
    llm.chat(_user(DocumentBlock(data=PDF, title="paper.pdf"), DocumentBlock(path=path)))
    assert _sent_content(emulator)[1:] == [
        {
            "type": "file",
            "file": {
                "file_data": f"data:application/pdf;base64,{_b64(PDF)}",
                "filename": "paper.pdf",
            },
        },
        {
            "type": "file",
            "file": {
                "file_data": f"data:application/pdf;base64,{_b64(PDF)}",
                "filename": "report.pdf",
            },
        },
    ]


async def test_image_async(emulator, llm) -> None:
    await llm.achat(_user(ImageBlock(image=PNG)))
    assert _sent_content(emulator)[1]["image_url"]["url"].startswith("data:image/png;base64,")


# --------------------------------------------------------------------------- errors, before any request


@pytest.mark.parametrize(
    ("block", "needle"),
    [
        (ImageBlock(image=b"just some text, not an image"), "image"),
        (ImageBlock(image=b"BM\x00\x00 a bitmap", image_mimetype="image/bmp"), "image/bmp"),
        (DocumentBlock(data=b"plain text notes", document_mimetype="text/plain"), "PDF"),
        (DocumentBlock(data=b"plain text notes"), "PDF"),
        (DocumentBlock(url="https://example.com/paper.pdf"), "url"),
        (AudioBlock(audio=b"RIFF....WAVE", format="wav"), "AudioBlock"),
    ],
)
def test_unsupported_content_is_a_clear_error(emulator, llm, block, needle: str) -> None:
    with pytest.raises(ParameterError) as info:
        llm.chat(_user(block))
    assert needle in str(info.value)
    assert emulator.requests == []


@pytest.mark.parametrize(
    "block",
    [
        DocumentBlock(data=b"Quarterly report, plain text", document_mimetype="application/pdf"),
        DocumentBlock(data=b"Quarterly report, plain text", title="report.pdf"),
    ],
)
def test_a_document_labelled_pdf_that_is_not_one_is_refused(emulator, llm, block) -> None:
    with pytest.raises(ParameterError) as info:
        llm.chat(_user(block))
    assert "the data is not a PDF (no %PDF header); AIML takes PDF files only" in str(info.value)
    assert emulator.requests == []


def test_image_to_a_model_without_vision(emulator, make_llm) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated model
        llm = make_llm(model="baidu/ernie-4.5-300b-a47b")
    with pytest.raises(ParameterError, match="does not accept images"):
        llm.chat(_user(ImageBlock(image=PNG)))
    assert emulator.requests == []


def test_pdf_to_a_model_without_pdf_input(emulator, make_llm) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        llm = make_llm(model="baidu/ernie-4.5-0.3b")
    with pytest.raises(ParameterError, match="does not accept PDF"):
        llm.chat(_user(DocumentBlock(data=PDF)))


def test_image_in_a_system_message(emulator, llm) -> None:
    messages = [
        ChatMessage(role=MessageRole.SYSTEM, blocks=[TextBlock(text="see"), ImageBlock(image=PNG)]),
        ChatMessage(role=MessageRole.USER, content="hi"),
    ]
    with pytest.raises(ParameterError, match="only be sent in user messages"):
        llm.chat(messages)
    assert emulator.requests == []
