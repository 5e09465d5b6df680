"""Scale benchmark: a full build-dataset flow run (Prefect + local Ray), its memory and speed,
then DuckDB over the result, `helix check`, and the 1-vs-2-worker scaling ratio.

    # the 100K build (42 tasks x levels 1..5 x 477 = 100,170 instances), then queries and check
    /usr/bin/time -v .venv/bin/python bench/scale.py build --root /tmp/hx100k --per-level 477
    # queries and check again over an existing store (no build)
    .venv/bin/python bench/scale.py query --root /tmp/hx100k
    # the same build with 1 and 2 Ray workers (smaller, into fresh folders)
    .venv/bin/python bench/scale.py scaling --per-level 12

Memory: a sampler thread adds up, once a second, the resident memory of this process and of every
process descending from it (Ray's GCS, raylet, workers, the ephemeral Prefect server): RSS (what
`top` shows; shared pages counted once per process) and PSS (shared pages split, so the sum is
the real footprint). The load average is sampled too: other jobs on the machine slow the run.
Results go to `<root>/_bench/scale-<mode>.json` and are printed as Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")

PAGE = os.sysconf("SC_PAGE_SIZE")


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as handle:
                stat = handle.read()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = _children(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def memory(pid: int) -> tuple[int, int]:
    """(RSS, PSS) in bytes; (0, 0) when the process is gone."""
    rss = pss = 0
    try:
        with open(f"/proc/{pid}/statm") as handle:
            rss = int(handle.read().split()[1]) * PAGE
        with open(f"/proc/{pid}/smaps_rollup") as handle:
            for line in handle:
                if line.startswith("Pss:"):
                    pss = int(line.split()[1]) * 1024
                    break
    except (OSError, ValueError, IndexError):
        pass
    return rss, pss


def cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return handle.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


class Sampler(threading.Thread):
    """Peak memory of this process tree and the machine's load, once per `every` seconds."""

    def __init__(self, every: float = 1.0):
        super().__init__(daemon=True)
        self.every = every
        self.stop_event = threading.Event()
        self.peak = {"rss_total": 0, "pss_total": 0, "rss_driver": 0, "rss_workers_max": 0,
                     "pss_workers_total": 0, "processes": 0}
        self.loads: list[float] = []

    def run(self) -> None:
        me = os.getpid()
        while not self.stop_event.is_set():
            rss_d, pss_d = memory(me)
            rss_t, pss_t, workers_pss, worker_max, n = rss_d, pss_d, 0, 0, 1
            for pid in descendants(me):
                rss, pss = memory(pid)
                rss_t += rss
                pss_t += pss
                n += 1
                if cmdline(pid).startswith("ray::"):
                    workers_pss += pss
                    worker_max = max(worker_max, rss)
            p = self.peak
            p["rss_total"] = max(p["rss_total"], rss_t)
            p["pss_total"] = max(p["pss_total"], pss_t)
            p["rss_driver"] = max(p["rss_driver"], rss_d)
            p["rss_workers_max"] = max(p["rss_workers_max"], worker_max)
            p["pss_workers_total"] = max(p["pss_workers_total"], workers_pss)
            p["processes"] = max(p["processes"], n)
            self.loads.append(os.getloadavg()[0])
            self.stop_event.wait(self.every)

    def stop(self) -> dict:
        self.stop_event.set()
        self.join(timeout=5)
        gib = {k: (round(v / 2**30, 3) if k != "processes" else v) for k, v in self.peak.items()}
        return {"peak_gib": gib, "load_mean": round(statistics.fmean(self.loads or [0]), 2),
                "load_max": round(max(self.loads or [0]), 2), "cpus": os.cpu_count()}


def run_build(root: Path, per_level: int, workers: int, chunk_size: int, seed: int,
              tasks: list[str] | None = None, levels: list[int] | None = None) -> dict:
    import prefect  # noqa: F401 (its import cost stays outside the timing)

    from pipelines.build import BuildConfig
    from flows.dataset import build_dataset

    config = BuildConfig(tasks=tasks or [], levels=levels or [1, 2, 3, 4, 5], per_level=per_level,
                         chunk_size=chunk_size, seed=seed, data_root=str(root), workers=workers)
    sampler = Sampler()
    sampler.start()
    started = time.perf_counter()
    result = build_dataset(config)
    wall = time.perf_counter() - started
    machine = sampler.stop()
    manifest = json.loads(Path(result["manifest"]).read_text()) if result["manifest"] else {}
    return {"config": config.model_dump(), "wall_s": round(wall, 1),
            "build_s": round(manifest.get("build_seconds", 0.0), 1),
            "instances": result["instances"], "accepted": result["accepted"],
            "verifier_errors": result["verifier_errors"], "shards_written": result["shards"],
            "compaction": result["compaction"], "instances_per_s": round(result["instances"] / wall, 1),
            "machine": machine, "per_task": per_task(manifest.get("summary", []))}


def per_task(summary: list[dict]) -> list[dict]:
    """Per task: instances, worker seconds per instance by stage, instances/s per core."""
    cells: dict[str, dict] = {}
    for s in summary:
        cell = cells.setdefault(s["task"], {"task": s["task"], "instances": 0, "accepted": 0, "seconds": 0.0,
                                            "stages": {}})
        cell["instances"] += s["instances"]
        cell["accepted"] += s["accepted"]
        for stage, v in s["seconds_per_instance"].items():
            cell["stages"][stage] = cell["stages"].get(stage, 0.0) + v * s["instances"]
            cell["seconds"] += v * s["instances"]
    out = []
    for c in cells.values():
        n = max(c["instances"], 1)
        out.append({"task": c["task"], "instances": c["instances"], "accepted": c["accepted"],
                    "ms_per_instance": round(1000 * c["seconds"] / n, 2),
                    "instances_per_s_per_core": round(n / c["seconds"], 1) if c["seconds"] else None,
                    "render_share": round(c["stages"].get("render", 0.0) / c["seconds"], 2) if c["seconds"] else None,
                    "write_share": round(c["stages"].get("write", 0.0) / c["seconds"], 2) if c["seconds"] else None})
    return sorted(out, key=lambda r: r["instances_per_s_per_core"] or 0)


def run_queries(root: Path, repeats: int = 3) -> dict:
    """The three reader queries through the same path `helix sql` takes (new connection each)."""
    from storage.catalog import query
    from storage.schema import TABLES
    from storage.shards import table_files

    _, rows = query(root, "select id from instances order by id")
    some_id = rows[len(rows) // 2][0]
    sqls = {
        "count by task and level": "select task, level, count(*) from instances group by all order by all",
        "acceptance rate by task": ("select task, avg(accepted::int) from traces where source = 'skeleton' "
                                    "group by task order by task"),
        "one instance with its picture": ("select id, task, level, question, answer, images[1].bytes "
                                          f"from instances where id = '{some_id}'"),
    }
    out: dict = {"queries": {}}
    for name, sql in sqls.items():
        times = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            _, result = query(root, sql)
            times.append(time.perf_counter() - t0)
        out["queries"][name] = {"seconds_median": round(statistics.median(times), 3),
                                "seconds_max": round(max(times), 3), "rows": len(result)}
    picture = result[0][-1]
    out["picture_bytes"] = len(picture)
    out["picture_is_png"] = picture[:8] == b"\x89PNG\r\n\x1a\n"
    out["tables"] = {}
    for table in TABLES:
        files = table_files(root, table)
        if files:
            out["tables"][table] = {"shards": len(files),
                                    "mib": round(sum(f.stat().st_size for f in files) / 2**20, 1)}
    _, rows = query(root, "select count(*), count(distinct id) from instances")
    out["instances"], out["distinct_ids"] = rows[0]
    return out


def run_check(root: Path) -> dict:
    from storage.check import check_store

    report = check_store(root, quarantine=False)
    return {"shards": report.shards, "rows": report.rows, "pictures": report.pictures,
            "checksummed": report.checksummed, "problems": len(report.problems),
            "seconds": round(report.seconds, 1)}


def markdown(results: dict) -> str:
    lines = []
    if "build" in results:
        b = results["build"]
        m = b["machine"]
        lines += [f"build: {b['instances']} instances in {b['wall_s']} s wall "
                  f"({b['instances_per_s']}/s), build phase {b['build_s']} s, accepted {b['accepted']}, "
                  f"verifier errors {b['verifier_errors']}, {b['shards_written']} shards written, "
                  f"compaction {b['compaction']}",
                  f"peak memory (GiB): {m['peak_gib']}; load average mean {m['load_mean']} max "
                  f"{m['load_max']} on {m['cpus']} cpus", "",
                  "| task | instances | ms/instance (worker) | instances/s per core | render share | write share |",
                  "|---|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['task']} | {r['instances']} | {r['ms_per_instance']} | {r['instances_per_s_per_core']} "
                  f"| {r['render_share']} | {r['write_share']} |" for r in b["per_task"]]
        lines.append("")
    if "query" in results:
        q = results["query"]
        lines += ["| query | median s | max s | rows |", "|---|---:|---:|---:|"]
        lines += [f"| {k} | {v['seconds_median']} | {v['seconds_max']} | {v['rows']} |"
                  for k, v in q["queries"].items()]
        lines += ["", f"instances {q['instances']} (distinct ids {q['distinct_ids']}); tables {q['tables']}; "
                      f"picture {q['picture_bytes']} bytes, PNG {q['picture_is_png']}", ""]
    if "check" in results:
        lines.append(f"helix check: {results['check']}")
    if "scaling" in results:
        s = results["scaling"]
        lines += ["| workers | instances | wall s | build s | instances/s |", "|---:|---:|---:|---:|---:|"]
        lines += [f"| {r['config']['workers']} | {r['instances']} | {r['wall_s']} | {r['build_s']} | "
                  f"{round(r['instances'] / max(r['build_s'], 1e-9), 1)} |" for r in s["runs"]]
        lines.append(f"\nspeed-up 1 -> 2 workers (build phase): {s['speedup_build']}, (wall): {s['speedup_wall']}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=["build", "query", "scaling"])
    parser.add_argument("--root", default="/tmp/hx100k")
    parser.add_argument("--per-level", type=int, default=477)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-size", type=int, default=32)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--tasks", nargs="+")
    parser.add_argument("--levels", nargs="+", type=int)
    args = parser.parse_args()
    root = Path(args.root)
    results: dict = {}
    if args.mode == "build":
        results["build"] = run_build(root, args.per_level, args.workers, args.chunk_size, args.seed, args.tasks,
                                     args.levels)
    if args.mode in ("build", "query"):
        results["query"] = run_queries(root)
        results["check"] = run_check(root)
    if args.mode == "scaling":
        runs = []
        for workers in (1, 2):
            folder = root / f"scaling-{workers}"
            shutil.rmtree(folder, ignore_errors=True)
            runs.append(run_build(folder, args.per_level, workers, args.chunk_size, args.seed, args.tasks))
        results["scaling"] = {"runs": runs,
                              "speedup_build": round(runs[0]["build_s"] / max(runs[1]["build_s"], 1e-9), 2),
                              "speedup_wall": round(runs[0]["wall_s"] / max(runs[1]["wall_s"], 1e-9), 2)}
    out = root / "_bench" / f"scale-{args.mode}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2))
    print(markdown(results))
    print(f"\nfull results: {out}")


if __name__ == "__main__":
    main()
