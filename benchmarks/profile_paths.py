"""cProfile of our adapters' per-chunk path and request path, against the benchmark server.

For each client (default: ChatErnieAIML and ErnieAIML) it profiles whole streams and
non-streamed calls and prints, per chunk / per call, the functions with the most own time:
first ours (the core and the adapters), then everything; then the same paths of the joint
floor (the null model doing the httpx request) and, function by function, where the extra
time goes. cProfile adds its own overhead to every Python call, so read the numbers relative
to each other, not as absolute costs. Streams default to bulk framing (little waiting on the
socket); `--timer cpu` counts CPU only (a costlier clock, more distortion).

Usage: `.venv-bench/bin/python benchmarks/profile_paths.py [--clients ...] [--quiet]`
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
import time
from collections.abc import Callable

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


Key = tuple[str, int, str]
Profile = dict[Key, tuple[float, float, float]]  # (calls, own µs, cumulative µs) per unit

#: The joint floor each adapter is compared with, function by function.
AGAINST = {"ChatErnieAIML": "null langchain + httpx", "ErnieAIML": "null llama-index + httpx"}


def collect(fn: Callable[[], object], runs: int, units: int, timer: str) -> Profile:
    """cProfile `runs` calls of `fn`; per-unit calls, own and cumulative µs by function."""
    profiler = cProfile.Profile(time.process_time) if timer == "cpu" else cProfile.Profile()
    profiler.enable()
    for _ in range(runs):
        fn()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    scale = 1e6 / (runs * units)
    return {
        key: (calls / (runs * units), own * scale, cum * scale)
        for key, (_cc, calls, own, cum, _callers) in stats.items()
    }


def _name(key: Key) -> str:
    return f"{_short(key[0])}:{key[1]}({key[2]})"


def _is_ours(key: Key) -> bool:
    return any(marker in key[0] for marker in OURS_MARKERS)


def print_profile(title: str, prof: Profile, unit: str, top: int) -> None:
    """Our functions by own time, then all functions by own time."""
    total = sum(v[1] for v in prof.values())
    print(f"\n### {title}: {total:.1f} µs/{unit} under cProfile")
    rows = sorted(prof.items(), key=lambda kv: kv[1][1], reverse=True)
    ours = [(k, v) for k, v in rows if _is_ours(k)]
    print(f"{'own µs':>8} {'cum µs':>8} {'calls':>7}  ours (file:line(function)), per {unit}")
    for key, (calls, own, cum) in ours[:top]:
        print(f"{own:8.2f} {cum:8.2f} {calls:7.2f}  {_name(key)}")
    print(f"  ours, own time in all: {sum(v[1] for _, v in ours):.1f} µs/{unit}")
    print(f"{'own µs':>8} {'cum µs':>8} {'calls':>7}  all, per {unit}")
    for key, (calls, own, cum) in rows[:top]:
        print(f"{own:8.2f} {cum:8.2f} {calls:7.2f}  {_name(key)}")


def print_diff(title: str, mine: Profile, floor: Profile, unit: str, top: int) -> None:
    """Where the extra own time goes: functions by (ours - floor) own µs per unit."""
    keys = set(mine) | set(floor)
    zero = (0.0, 0.0, 0.0)
    rows = sorted(
        ((mine.get(k, zero)[1] - floor.get(k, zero)[1], mine.get(k, zero)[0], k) for k in keys),
        reverse=True,
    )
    extra = sum(v[1] for v in mine.values()) - sum(v[1] for v in floor.values())
    print(f"\n### {title}: +{extra:.1f} µs/{unit} own time over the joint floor, under cProfile")
    print(f"{'+own µs':>8} {'calls':>7}  function")
    for diff, calls, key in rows[:top]:
        print(f"{diff:8.2f} {calls:7.2f}  {_name(key)}")


def profile_client(name: str, base_url: str, args: argparse.Namespace) -> dict[str, Profile]:
    """Profile one client's stream and call paths; print them; return them for diffs."""
    client = CLIENTS[name]()
    client.setup(base_url)
    for _ in range(3):
        client.stream()
        client.call()
    events = payloads.stream_event_count(args.n)
    stream = collect(client.stream, args.streams, events, args.timer)
    call = collect(client.call, args.calls, 1, args.timer)
    if not args.quiet:
        print_profile(f"{name}: per chunk ({args.streams} streams)", stream, "chunk", args.top)
        print_profile(f"{name}: per call ({args.calls} calls)", call, "call", args.top)
    return {"stream": stream, "call": call}


def main() -> None:
    """Start the server, profile the chosen clients (and their joint floors), stop the server."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", nargs="*", default=["ChatErnieAIML", "ErnieAIML"])
    parser.add_argument("--framing", choices=("event", "bulk"), default="bulk")
    parser.add_argument("--timer", choices=("wall", "cpu"), default="wall")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--streams", type=int, default=10)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--top", type=int, default=15)
    parser.add_argument("--quiet", action="store_true", help="only the diffs")
    args = parser.parse_args()
    server, port = start_server(sys.executable)
    try:
        base = f"http://127.0.0.1:{port}/{args.framing}/n{args.n}/v1"
        for name in args.clients:
            try:
                mine = profile_client(name, base, args)
                against = AGAINST.get(name)
                if against is None:
                    continue
                floor = profile_client(
                    against, base, argparse.Namespace(**{**vars(args), "quiet": True})
                )
            except ImportError as exc:
                print(f"\n## {name}: skipped ({exc})")
                continue
            for path, unit in (("stream", "chunk"), ("call", "call")):
                print_diff(
                    f"{name} vs {against}: per {unit}", mine[path], floor[path], unit, args.top
                )
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
