"""DuckDB queries over the 100K store in an object store (goal: < 2 s each).

Starts a local S3-compatible server (moto's server mode on 127.0.0.1, tests/s3server.py), copies
the committed snapshot of a local store (default /tmp/hx100k, built by `bench/scale.py build`)
into `s3://<bucket>/hx100k` (the snapshot object and every shard it lists, nothing else: the same
layout the object ledger reads), then times the three reader queries of `bench/scale.py query`
through `helix sql`'s path (a fresh sandbox per query, shards read by Arrow over HTTP).

    python bench/objectstore.py [--root /tmp/hx100k] [--repeats 3]

moto keeps objects in its own process's memory and answers on one Python thread, so these
figures are an upper bound for a real S3 or MinIO endpoint on the same machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def upload(local: Path, remote) -> dict:
    """The local store's current snapshot and its shards, object by object."""
    from storage import ledger

    snapshot = ledger.current(local)
    if snapshot is None:
        raise SystemExit(f"{local} holds no committed store (build it: python bench/scale.py build)")
    started = time.perf_counter()
    total = 0
    for entry in snapshot.shards:
        data = (local / entry.path).read_bytes()
        (remote / entry.path).write_bytes(data)
        total += len(data)
    (remote / ledger.SNAPSHOT_DIR / f"{snapshot.seq:010d}.json").write_bytes(
        ledger._snapshot_path(local, snapshot.seq).read_bytes())
    return {"shards": len(snapshot.shards), "mib": round(total / 2**20, 1),
            "seconds": round(time.perf_counter() - started, 1)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="/tmp/hx100k", help="local store to copy")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from tests.s3server import make_bucket, moto_server

    with moto_server() as env:
        os.environ.update(env)
        from bench.scale import run_queries
        from storage.objects import ObjectPath

        bucket = make_bucket(env, "helix-bench")
        remote = ObjectPath(f"s3://{bucket}/hx100k")
        copied = upload(Path(args.root), remote)
        result = run_queries(remote, repeats=args.repeats)
        out = {"date": time.strftime("%Y-%m-%d"), "machine": f"{os.cpu_count()} cores, {platform.machine()}",
               "endpoint": "moto server on 127.0.0.1", "uploaded": copied, **result}
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
