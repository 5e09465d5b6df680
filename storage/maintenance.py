"""Keeping a data root healthy while it is used: a writer lock, compaction of small shards,
immutable releases, and statistics.

- Writers (builds, compaction, releases) hold an exclusive lock on `<root>/_lock`; readers never
  lock: they only ever see complete shards (atomic renames), so two rebuilds started at once
  serialise instead of interleaving.
- Compaction rewrites a partition's small shards into one (de-duplicated by id, superseded task
  versions dropped) and moves the old files to `<root>/_trash/<stamp>/` instead of deleting them:
  a reader that listed them a moment ago can still open them. `purge_trash` removes old trash.
- A release hard-links every current shard into `<root>/_releases/<name>/` and records row
  counts and sha256 in `release.json`: later compaction or purges cannot change it.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from storage.schema import TABLES
from storage.shards import ShardInfo, table_files, write_json_atomic, write_shard

LOCK_FILE = "_lock"
TRASH_DIR = "_trash"
RELEASE_DIR = "_releases"
STATS_FILE = "_stats/latest.json"


class LockTimeout(TimeoutError):
    pass


@contextmanager
def writer_lock(root: Path, timeout_s: float = 3600.0, poll_s: float = 0.2) -> Iterator[None]:
    """Exclusive writer lock on the data root (flock: released by the OS if the holder dies)."""
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_FILE, "a+")
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LockTimeout(f"another writer holds {root / LOCK_FILE} for over {timeout_s:.0f} s") from None
                time.sleep(poll_s)
        yield
    finally:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def compact(root: Path, *, current_versions: dict[str, int] | None = None, min_files: int = 4,
            small_bytes: int = 16 << 20) -> dict:
    """Merge each partition's small shards into one, de-duplicated by id. Instance rows of a
    superseded task version are dropped (their shards are rewritten even when big), and so are
    the traces of instances that are gone. Call under `writer_lock`. Returns what was done."""
    done = {"partitions": 0, "files_in": 0, "files_out": 0, "rows_in": 0, "rows_out": 0}
    trash = root / TRASH_DIR / _stamp()
    changed: set[Path] = set()  # instance partitions (relative folder) that lost rows
    for table in ("instances", "traces", "serg_cache"):
        for folder, files in sorted(_partitions(root, table).items()):
            task = folder.parent.name.removeprefix("task=")
            relative = folder.relative_to(root / table)
            inputs = [f for f in files if f.stat().st_size < small_bytes]
            if len(inputs) < min_files:
                inputs = []
            version = (current_versions or {}).get(task)
            if table == "instances" and version is not None:
                inputs += [f for f in files if f not in inputs and _has_other_version(f, version)]
            if table == "traces" and relative in changed:
                inputs = list(files)
            if not inputs:
                continue
            data = pa.concat_tables([pq.read_table(f) for f in inputs], promote_options="permissive")
            rows_in = data.num_rows
            if table == "instances" and version is not None:
                data = data.filter(pc.equal(data["task_version"], version))
            if table == "traces" and relative in changed:
                alive = _ids(root / "instances" / relative)
                data = data.filter(pc.is_in(data["instance_id"], pa.array(sorted(alive), pa.string())))
            data = _dedup(data, prefer_best=table == "traces", per_index=table == "instances")
            name = hashlib.blake2b("".join(sorted(f.name for f in inputs)).encode(), digest_size=6).hexdigest()
            # the new shard lands before the old ones leave: readers never miss a row
            if data.num_rows:
                write_shard(root, table, data.to_pylist(), task=task,
                            level=int(folder.name.removeprefix("level=")), run_id=f"compact-{name}", part=0)
            for f in inputs:
                target = trash / f.relative_to(root)
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(f, target)
            if table == "instances" and data.num_rows < rows_in:
                changed.add(relative)
            done["partitions"] += 1
            done["files_in"] += len(inputs)
            done["files_out"] += 1 if data.num_rows else 0
            done["rows_in"] += rows_in
            done["rows_out"] += data.num_rows
    return done


def _partitions(root: Path, table: str) -> dict[Path, list[Path]]:
    out: dict[Path, list[Path]] = {}
    for path in table_files(root, table):
        out.setdefault(path.parent, []).append(path)
    return out


def _has_other_version(path: Path, version: int) -> bool:
    column = pq.read_table(path, columns=["task_version"])["task_version"]
    return bool(pc.any(pc.not_equal(column, version)).as_py())


def _ids(folder: Path) -> set[str]:
    return {i for f in sorted(folder.glob("*.parquet")) for i in pq.read_table(f, columns=["id"])["id"].to_pylist()}


def _dedup(table: pa.Table, prefer_best: bool = False, per_index: bool = False) -> pa.Table:
    """One row per id. For traces the best outcome wins, as in the catalog's views. With
    `per_index` (instances) one row per id and (split, seed, index): when two indices drew the
    same puzzle both rows stay, so the build planner still sees both indices as built."""
    ids = table["id"].to_pylist()
    if per_index:
        ids = list(zip(ids, table["split"].to_pylist(), table["global_seed"].to_pylist(),
                       table["index"].to_pylist()))
    candidates = range(len(ids))
    if prefer_best:
        accepted, errors = table["accepted"].to_pylist(), table["error"].to_pylist()
        candidates = sorted(candidates, key=lambda i: (not accepted[i], bool(errors[i])))
    first: dict[str, int] = {}
    for i in candidates:
        first.setdefault(ids[i], i)
    order = sorted(first.values(), key=lambda i: ids[i])  # deterministic: by id
    return table.take(pa.array(order, type=pa.int64()))


def purge_trash(root: Path, older_than_s: float = 3600.0) -> int:
    """Delete trash folders older than the grace period; returns how many were removed."""
    base = root / TRASH_DIR
    removed = 0
    if base.is_dir():
        for folder in base.iterdir():
            if time.time() - folder.stat().st_mtime > older_than_s:
                shutil.rmtree(folder, ignore_errors=True)
                removed += 1
    return removed


class ReleaseError(ValueError):
    pass


def create_release(root: Path, name: str, note: str = "") -> dict:
    """Freeze the current shards as release `name` (hard links + manifest). Call under the lock."""
    if not name or not all(ch.isalnum() or ch in "-_." for ch in name) or name.startswith("."):
        raise ReleaseError(f"release name {name!r}: use letters, digits, '-', '_' and '.'")
    folder = root / RELEASE_DIR / name
    if folder.exists():
        raise ReleaseError(f"release {name!r} exists already (releases are immutable)")
    staging = root / RELEASE_DIR / f".{name}.{os.getpid()}.tmp"
    shards = []
    for table in TABLES:
        for path in table_files(root, table):
            relative = path.relative_to(root)
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, target)  # same bytes, no copy; survives the original's move to trash
            shards.append({"table": table, "path": str(relative), "bytes": path.stat().st_size,
                           "rows": pq.ParquetFile(target).metadata.num_rows, "sha256": sha256(target)})
    manifest = {"name": name, "created_at": datetime.now(timezone.utc).isoformat(), "note": note,
                "shards": shards,
                "rows": {t: sum(s["rows"] for s in shards if s["table"] == t) for t in TABLES}}
    staging.mkdir(parents=True, exist_ok=True)
    write_json_atomic(staging / "release.json", manifest)
    os.replace(staging, folder)
    return manifest


def list_releases(root: Path) -> list[dict]:
    base = root / RELEASE_DIR
    if not base.is_dir():
        return []
    out = []
    for path in sorted(base.glob("*/release.json")):
        manifest = json.loads(path.read_text())
        out.append({"name": manifest["name"], "created_at": manifest["created_at"],
                    "shards": len(manifest["shards"]), "rows": manifest["rows"], "note": manifest["note"]})
    return out


def release_root(root: Path, name: str) -> Path:
    folder = root / RELEASE_DIR / name
    if not (folder / "release.json").exists():
        known = ", ".join(r["name"] for r in list_releases(root)) or "none"
        raise ReleaseError(f"no release {name!r} under {root} (releases: {known})")
    return folder


def verify_release(root: Path, name: str) -> list[str]:
    """Problems found (missing files, changed checksums); empty when the release is intact."""
    folder = release_root(root, name)
    manifest = json.loads((folder / "release.json").read_text())
    problems = []
    for shard in manifest["shards"]:
        path = folder / shard["path"]
        if not path.exists():
            problems.append(f"missing {shard['path']}")
        elif sha256(path) != shard["sha256"]:
            problems.append(f"checksum differs: {shard['path']}")
    return problems


def refresh_stats(root: Path) -> dict:
    """Row counts per table, task and level, and shard counts and sizes, to `_stats/latest.json`."""
    from storage.catalog import connect

    con = connect(root)
    try:
        stats: dict = {"updated_at": datetime.now(timezone.utc).isoformat(), "tables": {}}
        for table, model in TABLES.items():
            files = table_files(root, table)
            if not {"task", "level"} <= set(model.model_fields):
                continue
            rows = con.execute(f"SELECT task, level, count(*) FROM {table} GROUP BY ALL ORDER BY ALL").fetchall()
            stats["tables"][table] = {"shards": len(files), "bytes": sum(f.stat().st_size for f in files),
                                      "rows": sum(r[2] for r in rows),
                                      "by_task_level": [{"task": t, "level": lv, "rows": n} for t, lv, n in rows]}
    finally:
        con.close()
    write_json_atomic(root / STATS_FILE, stats)
    return stats


def shard_infos(root: Path, paths: list[Path]) -> list[ShardInfo]:
    return [ShardInfo(table=p.relative_to(root).parts[0], path=str(p.relative_to(root)),
                      rows=pq.ParquetFile(p).metadata.num_rows, bytes=p.stat().st_size,
                      sha256=sha256(p)) for p in paths]
