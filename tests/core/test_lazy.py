"""lazy_module_exports: a package's public names import their submodule on first use only."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import ernie_aiml
import pytest
from ernie_aiml.integration import lazy_module_exports

PACKAGE = "lazy_demo_pkg"


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A throwaway package whose `Heavy` lives in `_heavy` and `Base` in `base`."""
    root = tmp_path / PACKAGE
    root.mkdir()
    (root / "__init__.py").write_text(
        textwrap.dedent(
            """
            from ernie_aiml.integration import lazy_module_exports

            _EXPORTS = {"Heavy": "_heavy", "Base": ".base"}
            __all__ = ["VERSION", *_EXPORTS]
            VERSION = "1"
            __getattr__, __dir__ = lazy_module_exports(__name__, _EXPORTS)
            """
        )
    )
    (root / "_heavy.py").write_text("class Heavy:\n    pass\n")
    (root / "base.py").write_text("class Base:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    yield
    for name in [m for m in sys.modules if m == PACKAGE or m.startswith(f"{PACKAGE}.")]:
        del sys.modules[name]


def test_names_load_their_submodule_on_first_access_only(package: None) -> None:
    import lazy_demo_pkg

    assert f"{PACKAGE}._heavy" not in sys.modules
    assert f"{PACKAGE}.base" not in sys.modules
    heavy = lazy_demo_pkg.Heavy
    assert heavy is sys.modules[f"{PACKAGE}._heavy"].Heavy
    assert f"{PACKAGE}.base" not in sys.modules
    assert lazy_demo_pkg.Base is sys.modules[f"{PACKAGE}.base"].Base


def test_a_loaded_name_is_cached_in_the_package(package: None) -> None:
    import lazy_demo_pkg

    assert "Heavy" not in vars(lazy_demo_pkg)
    heavy = lazy_demo_pkg.Heavy
    assert vars(lazy_demo_pkg)["Heavy"] is heavy
    from lazy_demo_pkg import Heavy

    assert Heavy is heavy


def test_unknown_names_raise_attribute_error_naming_the_package(package: None) -> None:
    import lazy_demo_pkg

    with pytest.raises(AttributeError) as info:
        lazy_demo_pkg.Missing  # noqa: B018
    assert str(info.value) == "module 'lazy_demo_pkg' has no attribute 'Missing'"
    assert not hasattr(lazy_demo_pkg, "Other")


def test_dir_lists_all_and_every_export_sorted(package: None) -> None:
    import lazy_demo_pkg

    assert dir(lazy_demo_pkg) == ["Base", "Heavy", "VERSION"]


def test_functions_work_without_the_package_imported() -> None:
    getattr_, dir_ = lazy_module_exports("not_imported_pkg", {"X": "_x"})
    assert dir_() == ["X"]
    with pytest.raises(AttributeError) as info:
        getattr_("Y")
    assert str(info.value) == "module 'not_imported_pkg' has no attribute 'Y'"


def test_ernie_aiml_uses_it() -> None:
    assert ernie_aiml.__dir__() == sorted(ernie_aiml.__all__)
    assert {"AIMLClient", "track_usage", "get_model"} <= set(dir(ernie_aiml))
    assert not {"lazy_module_exports", "KNOWN_PARAMS", "ChatSettings", "chat_request"} & set(
        dir(ernie_aiml)
    )
    with pytest.raises(AttributeError) as info:
        ernie_aiml.not_a_name  # noqa: B018
    assert str(info.value) == "module 'ernie_aiml' has no attribute 'not_a_name'"


def test_the_new_core_names_import_nothing_heavy() -> None:
    code = (
        "import sys, ernie_aiml.integration as integration\n"
        "integration.lazy_module_exports, integration.ChatSettings\n"
        "integration.chat_request, integration.require_extra\n"
        "heavy = ('httpx', 'langchain_core', 'llama_index', 'openai', 'pydantic')\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout == "[]\n"
