"""LlamaIndex integration for ERNIE on the AI/ML API."""
