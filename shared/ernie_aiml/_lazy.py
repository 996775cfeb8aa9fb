"""Lazy public names for a package: `__getattr__`/`__dir__` that import on first use.

Keeps `import <package>` cheap (nothing heavy until a name is touched) while the package
still offers a flat, curated namespace. Used by `ernie_aiml` and both adapters.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["lazy_module_exports"]


def lazy_module_exports(
    package: str, exports: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """`(__getattr__, __dir__)` for `package`, whose `exports` map a name to its submodule.

    Submodules are relative to `package`, with or without the leading dot (`"_types"`,
    `".base"`). A loaded name is cached in the package's globals, so `__getattr__` runs
    once per name. `__dir__` lists the package's `__all__` plus every export, sorted.
    """
    table = dict(exports)

    def __getattr__(name: str) -> Any:
        module_name = table.get(name)
        if module_name is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        relative = module_name if module_name.startswith(".") else f".{module_name}"
        value = getattr(importlib.import_module(relative, package), name)
        setattr(sys.modules[package], name, value)
        return value

    def __dir__() -> list[str]:
        module = sys.modules.get(package)
        public = getattr(module, "__all__", ())
        return sorted({*public, *table})

    return __getattr__, __dir__
