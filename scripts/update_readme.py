"""Rewrite README.md's model table from the catalog (`ernie-aiml models --markdown`).

The table sits under the line `<!-- generated: `ernie-aiml models --markdown` ... -->` and ends at
the first blank line; tests/test_readme.py fails until this has been run after a catalog change.
Usage: `.venv/bin/python scripts/update_readme.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ernie_aiml_cli.app import catalog_markdown

README = Path(__file__).resolve().parent.parent / "README.md"
MARKER = "<!-- generated: `ernie-aiml models --markdown`"


def main() -> int:
    """Replace the table; print whether anything changed."""
    text = README.read_text(encoding="utf-8")
    head, marker, rest = text.partition(MARKER)
    if not marker:
        print(f"README.md has no line starting with {MARKER!r}", file=sys.stderr)
        return 1
    marker_line, _, after = rest.partition("\n")
    _old_table, blank, tail = after.partition("\n\n")
    new = f"{head}{marker}{marker_line}\n{catalog_markdown()}{blank}{tail}"
    if new == text:
        print("README.md: the model table is up to date")
        return 0
    README.write_text(new, encoding="utf-8")
    print("README.md: model table rewritten from the catalog")
    return 0


if __name__ == "__main__":
    sys.exit(main())
