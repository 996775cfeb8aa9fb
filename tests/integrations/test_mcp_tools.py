"""Tools from an MCP stdio server (langchain-mcp-adapters) in a LangChain agent on ChatErnieAIML."""

from __future__ import annotations

import sys
from pathlib import Path

from int_support import KEY, MODEL, call, reply, wire_call
from langchain.agents import create_agent
from langchain_core.messages import HumanMessage, ToolMessage
from langchain_mcp_adapters.client import MultiServerMCPClient

from langchain_ernie_aiml import ChatErnieAIML

SERVER = Path(__file__).with_name("mcp_math_server.py")


async def test_mcp_stdio_tools_in_create_agent(emulator) -> None:
    client = MultiServerMCPClient(
        {"math": {"command": sys.executable, "args": [str(SERVER)], "transport": "stdio"}}
    )
    tools = await client.get_tools()
    assert sorted(t.name for t in tools) == ["add", "shout"]

    emulator.enqueue(reply(calls=[call("call_a1", "add", {"a": 2, "b": 3})]), reply("2 + 3 = 5."))
    model = ChatErnieAIML(api_key=KEY, base_url=emulator.base_url, max_retries=0)
    agent = create_agent(model, tools)
    result = await agent.ainvoke({"messages": [HumanMessage("What is 2 + 3?")]})

    _, _, tool_msg, final = result["messages"]
    assert isinstance(tool_msg, ToolMessage) and tool_msg.tool_call_id == "call_a1"
    assert tool_msg.content == [{"type": "text", "text": "5", "id": tool_msg.content[0]["id"]}]
    assert final.content == "2 + 3 = 5."
    wire_tools = {
        "add": {
            "type": "function",
            "function": {
                "name": "add",
                "description": "Add two integers.",
                "parameters": {
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"],
                },
            },
        },
        "shout": {
            "type": "function",
            "function": {
                "name": "shout",
                "description": "Return the text in upper case.",
                "parameters": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}},
                    "required": ["text"],
                },
            },
        },
    }
    offered = [wire_tools[t.name] for t in tools]
    user = {"role": "user", "content": "What is 2 + 3?"}
    assert [r.json for r in emulator.chat_requests] == [
        {"model": MODEL, "messages": [user], "tools": offered},
        {
            "model": MODEL,
            "messages": [
                user,
                {
                    "role": "assistant",
                    "content": "",
                    "tool_calls": [wire_call("call_a1", "add", {"a": 2, "b": 3})],
                },
                {"role": "tool", "content": "5", "tool_call_id": "call_a1"},
            ],
            "tools": offered,
        },
    ]
