"""`from llama_index.llms.ernie_aiml import ErnieAIML`: the ecosystem-conventional path."""
