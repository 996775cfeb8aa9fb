"""The `ernie-aiml` command (emulator, models, chat, demo), apart from the framework-free core.

The demo imports LangChain and LlamaIndex; keeping it here keeps `ernie_aiml` free of them.
"""

from .app import main

__all__ = ["main"]
