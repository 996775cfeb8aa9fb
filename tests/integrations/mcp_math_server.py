"""A tiny MCP server for the integration tests, spoken to over stdio (no network)."""

from __future__ import annotations

from mcp.server.fastmcp import FastMCP

server = FastMCP("math")


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def shout(text: str) -> str:
    """Return the text in upper case."""
    return text.upper()


if __name__ == "__main__":
    server.run(transport="stdio")
