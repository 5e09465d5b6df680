"""Generation and verification speed per task and level, against the public generators.

Measures, single process, one job at a time (as the reference was measured): CPU seconds per
instance for generate + solve + render (picture included, imports and a warm-up excluded; CPU time
because the machine may be shared: for this single-threaded work it equals wall time on an idle
machine, which is how the reference was taken), and verdicts per CPU second (extraction + rule check of a response that ends with the solver's answer). Writes
bench/RESULTS_generation.md (the generation section of bench/RESULTS.md) and the same numbers as
bench/RESULTS_generation.csv (both follow --out).

    .venv/bin/python bench/generation.py [--instances 5] [--tasks a b ...]
"""

from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from generators import registry  # noqa: E402
from generators.base import make_instance  # noqa: E402
from verifiers.registry import verify  # noqa: E402

REFERENCE = ROOT.parent / "shared" / "bench" / "reference_generation.csv"
SEED = 12345


def reference() -> dict[tuple[str, int], float | None]:
    if not REFERENCE.exists():
        return {}
    out = {}
    with open(REFERENCE) as handle:
        for row in csv.DictReader(handle):
            value = row["seconds_per_instance"]
            out[(row["task"], int(row["level"]))] = float(value) if value else None
    return out


def measure(task_name: str, level: int, instances: int) -> dict:
    task = registry.get(task_name)
    make_instance(task, level, "val", 10_000, SEED)  # warm-up: caches, fonts, lazy imports
    times, walls, made = [], [], []
    for index in range(instances):
        cpu, start = time.process_time(), time.perf_counter()
        made.append(make_instance(task, level, "val", index, SEED))
        times.append(time.process_time() - cpu)
        walls.append(time.perf_counter() - start)
    responses = [(i.initial_state, f"Reasoning ...\nFinal Answer: \\boxed{{{i.solution.answer}}}")
                 for i in made]
    rounds, verdicts, start = 0, 0, time.process_time()
    while time.process_time() - start < 0.2 or rounds < 3:
        for state, response in responses:
            assert verify(task_name, state, response).correct
            verdicts += 1
        rounds += 1
    verify_seconds = time.process_time() - start
    return {"task": task_name, "level": level, "instances": instances,
            "mean_s": statistics.mean(times), "median_s": statistics.median(times), "max_s": max(times),
            "wall_mean_s": statistics.mean(walls),
            "verdicts_per_s": verdicts / verify_seconds,
            "effort": statistics.mean(i.solution.effort for i in made)}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--instances", type=int, default=10)
    p.add_argument("--tasks", nargs="+")
    p.add_argument("--out", default=str(ROOT / "bench" / "RESULTS_generation.md"))
    p.add_argument("--merge", action="store_true",
                   help="replace only the measured tasks' rows of the existing .csv (a task whose "
                        "version changed) and rewrite the report from the merged rows")
    args = p.parse_args()
    ref = reference()
    rows = []
    for name in args.tasks or registry.names():
        for level in range(1, 6):
            row = measure(name, level, args.instances)
            r = ref.get((name, level))
            row["reference_s"] = r
            row["speedup"] = (r / row["mean_s"]) if r else None
            rows.append(row)
            print(f"{name:<34} L{level} {1000 * row['mean_s']:8.2f} ms  ref {r if r else '-':>7}  "
                  f"x{row['speedup'] or 0:7.1f}  {row['verdicts_per_s']:9.0f} verdicts/s", flush=True)
    if args.merge and Path(args.out).with_suffix(".csv").exists():
        measured = {r["task"] for r in rows}
        with open(Path(args.out).with_suffix(".csv"), newline="") as handle:
            kept = [_typed(r) for r in csv.DictReader(handle) if r["task"] not in measured]
        rows = sorted(kept + rows, key=lambda r: (registry.names().index(r["task"]), r["level"]))
    with open(Path(args.out).with_suffix(".csv"), "w", newline="") as handle:  # beside the report
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    write_markdown(rows, Path(args.out), args)


def _typed(row: dict) -> dict:
    """A .csv row back as numbers (empty reference cells stay None)."""
    out: dict = {"task": row["task"], "level": int(row["level"]), "instances": int(row["instances"])}
    for key, value in row.items():
        if key not in out:
            out[key] = float(value) if value not in ("", None) else None
    return out


def write_markdown(rows: list[dict], path: Path, args) -> None:
    speedups = [r["speedup"] for r in rows if r["speedup"]]
    below = [r for r in rows if r["speedup"] and r["speedup"] < 10]
    no_ref_slow = [r for r in rows if not r["reference_s"] and r["mean_s"] >= 1.0]
    lines = [
        "# Generation and verification benchmark",
        "",
        f"Command: `.venv/bin/python bench/generation.py --instances {args.instances}` (tasks whose "
        "version changed since: rerun with `--tasks ... --merge`)  ",
        f"Machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        "single process, one job at a time (as the reference was measured).  ",
        "ms / instance = CPU time of generate + solve + render (picture included), warm-up excluded "
        "(CPU time: the machine was shared while measuring; wall time of the same runs is in the .csv beside this file). "
        "Verdicts/s = extraction + rule check of a response ending with the solver's answer, per CPU second.  ",
        "Reference = the public MM-HELIX generators on the same machine kind "
        "(`shared/bench/reference_generation.csv`).",
        "",
        f"Cells measured: {len(rows)}; with a reference: {len(speedups)}; "
        f"median speed-up {statistics.median(speedups):.0f}x, minimum {min(speedups):.1f}x; "
        f"cells under the 10x goal: {len(below)}; cells without a reference over 1 s: {len(no_ref_slow)}.",
        f"Median verdicts/s across cells: {statistics.median(r['verdicts_per_s'] for r in rows):.0f}.",
        "",
        "| task | level | ms / instance (mean) | median ms | max ms | reference ms | speed-up (mean) | verdicts/s | mean effort |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref = f"{1000 * r['reference_s']:.0f}" if r["reference_s"] else "none (failed)"
        speed = f"{r['speedup']:.0f}x" if r["speedup"] else "-"
        lines.append(f"| {r['task']} | {r['level']} | {1000 * r['mean_s']:.2f} | {1000 * r['median_s']:.2f} | "
                     f"{1000 * r['max_s']:.1f} | "
                     f"{ref} | {speed} | {r['verdicts_per_s']:.0f} | {r['effort']:.1f} |")
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
