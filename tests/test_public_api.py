"""The two public surfaces, locked: `ernie_aiml` (the user API) and `ernie_aiml.integration`
(what adapters build on). A name added, moved or dropped fails here first: change the list
on purpose, with `docs/core-api.md` and CONTRIBUTING.md."""

from __future__ import annotations

import ast
from pathlib import Path

import ernie_aiml
import ernie_aiml.integration
import pytest

USER_API = [
    "__version__",
    "AIMLClient",
    "ChatStream",
    "AsyncChatStream",
    "RetryPolicy",
    "DEFAULT_BASE_URL",
    "DEFAULT_MAX_RETRIES",
    "Message",
    "TextPart",
    "ImagePart",
    "FilePart",
    "image_part",
    "file_part",
    "build_chat_request",
    "Completion",
    "Delta",
    "Usage",
    "ToolCall",
    "InvalidToolCall",
    "DEFAULT_MODEL",
    "ModelInfo",
    "get_model",
    "list_catalog",
    "count_tokens",
    "count_request_tokens",
    "track_usage",
    "UsageTally",
    "FleetBudget",
    "RateLimiter",
    "configure_telemetry",
    "Limits",
    "limits",
    "configure_limits",
    "DeprecatedModelWarning",
    "UnknownModelWarning",
    "MissingUsageWarning",
    "StoreUnavailableWarning",
    "APIKeyWhitespaceWarning",
    "AIMLError",
    "ConfigurationError",
    "MissingAPIKeyError",
    "InsecureTransportError",
    "ParameterError",
    "BudgetExceededError",
    "CreditsExhaustedError",
    "StoreUnavailableError",
    "RateLimitTimeoutError",
    "APIStatusError",
    "BadRequestError",
    "ContextOverflowError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "DeprecatedModelError",
    "ConflictError",
    "RequestTimeoutStatusError",
    "RateLimitError",
    "ServerError",
    "APIConnectionError",
    "APITimeoutError",
    "StreamInterruptedError",
    "StreamError",
    "ResponseParseError",
    "ResponseTooLargeError",
    "InvalidToolCallError",
]

INTEGRATION_API = [
    "ChatSettings",
    "chat_request",
    "FIELD_PARAMS",
    "collect_unknown_arguments",
    "check_client_options",
    "ClientOwner",
    "AnswerSummary",
    "Part",
    "ToolCallChunk",
    "tool_call_id",
    "ToolCallAccumulator",
    "parse_arguments",
    "tool_call_entry",
    "entry_fields",
    "wire_usage",
    "normalize_tool",
    "normalize_tool_choice",
    "json_schema_format",
    "check_cache_control",
    "mark_last_tool",
    "tokenize",
    "count_prompt_tokens",
    "text_message_tokens",
    "check_model",
    "closest_models",
    "resolve_api_key",
    "resolve_base_url",
    "find_api_key",
    "require_extra",
    "install_command",
    "missing_modules",
    "not_installed",
    "lazy_module_exports",
]

ROOT = Path(__file__).resolve().parent.parent
ADAPTERS = [
    "langchain_ernie_aiml",
    "llama_index_ernie_aiml",
    "llama_index",
    "ernie_aiml_cli",
    "ernie_aiml_ray",
]
SURFACES = {"ernie_aiml", "ernie_aiml.integration", "ernie_aiml.emulator"}


def test_the_user_api_is_locked() -> None:
    assert ernie_aiml.__all__ == USER_API


def test_the_integration_surface_is_locked() -> None:
    assert ernie_aiml.integration.__all__ == INTEGRATION_API


def test_the_two_surfaces_do_not_overlap() -> None:
    assert not set(USER_API) & set(INTEGRATION_API)


@pytest.mark.parametrize("module", [ernie_aiml, ernie_aiml.integration])
def test_every_listed_name_resolves_and_nothing_else_is_listed(module: object) -> None:
    names = module.__all__  # type: ignore[attr-defined]
    for name in names:
        assert getattr(module, name) is not None
    assert dir(module) == sorted(names)


@pytest.mark.parametrize(
    "name", ["ChatSettings", "chat_request", "ClientOwner", "SSEDecoder", "parse_completion"]
)
def test_internal_names_are_not_on_the_user_api(name: str) -> None:
    assert not hasattr(ernie_aiml, name)


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


@pytest.mark.parametrize("package", ADAPTERS)
def test_adapters_and_the_cli_import_only_the_public_surfaces(package: str) -> None:
    private = {
        f"{path.relative_to(ROOT)}: {module}"
        for path in (ROOT / package).rglob("*.py")
        for module in _imported_modules(path)
        if module.split(".")[0] == "ernie_aiml" and module not in SURFACES
    }
    assert not private
