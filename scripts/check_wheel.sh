#!/usr/bin/env bash
# Build the wheel, install it into a fresh venv (no editable install to hide a packaging
# mistake) and import every package from it, checking what each import pulls in.
set -euo pipefail
BIN=${1:-.venv/bin}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$BIN/uv" build --wheel --out-dir "$work/dist" . >/dev/null 2>&1 \
  || "$BIN/python" -m pip wheel --no-deps -q -w "$work/dist" .
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
