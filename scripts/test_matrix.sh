#!/usr/bin/env bash
# `make test-matrix`: the quick lane (the whole pytest suite, quick Hypothesis profile) in two
# environments that bracket what pyproject.toml allows, each in its own venv:
#   py310-lowest   the oldest supported Python with the LOWEST allowed version of every
#                  direct dependency (uv's `--resolution lowest-direct`)
#   py313-highest  the newest supported Python with the NEWEST allowed versions
# Neither uses uv.lock (that is `make test`'s environment). Each lane resolves afresh into
# .venv-matrix-<lane>/requirements.txt and syncs its venv to exactly that.
# Usage: bash scripts/test_matrix.sh [MAIN_VENV_BIN] [LANE...]
# Ray (the [ray] extra) is not installed in these lanes: Ray publishes wheels for 3.10 and 3.13,
# but its tests start a local cluster and run only in `make test-ray`, on uv.lock's environment.
# Interpreters: PY310 and PY313 (default: pyenv's 3.10.13 and 3.13.0).
set -euo pipefail
BIN=$(realpath "${1:-.venv/bin}")
shift || true
cd "$(dirname "$0")/.."
export UV_LINK_MODE=copy
PY310=${PY310:-$HOME/.pyenv/versions/3.10.13/bin/python3}
PY313=${PY313:-$HOME/.pyenv/versions/3.13.0/bin/python3}
EXTRAS=(--extra all --extra demo --extra test)

lane() {
  local name=$1 python=$2 resolution=$3
  local venv=.venv-matrix-$name
  echo "== test-matrix $name: $("$python" --version), --resolution $resolution"
  [ -x "$venv/bin/python" ] || "$BIN/uv" venv -q --python "$python" "$venv"
  "$BIN/uv" pip compile -q --python "$venv/bin/python" --resolution "$resolution" --upgrade \
    "${EXTRAS[@]}" --no-header --no-annotate -o "$venv/requirements.txt" pyproject.toml
  "$BIN/uv" pip sync -q --python "$venv/bin/python" "$venv/requirements.txt"
  "$BIN/uv" pip install -q --python "$venv/bin/python" --no-deps -e .
  grep -iE '^(httpx|pydantic|langchain-core|langchain-tests|llama-index-core|pytest)==' \
    "$venv/requirements.txt" | tr '\n' ' '
  echo
  "$venv/bin/python" -m pytest -q --ignore=tests/fleet --ignore=tests/ray
}

lanes=("$@")
[ ${#lanes[@]} -gt 0 ] || lanes=(py310-lowest py313-highest)
for name in "${lanes[@]}"; do
  case $name in
    py310-lowest) lane "$name" "$PY310" lowest-direct ;;
    py313-highest) lane "$name" "$PY313" highest ;;
    *) echo "test_matrix.sh: unknown lane $name (py310-lowest, py313-highest)" >&2; exit 2 ;;
  esac
done
