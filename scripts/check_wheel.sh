#!/usr/bin/env bash
# Build the sdist and the wheel (`python -m build`) from a copy of the tree, failing on any
# warning the build prints; install the wheel into a fresh venv (no editable install to hide a
# packaging mistake) and import every package from it, checking what each import pulls in.
# Nothing is written to the work tree (no build/, dist/ or *.egg-info).
set -euo pipefail
BIN=$(realpath "${1:-.venv/bin}")
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src"
# the files git would commit (tracked and new, not ignored), as they are now
git ls-files -z --cached --others --exclude-standard \
  | xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' _ \
  | tar --null -T - -cf - | tar -xf - -C "$work/src"
# PYTHONDONTWRITEBYTECODE would make setuptools print "byte-compiling is disabled" warnings
if ! (cd "$work/src" && env -u PYTHONDONTWRITEBYTECODE PATH="$BIN:$PATH" \
  "$BIN/python" -m build --installer uv --outdir "$work/dist" . >"$work/build.log" 2>&1); then
  cat "$work/build.log" >&2
  echo "check_wheel.sh: the build failed" >&2
  exit 1
fi
if grep -iE "warning|deprecat" "$work/build.log" >&2; then
  echo "check_wheel.sh: the build printed warnings (above)" >&2
  exit 1
fi
listing=$(unzip -l "$work"/dist/ernie_aiml-*.whl)  # not piped into grep -q: no SIGPIPE
[[ $listing == *dist-info/licenses/LICENSE* ]] \
  || { echo "check_wheel.sh: LICENSE missing from the wheel" >&2; exit 1; }
wheel=$(ls "$work"/dist/ernie_aiml-*.whl)
"$BIN/uv" venv -q --python "$BIN/python" "$work/venv"
"$BIN/uv" pip install -q --python "$work/venv/bin/python" "$wheel[all]"
cd "$work"
"$work/venv/bin/python" - <<'PY'
import sys

import ernie_aiml

heavy = [m for m in ("langchain_core", "llama_index.core", "openai") if m in sys.modules]
assert not heavy, f"import ernie_aiml pulled in {heavy}"
assert "site-packages" in ernie_aiml.__file__, ernie_aiml.__file__
import langchain_ernie_aiml

assert "llama_index.core" not in sys.modules and "openai" not in sys.modules
import llama_index_ernie_aiml
from llama_index.llms.ernie_aiml import ErnieAIML
from langchain_ernie_aiml import ChatErnieAIML
from ernie_aiml.emulator import Emulator

with Emulator() as emu:
    llm = ChatErnieAIML(model="baidu/ernie-5.0", base_url=emu.base_url, api_key="wheel-check")
    assert llm.invoke("Say hi").content
    li = ErnieAIML(model="baidu/ernie-5.0", base_url=emu.base_url, api_key="wheel-check")
    assert li.complete("Say hi").text
print("wheel ok:", ernie_aiml.__version__, ernie_aiml.__file__)
PY
"$work/venv/bin/ernie-aiml" models >/dev/null
"$work/venv/bin/ernie-aiml" demo --help >/dev/null
"$work/venv/bin/python" -c "import ernie_aiml_cli.demo, importlib.resources as r; assert any(p.name.endswith('.md') for p in r.files('ernie_aiml.data').iterdir())"
echo "wheel check passed"
