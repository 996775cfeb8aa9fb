"""Run in a subprocess by `test_hostile_limits.py`: every mode against one hostile server,
then print the peak RSS above the baseline (after one normal call in every mode) as JSON.

Usage: `python rss_probe.py CASE` -> {"errors": {mode: class name}, "peak_mib": float}.
"""

from __future__ import annotations

import asyncio
import json
import resource
import sys
import warnings
from typing import Any

from hostile_limits_support import CASES
from hostile_support import (
    MODES,
    PLAIN_MODES,
    HostileServer,
    build,
    either,
    events,
    json_reply,
    run,
    sse_reply,
)
from hostile_support import answer as ok_answer


def peak_kib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


async def main(case: str) -> dict[str, Any]:
    warnings.simplefilter("ignore")
    good = HostileServer(
        either(lambda: json_reply(json.dumps(ok_answer()).encode()), lambda: sse_reply(events()))
    )
    for mode in MODES:  # imports, pools and caches: part of the baseline
        await run(mode, build(mode, good.base_url))
    good.close()
    server = HostileServer(CASES[case])
    baseline = peak_kib()
    errors: dict[str, str] = {}
    # an endless stream of events is a stream's normal shape: streams are bounded by time
    for mode in PLAIN_MODES if case == "endless-events" else MODES:
        try:
            await run(mode, build(mode, server.base_url))
            errors[mode] = "no error"
        except Exception as exc:  # reported to the test, which asserts the class
            errors[mode] = type(exc).__name__ + ": " + str(exc)[:300]
    server.close()
    return {"errors": errors, "peak_mib": (peak_kib() - baseline) / 1024}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(sys.argv[1]))))
