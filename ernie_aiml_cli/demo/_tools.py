"""The real Python tools the demo's models call: plain functions, wrapped per framework."""

from __future__ import annotations

from ernie_aiml import get_model


def multiply(a: float, b: float) -> float:
    """Multiply two numbers and return the product."""
    return a * b


def model_facts(model_id: str) -> str:
    """Look up an ERNIE model in the ernie-aiml catalog: context window, abilities, status."""
    info = get_model(model_id)
    if info is None:
        return f"{model_id} is not in the ernie-aiml catalog."
    abilities = [
        name
        for name, has in (
            ("reasoning", info.reasoning),
            ("vision", info.vision),
            ("PDF input", info.pdf_input),
            ("tool calling", info.tools),
        )
        if has
    ]
    return (
        f"{info.id}: context window {info.context_window:,} tokens; "
        f"{', '.join(abilities) or 'text only'}; status {info.status}"
    )
