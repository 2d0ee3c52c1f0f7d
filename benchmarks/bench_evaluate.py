"""Quarterly evaluation benchmark: ``am-analytics evaluate`` end to end, and where its time goes.

For each size, in fresh processes:

* ``end to end``: the command as a user runs it,
  ``am-analytics evaluate DATA --out TMP --format F`` (start-up, load, every
  stage, every file), wall time (best and median of ``--repeat`` runs) and the
  peak resident size and CPU time of the command (GNU time); the exit code
  must be 0 and the report's ``manifest.json`` must hold ``seconds_per_stage``
  for every stage (its last run's, shown as ``CLI s`` beside the split);
* ``split``: one interpreter that times ``import am_analytics``,
  ``am_analytics.load(DATA)``, ``am_analytics.evaluate(dataset)`` (each stage
  from ``Evaluation.timings``) and ``Evaluation.write(..., formats=(f,))`` for
  each format separately, with the peak memory of each step above the
  process's resident size at start (the peak counter is restarted before each
  step through ``/proc/self/clear_refs``); ``(imports, between stages)`` is
  evaluate's time outside its stages, mostly the first import of the domains;
* beside the sample, the start-up floor: ``python -c "pass"`` and
  ``python -c "import pandas"``, timed like the command.

Formats: those of :data:`FORMATS` the installed ``am_analytics.report.FORMATS``
knows (the others are named as skipped). Sizes: the committed sample
(``data/sample``), 100 managers and 5,000 clients, and 1M sales rows (500
managers, 100,000 clients), generated and kept as Parquet under
``benchmarks/.data/goals-*`` by ``bench_goals.prepare``; ``--sizes 10m`` adds
10M rows. Goals: the sample end to end under 5 s (median), and the 1M-row
evaluation finishes (exit 0) within ``--timeout``.

Wall times on a machine shared with other work vary two- to threefold from run
to run; the 1-minute load average before and after each size is printed beside
the figures, and the command's CPU seconds, which vary less, beside its wall time.

Usage::

    python benchmarks/bench_evaluate.py                       # sample, 100 managers, 1M rows
    python benchmarks/bench_evaluate.py --sizes sample        # the sample only
    python benchmarks/bench_evaluate.py --json evaluate.json  # also write the figures as JSON
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from bench_goals import SHAPES, prepare  # the benchmarks folder is not a package
from timing import MEMORY_PROBES, verdict

#: The report formats measured, when the installed library writes them.
FORMATS = ("html", "xlsx", "csv", "json")
SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
#: Runs of the end to end command per size when ``--repeat`` is not given.
DEFAULT_REPEAT = {"sample": 3, "100": 3, "1m": 1, "10m": 1}
GOAL_SAMPLE_SECONDS = 5.0
#: The start-up floor measured beside the sample: label -> ``python -c`` code.
PEERS = {'python -c "pass"': "pass", 'python -c "import pandas"': "import pandas"}
#: GNU time, for the peak resident size and CPU time of each command.
GNU_TIME = "/usr/bin/time"
#: Lines of a failed child's standard error kept in the output.
ERROR_TAIL = 40

SPLIT = (
    MEMORY_PROBES
    + r"""
import json, sys, time, tempfile
from pathlib import Path

folder, formats = sys.argv[1], sys.argv[2].split(",")
start = rss()
seconds, extra, highest = {}, {}, 0

def step(name, run):
    global highest
    restart_peak()
    started = time.perf_counter()
    result = run()
    seconds[name] = time.perf_counter() - started
    extra[name] = peak() - start
    highest = max(highest, peak())
    return result

def import_library():
    import am_analytics
    return am_analytics

am_analytics = step("import am_analytics", import_library)
data = step("load", lambda: am_analytics.load(folder))
evaluation = step("evaluate", lambda: am_analytics.evaluate(data))
with tempfile.TemporaryDirectory() as out:
    for f in formats:
        written = step(f"write {f}", lambda: evaluation.write(Path(out) / f, formats=(f,)))
scores = evaluation.frames()["scores"]
print(json.dumps({
    "seconds": seconds, "extra_bytes": extra, "peak_bytes": highest, "start_bytes": start,
    "stages": dict(evaluation.timings), "period": str(evaluation.period),
    "as_of": str(evaluation.as_of.date()), "sales": len(data.sales),
    "clients": len(data.clients), "managers": len(data.managers),
    "rejected": len(data.rejects), "scored": int(scores["score"].notna().sum()),
}))
"""
)


def timed_child(command: list[str], timeout: float) -> dict[str, Any]:
    """Wall time, peak resident size, CPU time and exit code of a command, killed at ``timeout``."""
    # GNU time reports the command's own peak: the rusage of a child of this process
    # would start from this process's size (exec keeps the high-water mark of the
    # forked copy), and RUSAGE_CHILDREN is the largest of every child so far
    with tempfile.NamedTemporaryFile("r") as usage, tempfile.TemporaryFile() as stderr:
        timed = [GNU_TIME, "--format", "%M %U %S", "--output", usage.name, *command]
        started = time.perf_counter()
        child = subprocess.Popen(
            timed, stdout=subprocess.DEVNULL, stderr=stderr, start_new_session=True
        )
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGKILL)  # the command is GNU time's child
            child.wait()
        seconds = time.perf_counter() - started
        stderr.seek(0)
        errors = stderr.read().decode("utf-8", errors="replace")
        figures = usage.read().split()[-3:]  # after "Command exited with non-zero status"
    peak_kb, user, system = (float(x) for x in figures) if len(figures) == 3 else (0.0, 0.0, 0.0)
    return {
        "seconds": seconds,
        "cpu_seconds": user + system,
        "user_seconds": user,
        "kernel_seconds": system,
        "peak_bytes": int(peak_kb) * 1024,
        "exit_code": child.returncode,
        "timed_out": seconds >= timeout,
        "stderr_tail": errors.splitlines()[-ERROR_TAIL:] if child.returncode else [],
    }


def repeated(command: list[str], runs: int, timeout: float) -> dict[str, Any]:
    """Best and median wall time of ``runs`` runs of a command; stops at the first failure."""
    results = []
    for _ in range(runs):
        results.append(timed_child(command, timeout))
        if results[-1]["exit_code"] != 0:
            break
    times = [r["seconds"] for r in results]
    return {
        "command": command,
        "runs": len(results),
        "best_seconds": min(times),
        "median_seconds": statistics.median(times),
        "all_seconds": times,
        "cpu_seconds": statistics.median(r["cpu_seconds"] for r in results),
        "peak_bytes": max(r["peak_bytes"] for r in results),
        "exit_code": results[-1]["exit_code"],
        "timed_out": results[-1]["timed_out"],
        "stderr_tail": results[-1]["stderr_tail"],
    }


def command_path() -> str:
    """The installed ``am-analytics`` console script, beside this interpreter first."""
    beside = Path(sys.executable).with_name("am-analytics")
    found = str(beside) if beside.exists() else shutil.which("am-analytics")
    if found is None:
        raise SystemExit("am-analytics is not installed: pip install -e .")
    return found


def end_to_end(folder: Path, formats: tuple[str, ...], runs: int, timeout: float) -> dict[str, Any]:
    """The command as a user runs it, and the manifest of its last run."""
    with tempfile.TemporaryDirectory() as out:
        command = [command_path(), "evaluate", str(folder), "--out", out, "--format"]
        result = repeated([*command, ",".join(formats)], runs, timeout)
        manifests = sorted(Path(out).glob("*/manifest.json"))
        manifest = json.loads(manifests[0].read_text(encoding="utf-8")) if manifests else {}
    result["command"][3:5] = ["--out", "TMP"]  # a removed temporary folder is no figure
    result["seconds_per_stage"] = manifest.get("seconds_per_stage", {})
    return result


def split(folder: Path, formats: tuple[str, ...], timeout: float) -> dict[str, Any]:
    """Import, load, each stage and each format timed in one fresh interpreter."""
    command = [sys.executable, "-c", SPLIT, str(folder), ",".join(formats)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"failed": f"killed after {timeout:g} s"}
    if done.returncode != 0:
        tail = done.stderr.splitlines()[-ERROR_TAIL:]
        return {"failed": f"exit {done.returncode}", "stderr_tail": tail}
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def known_formats() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The formats of :data:`FORMATS` the installed library writes, and those it does not."""
    from am_analytics.report import FORMATS as WRITTEN

    return (
        tuple(f for f in FORMATS if f in WRITTEN),
        tuple(f for f in FORMATS if f not in WRITTEN),
    )


def megabytes(n: float) -> str:
    """Bytes as whole MB, right-aligned in 8 columns."""
    return f"{n / 2**20:>8.0f}"


def print_size(size: str, folder: Path, result: dict[str, Any]) -> None:
    """One size's block: the command (and the peers), then the split beside the manifest."""
    parts = result["split"]
    if "failed" not in parts:
        print(
            f"\n{size}: {parts['managers']:,} managers, {parts['clients']:,} clients, "
            f"{parts['sales']:,} sales rows ({folder}); {parts['period']} as of {parts['as_of']}, "
            f"{parts['scored']:,} managers scored, {parts['rejected']:,} rows rejected"
        )
    else:
        print(f"\n{size}: {folder}")
    e2e = result["end_to_end"]
    before, after = result["load_average"][0], result["load_average_after"][0]
    print(f"   load average (1 min) {before:.2f} before, {after:.2f} after")
    print(f"   end to end, best and median of {e2e['runs']}: {' '.join(e2e['command'])}")
    header = (
        f"   {'command':<30} {'best s':>8} {'median s':>9} {'cpu s':>7} {'peak MB':>8} {'exit':>5}"
    )
    print(header)
    print("   " + "-" * (len(header) - 3))
    for name, r in {"am-analytics evaluate": e2e, **result.get("peers", {})}.items():
        print(
            f"   {name:<30} {r['best_seconds']:>8.2f} {r['median_seconds']:>9.2f} "
            f"{r['cpu_seconds']:>7.2f} {megabytes(r['peak_bytes'])} {r['exit_code']:>5}"
        )
    if e2e["exit_code"] != 0:
        state = "timed out" if e2e["timed_out"] else f"failed (exit {e2e['exit_code']})"
        print(f"   the command {state}; its standard error ends:")
        print("     " + "\n     ".join(e2e["stderr_tail"]))
    if "failed" in parts:
        print(f"   split: {parts['failed']}")
        print("     " + "\n     ".join(parts.get("stderr_tail", [])))
        return
    print_split(parts, e2e["seconds_per_stage"])


def print_split(parts: dict[str, Any], manifest: dict[str, float]) -> None:
    """The split of one process, the stages indented under evaluate, the manifest's beside."""
    print(
        f"   split, one process (resident {parts['start_bytes'] / 2**20:.0f} MB at start, "
        f"peak {parts['peak_bytes'] / 2**20:.0f} MB)"
    )
    header = f"   {'step':<30} {'seconds':>8} {'share':>6} {'peak MB above start':>20} {'CLI s':>6}"
    print(header)
    print("   " + "-" * (len(header) - 3))
    total = sum(parts["seconds"].values())
    for name, seconds in parts["seconds"].items():
        print(
            f"   {name:<30} {seconds:>8.2f} {seconds / total:>6.0%} "
            f"{megabytes(parts['extra_bytes'][name]):>20}"
        )
        if name != "evaluate":
            continue
        for stage, stage_seconds in parts["stages"].items():
            beside = f"{manifest[stage]:>6.2f}" if stage in manifest else f"{'-':>6}"
            print(
                f"     {stage:<28} {stage_seconds:>8.2f} {stage_seconds / total:>6.0%} "
                f"{'':>20} {beside}"
            )
        # evaluate imports the domains (scikit-learn, statsmodels) on its first call
        outside = seconds - sum(parts["stages"].values())
        print(f"     {'(imports, between stages)':<28} {outside:>8.2f} {outside / total:>6.0%}")
    print(f"   {'total':<30} {total:>8.2f}")


def goals(results: dict[str, dict[str, Any]], timeout: float) -> list[tuple[str, bool]]:
    """The goal lines of the sizes measured."""
    lines = []
    if "sample" in results:
        e2e = results["sample"]["end_to_end"]
        lines.append(
            (
                f"sample end to end under {GOAL_SAMPLE_SECONDS:g} s: median "
                f"{e2e['median_seconds']:.2f} s (best {e2e['best_seconds']:.2f} s)",
                e2e["exit_code"] == 0 and e2e["median_seconds"] < GOAL_SAMPLE_SECONDS,
            )
        )
    for size, result in results.items():
        recorded = set(result["end_to_end"]["seconds_per_stage"])
        if "stages" in result["split"]:
            stages = set(result["split"]["stages"])
            found = f"{len(recorded & stages)} of the {len(stages)} stages evaluate ran"
        else:  # without the split, the stages run are unknown: any record will do
            stages, found = recorded, f"{len(recorded)} stages; the split failed"
        lines.append(
            (
                f"{size}: manifest.json holds seconds_per_stage for every stage ({found})",
                bool(recorded) and recorded == stages,
            )
        )
    if "1m" in results:
        e2e = results["1m"]["end_to_end"]
        lines.append(
            (
                f"1M sales rows: the evaluation finishes within {timeout:g} s: "
                f"exit {e2e['exit_code']} after {e2e['best_seconds']:.1f} s",
                e2e["exit_code"] == 0,
            )
        )
    return lines


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    import pandas as pd

    import am_analytics

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "am_analytics": am_analytics.__version__,
        "platform": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", nargs="+", default=["sample", "100", "1m"], choices=SHAPES)
    parser.add_argument(
        "--repeat", type=int, help="end to end runs per size (default: 3; 1 from 1M rows)"
    )
    parser.add_argument(
        "--timeout", type=float, default=1800, help="seconds before a run is killed (1800)"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    args = parser.parse_args()

    if not Path(GNU_TIME).exists():
        raise SystemExit(f"{GNU_TIME} (GNU time) is needed for peak memory: apt-get install time")
    started = time.perf_counter()
    formats, skipped = known_formats()
    about = machine()
    print(
        f"am_analytics {about['am_analytics']}, pandas {about['pandas']}, Python "
        f"{about['python']}, {about['cpus']} cpus; formats {', '.join(formats)}"
        + (f" (skipped, not written by this version: {', '.join(skipped)})" if skipped else "")
    )
    results: dict[str, dict[str, Any]] = {}
    for size in args.sizes:
        prepared = prepare(size)
        folder = SAMPLE if prepared == "sample" else Path(prepared)
        runs = args.repeat or DEFAULT_REPEAT[size]
        # the machine may be shared: the load average says how quiet it was
        result: dict[str, Any] = {"folder": str(folder), "load_average": os.getloadavg()}
        if size == "sample":  # the start-up floor, first: it warms the disk cache for all
            result["peers"] = {
                label: repeated([sys.executable, "-c", code], runs, args.timeout)
                for label, code in PEERS.items()
            }
        result["end_to_end"] = end_to_end(folder, formats, runs, args.timeout)
        result["split"] = split(folder, formats, args.timeout)
        result["load_average_after"] = os.getloadavg()
        results[size] = result
        print_size(size, folder, result)

    lines = goals(results, args.timeout)
    print("\nGoals")
    for text, ok in lines:
        print(f"   {verdict(ok)}  {text}")
    print(f"\n(whole run {time.perf_counter() - started:.0f} s)")
    if args.json:
        report = {
            "machine": about,
            "formats": formats,
            "skipped_formats": skipped,
            "sizes": results,
            "goals": [{"goal": text, "pass": ok} for text, ok in lines],
        }
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
