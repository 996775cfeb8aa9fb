"""`with_structured_output` for ChatErnieAIML: forced tool, json_schema or json_mode."""

from __future__ import annotations

from operator import itemgetter
from typing import TYPE_CHECKING, Any, Literal

from ernie_aiml import integration
from langchain_core.output_parsers import (
    JsonOutputKeyToolsParser,
    JsonOutputParser,
    PydanticToolsParser,
)
from langchain_core.output_parsers.pydantic import PydanticOutputParser
from langchain_core.runnables import Runnable, RunnableMap, RunnablePassthrough
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel, LanguageModelInput
    from pydantic import BaseModel

StructuredOutputMethod = Literal["function_calling", "json_schema", "json_mode"]


def structured_output(
    llm: BaseChatModel,
    schema: dict[str, Any] | type,
    *,
    method: StructuredOutputMethod,
    include_raw: bool,
    strict: bool | None,
) -> Runnable[LanguageModelInput, dict[str, Any] | BaseModel]:
    """The runnable `llm.with_structured_output(...)` returns (see that method)."""
    is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
    trace = {"kwargs": {"method": method, "strict": strict}, "schema": schema}
    if method == "function_calling":
        tool = convert_to_openai_tool(schema, strict=strict)
        name = tool["function"]["name"]
        bound = llm.bind_tools(
            [schema],
            tool_choice=name,
            parallel_tool_calls=False,
            strict=strict,
            ls_structured_output_format={**trace, "schema": tool},
        )
        parser: Runnable[Any, Any] = (
            PydanticToolsParser(tools=[schema], first_tool_only=True)  # type: ignore[list-item]
            if is_pydantic
            else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        )
    elif method in ("json_schema", "json_mode"):
        bound = llm.bind(
            response_format=_response_format(schema, method, strict),
            ls_structured_output_format={**trace, "schema": convert_to_json_schema(schema)},
        )
        parser = (
            PydanticOutputParser(pydantic_object=schema)  # type: ignore[arg-type]
            if is_pydantic
            else JsonOutputParser()
        )
    else:
        raise ValueError(
            f"method must be 'function_calling', 'json_schema' or 'json_mode' (got {method!r})"
        )
    if not include_raw:
        return bound | parser
    parse = RunnablePassthrough.assign(
        parsed=itemgetter("raw") | parser, parsing_error=lambda _: None
    )
    no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=bound) | parse.with_fallbacks([no_parse], exception_key="parsing_error")


def _response_format(schema: Any, method: str, strict: bool | None) -> dict[str, Any]:
    """`response_format` for json_mode (`json_object`) or json_schema (the core's shape).

    `strict` is accepted for LangChain's signature; AIML's schemas drop it, as for tools.
    """
    if method == "json_mode":
        return {"type": "json_object"}
    return integration.json_schema_format(convert_to_json_schema(schema))
