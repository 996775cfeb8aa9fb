"""LangChain `ModelProfile`s computed from the core's ERNIE catalog (no second table).

`profile_for` answers for any id or alias the catalog knows (None otherwise), so the
profile can never drift from what the core validates against.
"""

from __future__ import annotations

from functools import lru_cache

import ernie_aiml
from langchain_core.language_models import ModelProfile


@lru_cache(maxsize=64)
def _profile(model_id: str) -> ModelProfile | None:
    info = ernie_aiml.get_model(model_id)
    if info is None:
        return None
    profile = ModelProfile(
        name=info.id,
        status=info.status,
        max_input_tokens=info.context_window,
        text_inputs=True,
        image_inputs=info.vision,
        image_url_inputs=info.vision,
        pdf_inputs=info.pdf_input,
        audio_inputs=False,
        video_inputs=False,
        text_outputs=True,
        reasoning_output=info.reasoning,
        tool_calling=info.tools,
        tool_choice=info.tools,
        tool_call_streaming=info.tools,
        # The tool route, not native `response_format`: AIML documents ERNIE's function
        # calling but no json_schema answer, a forced tool choice refused by a thinking model
        # is retried by the core (thinking off, then "auto"), and LangChain's ToolStrategy
        # retries an answer that does not fit the schema. ProviderStrategy still works when
        # asked for (the core cleans the schema to what AIML accepts).
        structured_output=False,
    )
    if info.max_output_tokens is not None:
        profile["max_output_tokens"] = info.max_output_tokens
    return profile


def profile_for(model: str) -> ModelProfile | None:
    """A fresh copy of the profile of `model` (callers may edit it), or None if unknown."""
    profile = _profile(model)
    return None if profile is None else ModelProfile(**profile)
