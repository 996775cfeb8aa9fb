"""Run at start-up by the test run's Python child processes (notebook kernels, CLI runs): the
spec_conformance plugin puts this folder first on PYTHONPATH and the log's path in
ERNIE_AIML_TEST_BODY_LOG. Once the child imports `ernie_aiml.emulator`, every body checked
there is appended to that log as a JSON line; the plugin reads it back after each test.
Importing nothing else, this costs children that never run an emulator nothing."""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from importlib.machinery import ModuleSpec
from types import ModuleType
from typing import Any

_LOG = os.environ.get("ERNIE_AIML_TEST_BODY_LOG")


def _append(check: Any) -> None:
    fields = {
        "model": check.model,
        "problem": check.problem,
        "unlisted": list(check.unlisted),
        "source": check.source,
    }
    line = json.dumps(fields, ensure_ascii=False, default=str) + "\n"
    with open(str(_LOG), "a", encoding="utf-8") as log:
        log.write(line)


class _WatchOnImport:
    """A meta path finder that only wraps the import of `ernie_aiml.emulator`: once the
    module has run, its `watch_bodies` gets `_append`."""

    name = "ernie_aiml.emulator"

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> ModuleSpec | None:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # the regular finders locate it
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            run = spec.loader.exec_module

            def exec_module(module: ModuleType) -> None:
                run(module)
                module.watch_bodies(_append)

            spec.loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def _chain() -> None:
    """Run the sitecustomize this one hides, if the environment has one."""
    here = os.path.dirname(os.path.abspath(__file__))
    ours = sys.modules.pop("sitecustomize", None)
    saved = sys.path[:]
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != here]
    try:
        importlib.import_module("sitecustomize")
    except ImportError:
        pass
    finally:
        sys.path[:] = saved
        if ours is not None:
            sys.modules["sitecustomize"] = ours


if _LOG:
    sys.meta_path.insert(0, _WatchOnImport())
_chain()
