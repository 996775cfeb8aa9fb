"""How hard property tests try: a quick profile for `make test`, the deep one for `make fuzz`.

`HYPOTHESIS_PROFILE=deep` (what `make fuzz` sets) runs every property test with its full
example count; the default `quick` profile runs a twentieth of it, so `make test` stays fast
while every property still runs. The profiles themselves are registered in `conftest.py`.
"""

from __future__ import annotations

import os

PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "quick")
QUICK_SHARE = 20


def examples(deep: int) -> int:
    """`deep` examples under the deep profile; a twentieth of them (at least 10) otherwise."""
    return deep if PROFILE == "deep" else max(10, deep // QUICK_SHARE)
