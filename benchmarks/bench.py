"""The side-by-side client benchmark (issue 6): run it with `make bench`.

Starts the loopback server (`server.py`) in its own process, then measures each client in a
fresh worker process (`worker.py`): client CPU per non-streamed call and per streamed chunk,
1,000 concurrent async streams, and import time / RSS in fresh interpreters. Prints a table
and the ratios ours/floor and anchor/ours, and saves JSON under `benchmarks/results/`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from clients import CLIENTS

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

#: Extra import rows (not clients).
EXTRA_IMPORTS = {"import ernie_aiml": "import ernie_aiml"}
#: Modules looked for in `sys.modules` after each import.
WATCH = (
    "httpx",
    "pydantic",
    "ernie_aiml",
    "openai",
    "langchain_core",
    "langchain_core.language_models",
    "langchain_openai",
    "llama_index.core",
    "llama_index.llms.openai",
)
FRAMEWORK_FLOOR = {"langchain": "null langchain", "llama_index": "null llama-index"}
#: The null model doing the raw httpx request itself: both floors in one call path.
JOINT_FLOOR = {"langchain": "null langchain + httpx", "llama_index": "null llama-index + httpx"}
OURS_FOR = {"langchain": "ChatErnieAIML", "llama_index": "ErnieAIML"}
ANCHOR_FOR = {"ChatErnieAIML": "ChatOpenAI", "ErnieAIML": "OpenAILike"}
TARGET_RATIO = 1.3
TARGET_IMPORT_EXTRA_S = 0.15

_PROBE = """\
import time as _time
_t0 = _time.perf_counter()
_c0 = _time.process_time()
{stmt}
_elapsed = _time.perf_counter() - _t0
_cpu = _time.process_time() - _c0
import json as _json, sys as _sys
with open("/proc/self/status") as _f:
    _rss = next(int(l.split()[1]) for l in _f if l.startswith("VmRSS:")) / 1024
print(_json.dumps({{"s": _elapsed, "cpu_s": _cpu, "rss_mb": _rss,
                   "modules": [m for m in {watch!r} if m in _sys.modules]}}))
"""


def start_server(python: str) -> tuple[subprocess.Popen[str], int]:
    """The server in its own process; returns it and its port."""
    proc = subprocess.Popen(
        [python, str(HERE / "server.py"), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=HERE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        raise RuntimeError(
            f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    return proc, int(line.split()[1])


def _worker(python: str, argv: list[str], timeout: float) -> dict[str, Any]:
    """Run `worker.py argv…` in a fresh process; its last JSON line, or why there is none."""
    try:
        done = subprocess.run(
            [python, str(HERE / "worker.py"), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
            cwd=HERE,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"worker timed out after {timeout:.0f} s"}
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        tail = done.stderr.strip().splitlines()[-3:]
        return {"error": f"worker failed (rc {done.returncode}): {tail}"}
    result = json.loads(lines[-1])
    if done.stderr.strip():
        result["_stderr_tail"] = done.stderr.strip().splitlines()[-8:]
    return result


def run_cpu(python: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    """CPU per call and per chunk of every client, interleaved in one process."""
    base = f"http://127.0.0.1:{port}"
    argv = ["cpu", "--clients", *args.clients]
    argv += ["--base-url", f"{base}/event/n{args.n}/v1"]
    argv += ["--bulk-base-url", f"{base}/bulk/n{args.n}/v1"]
    argv += ["--n", str(args.n), "--repeats", str(args.repeats), "--target", str(args.target)]
    return _worker(python, argv, args.worker_timeout * 3)


def run_concurrency(python: str, name: str, port: int, args: argparse.Namespace) -> dict[str, Any]:
    """One client's concurrent async streams, in a fresh process (so peak RSS is its own)."""
    argv = ["concurrency", name, "--conc-base-url"]
    argv += [f"http://127.0.0.1:{port}/event/n{args.conc_n}/v1"]
    argv += ["--conc-n", str(args.conc_n), "--streams", str(args.streams)]
    return _worker(python, argv, args.worker_timeout)


def _probe_once(python: str, stmt: str, env: dict[str, str]) -> dict[str, Any]:
    """One fresh interpreter timing `stmt`; its sample or the error it printed."""
    code = _PROBE.format(stmt=stmt, watch=WATCH)
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, env=env, cwd="/")
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or ["?"]
        return {"error": tail[0][:300]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def import_probes(python: str, stmts: dict[str, str], runs: int) -> dict[str, Any]:
    """Median import seconds (wall and CPU) and RSS per statement over fresh interpreters.

    Round-robin over the statements, `runs` rounds after a warm-up round (which also writes
    the .pyc files, as a user's first run does), so machine noise falls on all alike.
    """
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    samples: dict[str, list[dict[str, Any]]] = {name: [] for name in stmts}
    errors: dict[str, str] = {}
    for round_ in range(runs + 1):
        for name, stmt in stmts.items():
            if name in errors:
                continue
            sample = _probe_once(python, stmt, env)
            if "error" in sample:
                errors[name] = sample["error"]
            elif round_:
                samples[name].append(sample)
    out: dict[str, Any] = {}
    for name, stmt in stmts.items():
        got = samples[name]
        if name in errors or not got:
            out[name] = {"stmt": stmt, "error": errors.get(name, "no samples")}
            continue
        out[name] = {
            "stmt": stmt,
            "s": statistics.median(s["s"] for s in got),
            "s_all": [s["s"] for s in got],
            "cpu_s": statistics.median(s["cpu_s"] for s in got),
            "rss_mb": statistics.median(s["rss_mb"] for s in got),
            "modules": got[-1]["modules"],
        }
    return out


def _version(dist: str) -> str | None:
    from importlib import metadata

    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def machine_info() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(ln.split(":", 1)[1].strip() for ln in f if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    dists = (
        "ernie-aiml",
        "httpx",
        "pydantic",
        "langchain-core",
        "llama-index-core",
        "langchain-openai",
        "llama-index-llms-openai-like",
        "llama-index-llms-openai",
        "openai",
    )
    return {
        "loadavg": os.getloadavg(),
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": {d: _version(d) for d in dists},
    }


# --------------------------------------------------------------------------- reporting


def _get(results: dict[str, Any], client: str, *keys: str) -> float | None:
    value: Any = results.get(client)
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value if isinstance(value, (int, float)) else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def _import_check(imports: dict[str, Any], ours: str, floor: str) -> dict[str, Any]:
    """Our import vs the framework's (wall and CPU), and the modules it must not pull in."""
    check: dict[str, Any] = {}
    for key in ("s", "cpu_s"):
        mine, framework = _get(imports, ours, key), _get(imports, floor, key)
        extra = mine - framework if mine is not None and framework is not None else None
        check[key] = {
            "ours": mine,
            "framework": framework,
            "extra": extra,
            "target_met": None if extra is None else extra <= TARGET_IMPORT_EXTRA_S,
        }
    probe = imports.get(ours, {})
    forbidden = CLIENTS[ours].forbidden
    leaked = [
        m
        for m in probe.get("modules", [])
        if any(m == f or m.startswith(f + ".") for f in forbidden)
    ]
    check["forbidden_imported"] = leaked if probe and "error" not in probe else None
    return check


def compute_ratios(runs: dict[str, Any], imports: dict[str, Any]) -> dict[str, Any]:
    """ours / (raw httpx + framework floor), anchor / ours, import deltas and checks."""
    out: dict[str, Any] = {}
    for framework, ours in OURS_FOR.items():
        floor = FRAMEWORK_FLOOR[framework]
        entry: dict[str, Any] = {}
        for metric, keys in (
            ("call", ("call", "cpu_us")),
            ("chunk", ("stream", "cpu_us")),
            ("chunk_bulk", ("stream_bulk", "cpu_us")),
        ):
            raw = _get(runs, "raw httpx", *keys)
            null = _get(runs, floor, *keys)
            mine = _get(runs, ours, *keys)
            floor_sum = raw + null if raw is not None and null is not None else None
            ratio = _ratio(mine, floor_sum)
            entry[metric] = {
                "ours_us": mine,
                "floor_us": floor_sum,
                "ratio": ratio,
                "target_met": None if ratio is None else ratio <= TARGET_RATIO,
            }
            joint = _get(runs, JOINT_FLOOR[framework], *keys)
            if joint is not None:
                entry[metric]["joint_floor_us"] = joint
                entry[metric]["ratio_joint"] = _ratio(mine, joint)
            build = _get(runs, floor, "build_chunk", "cpu_us")
            if metric != "call" and floor_sum is not None and build is not None:
                # The null model yields pre-built objects; an adapter must build one per chunk.
                entry[metric]["floor_with_build_us"] = floor_sum + build
                entry[metric]["ratio_with_build"] = _ratio(mine, floor_sum + build)
        anchor = ANCHOR_FOR[ours]
        entry["anchor"] = anchor
        entry["anchor_over_ours"] = {
            "call": _ratio(
                _get(runs, anchor, "call", "cpu_us"), _get(runs, ours, "call", "cpu_us")
            ),
            "chunk": _ratio(
                _get(runs, anchor, "stream", "cpu_us"), _get(runs, ours, "stream", "cpu_us")
            ),
            "concurrency_wall": _ratio(
                _get(runs, anchor, "concurrency", "wall_s"),
                _get(runs, ours, "concurrency", "wall_s"),
            ),
            "import": _ratio(_get(imports, anchor, "s"), _get(imports, ours, "s")),
        }
        entry["import"] = _import_check(imports, ours, floor)
        out[ours] = entry
    return out


def _verdict(met: bool | None) -> str:
    return {True: "ok", False: "MISSED", None: "n/a"}[met]


def _fmt(value: float | None, spec: str) -> str:
    return "—" if value is None else format(value, spec)


def _import_cell(imp: dict[str, Any]) -> str:
    if "error" in imp:
        return "error"
    if "s" not in imp:
        return "—"
    return f"{imp['s']:.3f} ({imp['cpu_s']:.3f})"


def render_table(runs: dict[str, Any], imports: dict[str, Any], streams: int) -> str:
    """The results as a Markdown table."""
    head = (
        "| client | kind | call CPU µs | chunk CPU µs (event) | chunk CPU µs (bulk) "
        f"| {streams} streams wall s | completed | peak RSS MB | import s (CPU s) "
        "| RSS after import MB |\n"
        "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|\n"
    )
    rows = []
    for name in [*CLIENTS, *EXTRA_IMPORTS]:
        if name not in runs and name not in imports:
            continue
        run = runs.get(name, {})
        imp = imports.get(name, {})
        kind = "core" if name in EXTRA_IMPORTS else CLIENTS[name].kind
        if run.get("skipped"):
            rows.append(f"| {name} | {kind} | skipped: {run['skipped'][:90]} ||||||||")
            continue
        conc = run.get("concurrency", {})
        completed = (
            f"{conc['completed']}/{conc['streams']}"
            if "completed" in conc
            else conc.get("error", "—")
        )
        rows.append(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |".format(
                name,
                kind,
                _fmt(_get(runs, name, "call", "cpu_us"), ".0f"),
                _fmt(_get(runs, name, "stream", "cpu_us"), ".1f"),
                _fmt(_get(runs, name, "stream_bulk", "cpu_us"), ".1f"),
                _fmt(_get(runs, name, "concurrency", "wall_s"), ".2f"),
                completed if name not in EXTRA_IMPORTS else "—",
                _fmt(_get(runs, name, "peak_rss_mb"), ".0f"),
                _import_cell(imp),
                _fmt(_get(imports, name, "rss_mb"), ".0f"),
            )
        )
    return head + "\n".join(rows) + "\n"


def render_ratios(ratios: dict[str, Any], runs: dict[str, Any]) -> str:
    """The ratios and checks as Markdown bullet lines."""
    lines = []
    for ours, entry in ratios.items():
        if runs.get(ours, {}).get("skipped") or ours not in runs:
            lines.append(
                f"- **{ours}**: not measured ({runs.get(ours, {}).get('skipped', 'absent')})"
            )
            continue
        parts = []
        for metric in ("call", "chunk", "chunk_bulk"):
            m = entry[metric]
            part = (
                f"{metric} {_fmt(m['ours_us'], '.1f')} / {_fmt(m['floor_us'], '.1f')} µs "
                f"= {_fmt(m['ratio'], '.2f')}x ({_verdict(m['target_met'])})"
            )
            if "ratio_joint" in m:
                part += (
                    f" [{_fmt(m['ratio_joint'], '.2f')}x of the joint floor (null model doing "
                    f"the httpx request), {_fmt(m['joint_floor_us'], '.1f')} µs]"
                )
            if "ratio_with_build" in m:
                part += (
                    f" [{_fmt(m['ratio_with_build'], '.2f')}x of the floor + building the "
                    f"framework's chunk objects, {_fmt(m['floor_with_build_us'], '.1f')} µs]"
                )
            parts.append(part)
        lines.append(
            f"- **{ours}** ours/(raw httpx + framework floor), target ≤ {TARGET_RATIO}x: "
            + "; ".join(parts)
        )
        imp = entry["import"]
        leaked = imp["forbidden_imported"]
        wall, cpu = imp["s"], imp["cpu_s"]
        lines.append(
            f"- **{ours}** import {_fmt(wall['ours'], '.3f')} s vs framework "
            f"{_fmt(wall['framework'], '.3f')} s: +{_fmt(wall['extra'], '.3f')} s wall "
            f"({_verdict(wall['target_met'])}), +{_fmt(cpu['extra'], '.3f')} s CPU "
            f"({_verdict(cpu['target_met'])}), target ≤ +{TARGET_IMPORT_EXTRA_S} s; "
            "forbidden modules imported: "
            + ("n/a" if leaked is None else (", ".join(leaked) if leaked else "none"))
        )
        a = entry["anchor_over_ours"]
        lines.append(
            f"- **{entry['anchor']} / {ours}**: call {_fmt(a['call'], '.1f')}x, chunk "
            f"{_fmt(a['chunk'], '.1f')}x, concurrent-stream wall {_fmt(a['concurrency_wall'], '.1f')}x, "
            f"import {_fmt(a['import'], '.1f')}x"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    """Run everything, print, save."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", nargs="*", default=list(CLIENTS), help="names to run")
    parser.add_argument("--n", type=int, default=500, help="reasoning = content chunks")
    parser.add_argument("--conc-n", type=int, default=10, help="N for the concurrent streams")
    parser.add_argument("--streams", type=int, default=1000, help="concurrent async streams")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--target", type=float, default=0.2, help="CPU s per timed batch")
    parser.add_argument("--import-runs", type=int, default=4)
    parser.add_argument("--skip-imports", action="store_true")
    parser.add_argument("--quick", action="store_true", help="fewer repeats and streams")
    parser.add_argument("--worker-timeout", type=float, default=180.0)
    parser.add_argument("--python", default=sys.executable, help="interpreter for workers")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.target, args.import_runs, args.streams = 3, 0.1, 3, 200

    started = time.perf_counter()
    info = machine_info()
    print(f"machine: {info['nproc']} x {info['cpu']}, Python {info['python']}", flush=True)
    server, port = start_server(args.python)
    runs: dict[str, Any] = {}
    try:
        t0 = time.perf_counter()
        print(f"  CPU per call / per chunk ({len(args.clients)} clients interleaved) …", end=" ")
        cpu = run_cpu(args.python, port, args)
        print(f"{cpu.get('error', 'done')} ({time.perf_counter() - t0:.0f} s)", flush=True)
        for name in args.clients:
            runs[name] = cpu.get(name) or {"client": name, "skipped": cpu.get("error", "?")}
        if "_stderr_tail" in cpu:
            runs["_cpu_stderr_tail"] = cpu["_stderr_tail"]
        for name in args.clients:
            if runs[name].get("skipped") or args.streams <= 0 or not CLIENTS[name].uses_server:
                continue  # the null models do no I/O: nothing to learn from their concurrency
            t0 = time.perf_counter()
            print(f"  {args.streams} concurrent streams: {name} …", end=" ", flush=True)
            conc = run_concurrency(args.python, name, port, args)
            runs[name]["concurrency"] = conc
            runs[name]["peak_rss_mb"] = conc.get("peak_rss_mb")
            print(f"{conc.get('error', 'done')} ({time.perf_counter() - t0:.0f} s)", flush=True)
    finally:
        server.terminate()
        server.wait(timeout=10)

    imports: dict[str, Any] = {}
    if not args.skip_imports:
        print("  import times …", end=" ", flush=True)
        stmts = {
            name: stmt for name in args.clients if (stmt := CLIENTS[name].import_stmt) is not None
        }
        stmts.update(EXTRA_IMPORTS)
        imports = import_probes(args.python, stmts, args.import_runs)
        print("done", flush=True)

    ratios = compute_ratios(runs, imports)
    table = render_table(runs, imports, args.streams)
    ratio_text = render_ratios(ratios, runs)
    elapsed = time.perf_counter() - started
    print()
    print(table)
    print(ratio_text)
    print(f"(total {elapsed:.0f} s)")

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    RESULTS.mkdir(exist_ok=True)
    payload = {
        "when": stamp,
        "machine": info,
        "settings": {k: v for k, v in vars(args).items() if k != "python"},
        "runs": runs,
        "imports": imports,
        "ratios": ratios,
        "elapsed_s": elapsed,
    }
    for path in (RESULTS / f"bench-{stamp}.json", RESULTS / "latest.json"):
        path.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    (RESULTS / "latest.md").write_text(table + "\n" + ratio_text)
    print(f"saved {RESULTS / f'bench-{stamp}.json'}")


if __name__ == "__main__":
    main()
