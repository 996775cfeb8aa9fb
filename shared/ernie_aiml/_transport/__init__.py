"""Talking to AIML: the client, HTTP helpers, SSE, streams, the retry loop and its policy."""
