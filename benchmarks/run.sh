#!/usr/bin/env bash
# `make bench`: set up .venv-bench (the repo + the `bench` extra: the anchors ChatOpenAI and
# OpenAILike) and run the benchmark with it. Idempotent; a second run only re-checks.
# Usage: bash benchmarks/run.sh [MAIN_VENV_BIN] [bench.py options...]
set -euo pipefail

BIN="${1:-.venv/bin}"
shift || true
cd "$(dirname "$0")/.."
BENCH=.venv-bench

if [ -x "$BIN/uv" ]; then
  [ -x "$BENCH/bin/python" ] || "$BIN/uv" venv -q "$BENCH" --python "$BIN/python"
  install=("$BIN/uv" pip install -q --python "$BENCH/bin/python" -e '.[all,bench]')
else
  [ -x "$BENCH/bin/python" ] || "$BIN/python" -m venv "$BENCH"
  install=("$BENCH/bin/python" -m pip install -q -e '.[all,bench]')
fi

PY="$BENCH/bin/python"
if ! "${install[@]}"; then
  echo "run.sh: could not install the bench extra; running without the anchors" >&2
  PY="$BIN/python"
fi

"$PY" benchmarks/bench.py "$@"
# the shared budget and rate limit rows (Redis over loopback), where a redis-server exists
if command -v redis-server >/dev/null 2>&1; then
  "$PY" benchmarks/fleet.py
fi
