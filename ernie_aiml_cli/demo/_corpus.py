"""The small corpus shipped for the RAG step: the package's own docs, as markdown files."""

from __future__ import annotations

from importlib import resources


def corpus_files() -> dict[str, str]:
    """File name -> text of every markdown file in `ernie_aiml.data`, sorted by name."""
    root = resources.files("ernie_aiml.data")
    files = sorted((p for p in root.iterdir() if p.name.endswith(".md")), key=lambda p: p.name)
    return {p.name: p.read_text(encoding="utf-8") for p in files}
