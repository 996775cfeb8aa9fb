"""The AIML wire format: neutral calls to request bodies, answers and chunks to neutral types.

Pure functions over dicts and the neutral types: no I/O, no httpx.
"""
