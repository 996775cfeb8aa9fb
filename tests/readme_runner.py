"""Run README blocks each in its own process, forked from one interpreter that imported the
frameworks once: `python tests/readme_runner.py BLOCK.py ...` (used by tests/test_readme.py).

Importing llama-index-core costs seconds of CPU; paying it once instead of once per block
keeps the README test quick. Each block still runs alone, as a user's `python block.py`
would: in a child process of its own, as `__main__`, with fresh globals (the parent only
imported library modules and never ran a block, so a block that forgets an import or leans on
an earlier block's names still fails). A child writes its stdout and stderr to BLOCK.py.out and
BLOCK.py.err and exits with the block's status; test functions the block defines are called
after it ran. Prints one `<status> <path>` line per block when all have finished.
"""

from __future__ import annotations

import gc
import os
import runpy
import sys
import traceback

#: What README blocks import that is slow to import (nothing here runs any of it).
PRELOAD = (
    "httpx",
    "pydantic",
    "langchain_core.language_models.chat_models",
    "langchain_core.tools",
    "llama_index.core",
    "llama_index.core.agent.workflow",
)
PARALLEL = 4


def run_block(path: str) -> None:
    """In the child: run the block as `__main__`, then its test functions; exit with its status."""
    with open(f"{path}.out", "wb") as out, open(f"{path}.err", "wb") as err:
        os.dup2(out.fileno(), 1)
        os.dup2(err.fileno(), 2)
    sys.argv = [path]
    try:
        names = runpy.run_path(path, run_name="__main__")
        for name, value in list(names.items()):
            if name.startswith("test_") and callable(value):
                value()
                print("README test passed:", name)
    except SystemExit:
        raise
    except BaseException:
        traceback.print_exc()
        sys.exit(1)
    sys.exit(0)


def main(paths: list[str]) -> int:
    """Fork a child per block, `PARALLEL` at a time; print each one's exit status."""
    for module in PRELOAD:
        __import__(module)
    # Out of the collector's sight: a child's exit would otherwise walk (and, copy-on-write,
    # copy) the whole imported heap, seconds per block.
    gc.freeze()
    status: dict[str, int] = {}
    running: dict[int, str] = {}
    pending = list(paths)
    while pending or running:
        while pending and len(running) < PARALLEL:
            path = pending.pop(0)
            sys.stdout.flush()
            sys.stderr.flush()
            pid = os.fork()
            if pid == 0:
                run_block(path)  # never returns: the child exits from there
            running[pid] = path
        pid, wait_status = os.wait()
        status[running.pop(pid)] = os.waitstatus_to_exitcode(wait_status)
    for path in paths:
        print(status[path], path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
