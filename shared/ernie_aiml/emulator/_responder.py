"""The deterministic default answer to a chat request when nothing is scripted.

The answer depends only on the request body, so load tests can check that every answer
matches its prompt. Decision order: a tool result to use, a tool to call, a ReAct prompt,
structured output, context passages to quote, else an echo of the last user message.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ._schema_values import ValueSource, object_value, root_value
from ._shapes import count_tokens, message_text
from ._specs import model_spec

_WORD_RE = re.compile(r"[a-z0-9]+")
_STOPWORDS = frozenset(
    re.findall(
        r"\w+",
        "a an and are as at be by can do does for from has have how i in is it its me my of on "
        "or please tell that the this to use was what when where which who why will with you "
        "your value",
    )
)
_DASHES = re.compile(r"^\s*-{5,}\s*$", re.MULTILINE)
_REACT_TOOL = re.compile(
    r"> Tool Name: (?P<name>[^\n]+)\nTool Description: (?P<desc>.*?)\nTool Args: (?P<args>[^\n]*)",
    re.DOTALL,
)


@dataclass
class Answer:
    """What the default responder says: text, reasoning, tool calls, finish reason."""

    content: str = ""
    reasoning: str | None = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str = "stop"


def wants_reasoning(body: dict[str, Any]) -> bool:
    """Thinking models reason (per the model pages); ernie-5.0 unless `enable_thinking` is
    false; models outside the specs never."""
    spec = model_spec(body.get("model"))
    if spec is None or not spec.reasons:
        return False
    return not (spec.reasoning == "switch" and body.get("enable_thinking") is False)


def respond(body: dict[str, Any]) -> Answer:
    """The deterministic answer to a validated chat request body."""
    messages = [m for m in body.get("messages") or () if isinstance(m, dict)]
    answer = _tool_answer(body, messages) or _text_answer(body, messages)
    if wants_reasoning(body):
        empty = model_spec(body.get("model")).reasoning == "empty"  # type: ignore[union-attr]
        answer.reasoning = "" if empty else _reasoning_for(messages, answer)
    return answer


# ------------------------------------------------------------------ helpers


def _words(text: str) -> set[str]:
    return {w for w in _WORD_RE.findall(text.lower()) if w not in _STOPWORDS}


def _last_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            return message_text(message.get("content"))
    return ""


def _snippet(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _reasoning_for(messages: list[dict[str, Any]], answer: Answer) -> str:
    question = _snippet(_last_user_text(messages)) or "the conversation so far"
    if answer.tool_calls:
        plan = f"The tool {answer.tool_calls[0]['name']} can answer this, so I will call it."
    else:
        plan = "I will answer directly and keep it short."
    return f'The user asks: "{question}". {plan}'


# ------------------------------------------------------------------ tools


def _trailing_tool_results(messages: list[dict[str, Any]]) -> list[str]:
    results: list[str] = []
    for message in reversed(messages):
        if message.get("role") != "tool":
            break
        results.insert(0, message_text(message.get("content")))
    return results


def _tool_answer(body: dict[str, Any], messages: list[dict[str, Any]]) -> Answer | None:
    results = _trailing_tool_results(messages)
    if results:
        if len(results) == 1:
            said = f"The result is {results[0]}."
        else:
            said = "The results are: " + "; ".join(results) + "."
        structured = _structured_answer(
            body.get("response_format"), said, _last_user_text(messages)
        )
        return Answer(content=said if structured is None else structured)
    tools = [t for t in body.get("tools") or () if _is_function_tool(t)]
    choice = body.get("tool_choice")
    if not tools or choice == "none":
        return None
    text = _last_user_text(messages)
    tool = _pick_tool(tools, choice, text)
    function = tool.get("function") or {}
    schema = function.get("parameters") or {}
    args = object_value(schema, ValueSource(text), root=schema, fill_all=False)
    call = {"id": _call_id(function.get("name", ""), text), "name": function.get("name", "")}
    call["arguments"] = json.dumps(args, ensure_ascii=False)
    return Answer(tool_calls=[call], finish_reason="tool_calls")


def _is_function_tool(tool: Any) -> bool:
    """A function tool with a name (ernie-5.0's custom tools are left to scripted replies)."""
    if not isinstance(tool, dict) or tool.get("type", "function") != "function":
        return False
    function = tool.get("function")
    return isinstance(function, dict) and isinstance(function.get("name"), str)


def _pick_tool(tools: list[dict[str, Any]], choice: Any, text: str) -> dict[str, Any]:
    if isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        forced = choice["function"].get("name")
        for tool in tools:
            if (tool.get("function") or {}).get("name") == forced:
                return tool
    return max(tools, key=lambda tool: _tool_score(tool, text))


def _tool_score(tool: dict[str, Any], text: str) -> int:
    function = tool.get("function") or {}
    name = str(function.get("name", ""))
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ")
    wanted = _words(text)
    score = 10 * len(_words(spaced) & wanted) + len(
        _words(str(function.get("description", ""))) & wanted
    )
    return score + (100 if name and name.lower() in text.lower() else 0)


def _call_id(name: str, text: str) -> str:
    return "call_" + hashlib.sha1(f"{name}\n{text}".encode()).hexdigest()[:24]


# ------------------------------------------------------------------ text


def _text_answer(body: dict[str, Any], messages: list[dict[str, Any]]) -> Answer:
    system = "\n\n".join(
        message_text(m.get("content")) for m in messages if m.get("role") in ("system", "developer")
    )
    text = _last_user_text(messages)
    content = (
        _react_answer(system, messages, text)
        or _structured_answer(body.get("response_format"), text, text)
        or _rag_answer(system, text)
        or _echo(messages, text)
    )
    return _limit(Answer(content=content), body)


def _echo(messages: list[dict[str, Any]], text: str) -> str:
    images = 0
    for message in messages:
        content = message.get("content")
        if message.get("role") == "user" and isinstance(content, list):
            images += sum(1 for p in content if isinstance(p, dict) and p.get("type") != "text")
    extra = f" I received {images} attachment{'s' if images != 1 else ''}." if images else ""
    return f'You said: "{text}"{extra}'


def _limit(answer: Answer, body: dict[str, Any]) -> Answer:
    stop = body.get("stop")
    stops = [stop] if isinstance(stop, str) else [s for s in stop or () if s]
    cuts = [answer.content.find(s) for s in stops if s and s in answer.content]
    if cuts:
        answer.content = answer.content[: min(cuts)]
    max_tokens = body.get("max_tokens")
    if isinstance(max_tokens, (int, float)) and count_tokens(answer.content) > max_tokens:
        words = re.findall(r"\S+\s*", answer.content)[: max(int(max_tokens), 1)]
        answer.content = "".join(words).rstrip()
        answer.finish_reason = "length"
    return answer


# ------------------------------------------------------------- structured output


def _structured_answer(response_format: Any, said: str, prompt: str) -> str | None:
    """JSON text for `response_format`: `json_object` an object, `json_schema` a value valid
    against the schema, with values taken from `said` (the answer so far) then the prompt."""
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        schema = (response_format.get("json_schema") or {}).get("schema") or {}
        source = ValueSource(said if said == prompt else f"{said}\n{prompt}")
        return json.dumps(root_value(schema, source), ensure_ascii=False)
    if kind == "json_object":
        return json.dumps(_json_object_for(said, prompt), ensure_ascii=False)
    return None


def _json_object_for(said: str, prompt: str) -> dict[str, Any]:
    """Keys the prompt names in quotes ("with 'setup' and 'punchline' keys"), else `answer`."""
    keys = re.findall(r"['\"`]([A-Za-z_][A-Za-z0-9_]*)['\"`]", prompt)
    if keys and re.search(r"\bkeys?\b|\bfields?\b|\bjson\b", prompt, re.IGNORECASE):
        return {key: f"{key} for: {_snippet(said, 60)}" for key in dict.fromkeys(keys)}
    return {"answer": said}


# ------------------------------------------------------------------ RAG


def _rag_answer(system: str, text: str) -> str | None:
    found = _context_and_question(system, text)
    if found is None:
        return None
    context, question = found
    passages = [p.strip() for p in re.split(r"\n\s*\n", context) if p.strip()]
    if not passages:
        return None
    wanted = _words(question)
    best = max(passages, key=lambda p: len(_words(p) & wanted))
    return f'According to the context: "{best}"'


def _context_and_question(system: str, text: str) -> tuple[str, str] | None:
    for source in (text, system):
        parts = _DASHES.split(source)
        if len(parts) >= 3:
            question = _after_label(parts[2], ("Query:", "Question:")) or text
            return parts[1], question
        labelled = re.search(r"(?is)\bcontext:\s*(.+?)\n\s*question:\s*(.+)", source)
        if labelled:
            return labelled.group(1), labelled.group(2)
    paragraphs = [p for p in re.split(r"\n\s*\n", text) if p.strip()]
    if len(paragraphs) >= 3 and "?" in paragraphs[-1]:
        return "\n\n".join(paragraphs[:-1]), paragraphs[-1]
    return None


def _after_label(text: str, labels: tuple[str, ...]) -> str | None:
    for label in labels:
        index = text.find(label)
        if index >= 0:
            rest = text[index + len(label) :]
            return rest.split("Answer:")[0].strip()
    return None


# ------------------------------------------------------------------ ReAct


def _react_answer(system: str, messages: list[dict[str, Any]], text: str) -> str | None:
    prompt = system or "\n".join(message_text(m.get("content")) for m in messages[:1])
    if "Action Input:" not in prompt or "Observation:" not in prompt:
        return None
    if text.lstrip().startswith("Observation:"):
        observation = text.split("Observation:", 1)[1].strip()
        return (
            "Thought: I can answer without using any more tools. I'll use the user's language "
            f"to answer\nAnswer: The result is {observation}."
        )
    tools = list(_REACT_TOOL.finditer(prompt))
    if not tools:
        return None
    best = max(tools, key=lambda m: len(_words(m["name"] + " " + m["desc"]) & _words(text)))
    try:
        schema = json.loads(best["args"])
    except ValueError:
        schema = {}
    args = object_value(schema, ValueSource(text), root=schema, fill_all=False)
    return (
        "Thought: The current language of the user is: English. I need to use a tool to help "
        f"me answer the question.\nAction: {best['name'].strip()}\n"
        f"Action Input: {json.dumps(args, ensure_ascii=False)}"
    )
