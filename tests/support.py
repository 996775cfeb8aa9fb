"""Helpers shared by the whole suite (fixtures live in the conftest.py files).

A module of its own: every test folder has a `conftest.py`, so `from conftest import ...`
would be ambiguous.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"


def load_fixture(name: str) -> Any:
    """A JSON file from tests/fixtures (seed responses are under seeds/)."""
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))
