"""A/B of two source trees of this repo in one process: per-call and per-chunk client CPU.

Both trees' `ernie_aiml` and adapters are imported into one interpreter (each under its own
`sys.modules` snapshot, swapped in before its batches), the benchmark's server and clients
are set up for each, and batches alternate round by round with a rotating order, so load
from the rest of the machine falls on both alike. Prints the median µs per call and per
chunk (event and bulk framing) and the change B/A.

Usage: `.venv-bench/bin/python benchmarks/ab_trees.py BASE_TREE [--rounds 9]`
(B is this checkout; e.g. `git worktree add /tmp/base c71ad7c` for A).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
from pathlib import Path
from typing import Any

import payloads
from bench import start_server
from clients import CLIENTS
from worker import _batch_cpu, _calibrate

OURS = ("ernie_aiml", "langchain_ernie_aiml", "llama_index_ernie_aiml")
NAMES = ("ernie_aiml core", "ChatErnieAIML", "ErnieAIML")


def _ours(name: str) -> bool:
    return name.split(".")[0] in OURS or name.startswith("llama_index.llms.ernie_aiml")


def _load(tree: Path, urls: dict[str, str]) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    """Import `tree`'s packages and set up its clients; returns its modules and clients."""
    for name in [n for n in sys.modules if _ours(n)]:
        del sys.modules[name]
    paths = [str(tree / "shared"), str(tree)]
    sys.path[:0] = paths
    try:
        clients = {}
        for name in NAMES:
            for framing, url in urls.items():
                client = CLIENTS[name]()
                client.setup(url)
                clients[name, framing] = client
    finally:
        del sys.path[: len(paths)]
    modules = {n: m for n, m in sys.modules.items() if _ours(n)}
    assert modules["ernie_aiml"].__file__.startswith(str(tree)), modules["ernie_aiml"].__file__
    return modules, clients


def _use(modules: dict[str, Any]) -> None:
    for name in [n for n in sys.modules if _ours(n)]:
        del sys.modules[name]
    sys.modules.update(modules)


def main() -> None:
    """Measure both trees; print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base", type=Path)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--target", type=float, default=0.1, help="CPU s per batch")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument(
        "--stat", choices=("median", "min"), default="median", help="of the rounds (min: loaded)"
    )
    args = parser.parse_args()
    stat = statistics.median if args.stat == "median" else min
    server, port = start_server(sys.executable)
    root = f"http://127.0.0.1:{port}"
    urls = {"event": f"{root}/event/n{args.n}/v1", "bulk": f"{root}/bulk/n{args.n}/v1"}
    events = payloads.stream_event_count(args.n)
    expected = {"call": payloads.expected_content(50), "stream": payloads.expected_content(args.n)}
    try:
        trees = {"A": _load(args.base.resolve(), urls), "B": _load(Path(__file__).parents[1], urls)}
        series: dict[str, list[tuple[str, Any, int, int]]] = {}
        for label, (modules, clients) in trees.items():
            _use(modules)
            series[label] = []
            for name in NAMES:
                for metric, framing in (("call", "event"), ("chunk", "event"), ("bulk", "bulk")):
                    client = clients[name, framing]
                    fn = client.call if metric == "call" else client.stream
                    assert fn() == expected["call" if metric == "call" else "stream"]
                    count = _calibrate(fn, args.target, 1, 50000)
                    units = 1 if metric == "call" else events
                    series[label].append((f"{name} {metric}", fn, count, units))
        samples: dict[str, dict[str, list[float]]] = {}
        gc.collect()
        gc.freeze()
        for round_ in range(args.rounds):
            for label in ("A", "B") if round_ % 2 == 0 else ("B", "A"):
                _use(trees[label][0])
                for row, fn, count, units in series[label]:
                    cpu, _ = _batch_cpu(fn, count)
                    samples.setdefault(row, {"A": [], "B": []})[label].append(
                        cpu / (count * units) * 1e6
                    )
        gc.unfreeze()
        print(f"{args.rounds} rounds, {args.stat} client CPU µs (call: per call; chunk: per chunk)")
        for row, by in samples.items():
            a, b = stat(by["A"]), stat(by["B"])
            print(f"  {row:<26} A {a:9.2f}  B {b:9.2f}  B/A {b / a - 1:+7.1%}")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
