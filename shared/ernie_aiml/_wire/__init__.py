"""The AIML wire format: neutral calls to request bodies, answers and chunks to neutral types.

Pure functions over dicts and the neutral types: no I/O (`response.py` reads httpx's
`Headers` type only to copy response headers; it sends and reads nothing).
"""
