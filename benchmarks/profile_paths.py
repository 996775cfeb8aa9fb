"""cProfile of our adapters' per-chunk path and request path, against the benchmark server.

For each client (default: ChatErnieAIML and ErnieAIML) it profiles whole streams and
non-streamed calls and prints, per chunk / per call, the functions with the most own time:
first ours (the core and the adapters), then everything. cProfile adds its own overhead to
every Python call, so read the numbers relative to each other, not as absolute costs. The
timer is the process CPU clock, so waiting on the socket does not count.

Usage: `.venv-bench/bin/python benchmarks/profile_paths.py [--clients ...] [--framing bulk]`
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time

import payloads
from bench import start_server
from clients import CLIENTS

OURS_MARKERS = ("/ernie_aiml/", "/langchain_ernie_aiml/", "/llama_index_ernie_aiml/")


def _short(path: str) -> str:
    """A path from its package down: `ernie_aiml/_sse.py`, `httpx/_models.py`."""
    for marker in OURS_MARKERS:
        if marker in path:
            return marker.strip("/") + "/" + path.split(marker, 1)[1]
    for marker in ("/site-packages/", "/lib/python3.11/", "/lib/python3.12/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _rows(stats: pstats.Stats, units: int) -> list[tuple[float, float, int, str, str]]:
    """(own µs, cumulative µs, calls, name, path) per unit, most own time first."""
    rows = []
    for (path, line, func), (_cc, calls, tottime, cumtime, _callers) in stats.stats.items():  # type: ignore[attr-defined]
        rows.append(
            (
                tottime / units * 1e6,
                cumtime / units * 1e6,
                calls,
                f"{_short(path)}:{line}({func})",
                path,
            )
        )
    rows.sort(key=lambda r: r[0], reverse=True)
    return rows


def _print(title: str, stats: pstats.Stats, units: int, unit: str, top: int) -> None:
    rows = _rows(stats, units)
    total = sum(r[0] for r in rows)
    print(f"\n### {title}: {total:.1f} µs/{unit} under cProfile")
    print(f"{'own µs':>8} {'cum µs':>8} {'calls/' + unit:>10}  function (ours)")
    ours = [r for r in rows if any(m in r[4] for m in OURS_MARKERS)]
    for own, cum, calls, name, _ in ours[:top]:
        print(f"{own:8.2f} {cum:8.2f} {calls / units:10.2f}  {name}")
    print(f"  ours own time: {sum(r[0] for r in ours):.1f} µs/{unit}")
    print(f"{'own µs':>8} {'cum µs':>8} {'calls/' + unit:>10}  function (all)")
    for own, cum, calls, name, _ in rows[:top]:
        print(f"{own:8.2f} {cum:8.2f} {calls / units:10.2f}  {name}")


def profile_client(name: str, base_url: str, n: int, streams: int, calls: int, top: int) -> None:
    """Profile one client's stream and call paths and print the tables."""
    client = CLIENTS[name]()
    client.setup(base_url)
    for _ in range(3):
        client.stream()
        client.call()
    events = payloads.stream_event_count(n)

    profiler = cProfile.Profile(time.process_time)
    cpu0 = time.process_time()
    profiler.enable()
    for _ in range(streams):
        client.stream()
    profiler.disable()
    cpu = time.process_time() - cpu0
    print(
        f"\n## {name}: stream path ({streams} streams x {events} chunks; {cpu / streams / events * 1e6:.1f} µs/chunk CPU with the profiler)"
    )
    _print(f"{name} per chunk", pstats.Stats(profiler), streams * events, "chunk", top)

    profiler = cProfile.Profile(time.process_time)
    cpu0 = time.process_time()
    profiler.enable()
    for _ in range(calls):
        client.call()
    profiler.disable()
    cpu = time.process_time() - cpu0
    print(
        f"\n## {name}: request path ({calls} calls; {cpu / calls * 1e6:.0f} µs/call CPU with the profiler)"
    )
    _print(f"{name} per call", pstats.Stats(profiler), calls, "call", top)


def main() -> None:
    """Start the server, profile the chosen clients, stop the server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", nargs="*", default=["ChatErnieAIML", "ErnieAIML"])
    parser.add_argument("--framing", choices=("event", "bulk"), default="event")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    server, port = start_server(sys.executable)
    try:
        base = f"http://127.0.0.1:{port}/{args.framing}/n{args.n}/v1"
        for name in args.clients:
            try:
                profile_client(name, base, args.n, args.streams, args.calls, args.top)
            except ImportError as exc:
                print(f"\n## {name}: skipped ({exc})")
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
