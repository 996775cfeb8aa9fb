"""The surface for integration authors: what the LangChain and LlamaIndex adapters build on.

Users import `ernie_aiml`; a framework adapter (ours, or one for another framework) imports
this too: the one request path (`ChatSettings` + `chat_request`), the lifecycle mixin
(`ClientOwner`), the neutral values it maps to its framework's types, and the checks an
adapter runs at construction. Stable for adapters; not part of the user API. Names load
lazily, as in `ernie_aiml`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._lazy import lazy_module_exports as _lazy_module_exports

_EXPORTS: dict[str, str] = {
    # the one request path
    "ChatSettings": ".._wire.call",
    "chat_request": ".._wire.call",
    "FIELD_PARAMS": ".._wire.params",
    "collect_unknown_arguments": ".._wire.extra",
    "check_client_options": ".._settings",
    # the lifecycle both adapters mix in
    "ClientOwner": ".._transport.owner",
    # neutral values the adapters map
    "AnswerSummary": ".._types",
    "Part": ".._types",
    "ToolCallChunk": ".._types",
    "tool_call_id": ".._types",
    "ToolCallAccumulator": ".._wire.accumulate",
    "parse_arguments": ".._wire.response",
    "tool_call_entry": ".._wire.tool_calls",
    "entry_fields": ".._wire.tool_calls",
    "wire_usage": ".._wire.response",
    # tools, structured output and prompt caching
    "normalize_tool": ".._wire.tools",
    "normalize_tool_choice": ".._wire.tools",
    "json_schema_format": ".._wire.response_format",
    "check_cache_control": ".._wire.cache",
    "mark_last_tool": ".._wire.cache",
    # token counts for the frameworks' counters
    "tokenize": ".._tokens",
    "count_prompt_tokens": ".._wire.count",
    "text_message_tokens": ".._wire.count",
    # models and settings an adapter checks at construction
    "check_model": ".._catalog",
    "closest_models": ".._catalog",
    "resolve_api_key": ".._settings",
    "resolve_base_url": ".._settings",
    "find_api_key": ".._settings",
    # optional extras and lazy namespaces
    "require_extra": ".._extras",
    "install_command": ".._extras",
    "missing_modules": ".._extras",
    "not_installed": ".._extras",
    "lazy_module_exports": ".._lazy",
}

__all__ = list(_EXPORTS)

__getattr__, __dir__ = _lazy_module_exports(__name__, _EXPORTS)


if TYPE_CHECKING:  # pragma: no cover
    from ._catalog import check_model as check_model
    from ._catalog import closest_models as closest_models
    from ._extras import install_command as install_command
    from ._extras import missing_modules as missing_modules
    from ._extras import not_installed as not_installed
    from ._extras import require_extra as require_extra
    from ._lazy import lazy_module_exports as lazy_module_exports
    from ._settings import check_client_options as check_client_options
    from ._settings import find_api_key as find_api_key
    from ._settings import resolve_api_key as resolve_api_key
    from ._settings import resolve_base_url as resolve_base_url
    from ._tokens import tokenize as tokenize
    from ._transport.owner import ClientOwner as ClientOwner
    from ._types import AnswerSummary as AnswerSummary
    from ._types import Part as Part
    from ._types import ToolCallChunk as ToolCallChunk
    from ._types import tool_call_id as tool_call_id
    from ._wire.accumulate import ToolCallAccumulator as ToolCallAccumulator
    from ._wire.cache import check_cache_control as check_cache_control
    from ._wire.cache import mark_last_tool as mark_last_tool
    from ._wire.call import ChatSettings as ChatSettings
    from ._wire.call import chat_request as chat_request
    from ._wire.count import count_prompt_tokens as count_prompt_tokens
    from ._wire.count import text_message_tokens as text_message_tokens
    from ._wire.extra import collect_unknown_arguments as collect_unknown_arguments
    from ._wire.params import FIELD_PARAMS as FIELD_PARAMS
    from ._wire.response import parse_arguments as parse_arguments
    from ._wire.response import wire_usage as wire_usage
    from ._wire.response_format import json_schema_format as json_schema_format
    from ._wire.tool_calls import entry_fields as entry_fields
    from ._wire.tool_calls import tool_call_entry as tool_call_entry
    from ._wire.tools import normalize_tool as normalize_tool
    from ._wire.tools import normalize_tool_choice as normalize_tool_choice
