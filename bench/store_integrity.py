"""The store's integrity goals (issue 20), measured on a real store built by `helix generate`:

    .venv/bin/python bench/store_integrity.py [--flips 40] [--queries 1000] [--out FILE]

- bit flips: `--flips` times, one random bit of one random shard file is flipped, `helix check`
  (storage.check.check_store, no quarantine) runs, and the flip is undone. Counted: flips that
  check reported as a problem of that very shard. Goal: all of them.
- queries during compaction: a second process writes duplicate small shards into random
  partitions and compacts, again and again, while this one runs `--queries` sandboxed queries
  (storage.catalog.query, what `helix sql` runs) of the distinct instance count. Counted: queries
  that raised, and queries whose count differs from the store's. Goal: 0 and 0.

Results: a Markdown table on stdout and JSON in `--out`.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TASKS = ["sudoku", "trapping_rain_water", "h_index", "kakuro", "maze", "hanoi"]

WRITER = r"""
import pathlib, random, sys, time
import pyarrow.parquet as pq
from storage import ledger
from storage.maintenance import compact, writer_lock
from storage.shards import write_shard
root, stop = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
rng, rounds = random.Random(5), 0
partitions = sorted({p.parent for p in root.glob("instances/task=*/level=*/*.parquet")})
while not stop.exists():
    folder = rng.choice(partitions)
    task, level = folder.parent.name[5:], int(folder.name[6:])
    live = ledger.current(root).files("instances")
    source = next(root / p for p in live if (root / p).parent == folder)
    rows = pq.read_table(source).to_pylist()
    for k in range(4):  # the same ids again: compaction work that must not change any count
        write_shard(root, "instances", rows, task=task, level=level, run_id=f"dup{time.time_ns()}",
                    part=k, commit=False)
    ledger.commit(root, "bench: small shards")
    with writer_lock(root):
        compact(root, min_files=2)
    rounds += 1
print(rounds)
"""


def build(root: Path, per_level: int) -> None:
    from cli.main import main

    code = main(["generate", "--tasks", *TASKS, "--per-level", str(per_level), "--seed", "11",
                 "--data-root", str(root)])
    if code != 0:
        raise SystemExit(f"building the store failed ({code})")


def bit_flips(root: Path, flips: int, seed: int) -> dict:
    from storage import ledger
    from storage.check import check_store

    shards = sorted(p for t in ("instances", "traces") for p in ledger.folder_files(root, t))
    rng = random.Random(seed)
    found, seconds = 0, []
    for _ in range(flips):
        path = rng.choice(shards)
        data = bytearray(path.read_bytes())
        at, bit = rng.randrange(len(data)), rng.randrange(8)
        data[at] ^= 1 << bit
        path.write_bytes(bytes(data))
        started = time.perf_counter()
        report = check_store(root, quarantine=False)
        seconds.append(time.perf_counter() - started)
        found += any(p.path == str(path.relative_to(root)) for p in report.problems)
        data[at] ^= 1 << bit
        path.write_bytes(bytes(data))
    clean = check_store(root, quarantine=False).ok
    return {"flips": flips, "found": found, "shards": len(shards), "clean_after": clean,
            "check_seconds_median": sorted(seconds)[len(seconds) // 2] if seconds else None}


def queries_during_compaction(root: Path, queries: int) -> dict:
    from storage.catalog import query

    sql = "select count(*) from instances"
    expected = query(root, sql)[1][0][0]
    stop = root.parent / "stop"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(root), str(stop)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    errors, short, other, times = [], 0, 0, []
    try:
        for _ in range(queries):
            started = time.perf_counter()
            try:
                n = query(root, sql)[1][0][0]
                short += n < expected
                other += n > expected
            except Exception as error:  # noqa: BLE001 (every failure is a finding)
                errors.append(f"{type(error).__name__}: {error}"[:200])
            times.append(time.perf_counter() - started)
    finally:
        stop.touch()
        out, err = writer.communicate(timeout=300)
    if writer.returncode != 0:
        raise SystemExit(f"the compacting process failed: {err[-1000:]}")
    return {"queries": queries, "expected_rows": expected, "errors": len(errors),
            "first_errors": errors[:3], "short_reads": short, "long_reads": other,
            "compactions": int(out.split()[-1]), "query_seconds_median": sorted(times)[len(times) // 2]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flips", type=int, default=40)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--per-level", type=int, default=8)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--out", default="/tmp/helix-store-integrity.json")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="hx-integrity-"))
    try:
        root = scratch / "data"
        build(root, args.per_level)
        result = {"machine": f"{platform.node()} ({platform.processor() or platform.machine()})",
                  "store": {"tasks": TASKS, "per_level": args.per_level},
                  "bit_flips": bit_flips(root, args.flips, args.seed),
                  "compaction": queries_during_compaction(root, args.queries)}
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    Path(args.out).write_text(json.dumps(result, indent=2))
    flips, comp = result["bit_flips"], result["compaction"]
    print("| goal | measured |\n|---|---|")
    print(f"| {flips['flips']} random bit flips found by `helix check` | {flips['found']} of {flips['flips']} "
          f"({flips['shards']} shards; check {flips['check_seconds_median']:.2f} s median) |")
    print(f"| 0 reader errors during repeated compaction | {comp['errors']} errors in {comp['queries']} "
          f"queries ({comp['compactions']} compactions meanwhile) |")
    print(f"| 0 short reads | {comp['short_reads']} short, {comp['long_reads']} long "
          f"(expected {comp['expected_rows']} rows; {comp['query_seconds_median'] * 1000:.0f} ms median query) |")


if __name__ == "__main__":
    main()
