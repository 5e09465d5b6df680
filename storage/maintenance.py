"""Keeping a data root healthy while it is used: a writer lock, compaction of small shards,
immutable releases, and statistics.

- Writers (builds, compaction, releases) hold an exclusive lock on `<root>/_lock`, so two rebuilds
  started at once serialise instead of interleaving; taking it commits what killed writers left
  (storage/ledger.py), releasing it commits what the holder wrote. A writer that has to wait
  says so, naming the holder, and gives up after a bounded time. Readers never take it: they
  read one committed snapshot.
- Compaction rewrites a partition's small shards into one (de-duplicated by id, superseded task
  versions dropped) and commits the swap at once. The old files stay where they are while a
  reader holds a snapshot that lists them, then move to `<root>/_trash/<stamp>/`;
  `purge_trash` removes old trash.
- A release hard-links every current shard into `<root>/_releases/<name>/` (on an object store:
  server-side copies) and records row counts and sha256 in `release.json`: later compaction or
  purges cannot change it.
- On an object store (`s3://`) the writer lock is a lease object renewed while held
  (storage/objects.py), and retired shards are deleted after the ledger's grace period instead
  of moving to `_trash/`.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import socket
import time
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from storage import ledger
from storage.errors import StoreError
from storage.objects import LockLost, ObjectPath, object_lock, parquet_source
from storage.schema import TABLES
from storage.shards import (RELEASE_DIR, ReleaseError, check_release_name, release_root,
                            table_files, write_json_atomic, write_shard)

LOCK_FILE = "_lock"
TRASH_DIR = "_trash"
STATS_FILE = "_stats/latest.json"


class LockTimeout(StoreError, TimeoutError):
    pass


LOCK_TIMEOUT_S = float(os.environ.get("HELIX_LOCK_TIMEOUT_S", "3600"))


def _holder(handle) -> str:
    try:
        handle.seek(0)
        text = handle.read(300).strip()
    except OSError:
        text = ""
    return text or "another helix writer"


@contextmanager
def writer_lock(root: Path, timeout_s: float | None = None, poll_s: float = 0.2,
                announce=None, commit: bool = True) -> Iterator[None]:
    """Exclusive writer lock on the data root (flock: released by the OS if the holder dies).
    Waiting is announced at once and every minute (`announce`, default: a line on stderr) and
    ends with LockTimeout after `timeout_s` (default HELIX_LOCK_TIMEOUT_S, 3600). With `commit`
    the ledger is committed on entry and exit (`helix check` commits itself: it may have to
    rebuild a damaged ledger first)."""
    import sys

    timeout_s = LOCK_TIMEOUT_S if timeout_s is None else timeout_s
    announce = announce or (lambda line: print(line, file=sys.stderr, flush=True))
    if isinstance(root, ObjectPath):
        with _object_writer_lock(root, timeout_s, poll_s, announce, commit):
            yield
        return
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_FILE, "a+")
    started = time.monotonic()
    next_note = started
    try:
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                waited = time.monotonic() - started
                if waited > timeout_s:
                    raise LockTimeout(f"{_holder(handle)} has held the writer lock {root / LOCK_FILE} "
                                      f"for longer than this command waits ({timeout_s:.0f} s); "
                                      "try again when it is done") from None
                if time.monotonic() >= next_note:
                    announce(f"helix: waiting for the writer lock of {root}: held by "
                             f"{_holder(handle)} (waited {waited:.0f} s of at most {timeout_s:.0f} s)")
                    next_note += 60.0
                time.sleep(poll_s)
        # who holds it, for whoever has to wait (the lock file's content is only a note)
        handle.seek(0)
        handle.truncate()
        handle.write(_holder_line())
        handle.flush()
        with _committed(root, commit):
            yield
    finally:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        finally:
            handle.close()


@contextmanager
def _committed(root: Path, commit: bool) -> Iterator[None]:
    """Under the writer lock: commit on entry (what a killed writer completed becomes visible)
    and on exit (what the holder wrote); when the body failed, its error wins over the exit's."""
    if commit:
        ledger.commit(root, "writer lock: recover")
    failed = True
    try:
        yield
        failed = False
    finally:
        try:
            if commit:
                ledger.commit(root, "writer lock: release")
        except Exception:
            if not failed:
                raise


def _holder_line() -> str:
    import sys

    return (f"pid {os.getpid()} on {socket.gethostname()} since "
            f"{datetime.now(timezone.utc).isoformat(timespec='seconds')}: "
            f"{' '.join(os.path.basename(a) if i == 0 else a for i, a in enumerate(sys.argv))[:200]}")


@contextmanager
def _object_writer_lock(root: ObjectPath, timeout_s: float, poll_s: float, announce,
                        commit: bool) -> Iterator[None]:
    """The writer lock of an object store: `<root>/_lock` as a lease object (storage/objects.py)."""
    try:
        with object_lock(root / LOCK_FILE, _holder_line(), timeout_s=timeout_s,
                         poll_s=max(poll_s, 0.5), announce=announce), _committed(root, commit):
            yield
    except LockLost as error:
        raise LockTimeout(str(error)) from None


sha256 = ledger.file_sha256


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def compact(root: Path, *, current_versions: dict[str, int] | None = None, min_files: int = 4,
            small_bytes: int = 16 << 20) -> dict:
    """Merge each partition's small shards into one, de-duplicated by id. Instance rows of a
    superseded task version are dropped (their shards are rewritten even when big), and so are
    the traces of instances that are gone. Call under `writer_lock`. One commit swaps every
    merged shard for its inputs; an input leaves the table folder only when no reader holds a
    snapshot that lists it (storage/ledger.py). Returns what was done."""
    done = {"partitions": 0, "files_in": 0, "files_out": 0, "rows_in": 0, "rows_out": 0}
    snapshot = ledger.commit(root, "compact: fold journals")
    changed: set[Path] = set()  # instance partitions (relative folder) that lost rows
    live: dict[Path, list[Path]] = {}  # instance partition -> its files after compaction
    removed: list[str] = []
    for table in ("instances", "traces", "serg_cache"):
        for folder, files in sorted(_partitions(root, table, snapshot).items()):
            task = folder.parent.name.removeprefix("task=")
            relative = folder.relative_to(root / table)
            if table == "instances":
                live[relative] = list(files)
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
            data = pa.concat_tables([pq.read_table(parquet_source(f)) for f in inputs], promote_options="permissive")
            rows_in = data.num_rows
            if table == "instances" and version is not None:
                data = data.filter(pc.equal(data["task_version"], version))
            if table == "traces" and relative in changed:
                alive = _ids(live.get(relative, []))
                data = data.filter(pc.is_in(data["instance_id"], pa.array(sorted(alive), pa.string())))
            data = _dedup(data, prefer_best=table == "traces", per_index=table == "instances")
            name = hashlib.blake2b("".join(sorted(f.name for f in inputs)).encode(), digest_size=6).hexdigest()
            output = None
            if data.num_rows:
                info = write_shard(root, table, data.to_pylist(), task=task,
                                   level=int(folder.name.removeprefix("level=")), run_id=f"compact-{name}",
                                   part=0, commit=False)
                output = root / info.path
            removed += [str(f.relative_to(root)) for f in inputs if f != output]
            if table == "instances":
                live[relative] = [f for f in files if f not in inputs] + ([output] if output else [])
                if data.num_rows < rows_in:
                    changed.add(relative)
            done["partitions"] += 1
            done["files_in"] += len(inputs)
            done["files_out"] += 1 if data.num_rows else 0
            done["rows_in"] += rows_in
            done["rows_out"] += data.num_rows
    if done["partitions"]:
        ledger.commit(root, "compact", remove=removed)
    return done


def _partitions(root: Path, table: str, snapshot: ledger.Snapshot | None) -> dict[Path, list[Path]]:
    out: dict[Path, list[Path]] = {}
    for path in table_files(root, table, snapshot):
        out.setdefault(path.parent, []).append(path)
    return out


def _has_other_version(path: Path, version: int) -> bool:
    column = pq.read_table(parquet_source(path), columns=["task_version"])["task_version"]
    return bool(pc.any(pc.not_equal(column, version)).as_py())


def _ids(files: list[Path]) -> set[str]:
    return {i for f in sorted(files) for i in pq.read_table(parquet_source(f), columns=["id"])["id"].to_pylist()}


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


def create_release(root: Path, name: str, note: str = "") -> dict:
    """Freeze the committed shards as release `name` (hard links, or on an object store
    server-side copies, + manifest). Call under the lock. Each shard is hashed as it is frozen and
    must match the ledger's sha256: a release never freezes a shard that changed after it was
    written. The release appears at once: a folder renamed into place, or on an object store
    `release.json` created last (only if absent), so a killed creation leaves no release."""
    check_release_name(name)
    folder = root / RELEASE_DIR / name
    on_objects = isinstance(root, ObjectPath)
    if (folder / "release.json").exists() if on_objects else folder.exists():
        raise ReleaseError(f"release {name!r} exists already (releases are immutable)")
    # objects: the copies go straight to their place, invisible until release.json exists
    staging = folder if on_objects else root / RELEASE_DIR / f".{name}.{os.getpid()}.tmp"
    snapshot = ledger.current(root)
    recorded = snapshot.by_path() if snapshot else {}
    shards = []
    done = False
    try:
        for table in TABLES:
            for path in table_files(root, table, snapshot):
                relative = path.relative_to(root)
                target = staging / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                if on_objects:
                    path.copy_to(target)  # objects are immutable: the copy cannot change later
                else:
                    os.link(path, target)  # same bytes, no copy; survives the original's retirement
                digest = sha256(target)
                entry = recorded.get(str(relative))
                if entry is not None and entry.sha256 != digest:
                    raise ReleaseError(f"shard {relative} no longer matches the sha256 it was written "
                                       "with; run `helix check` (it quarantines it) and rebuild first")
                shards.append({"table": table, "path": str(relative), "bytes": path.stat().st_size,
                               "rows": pq.ParquetFile(parquet_source(target)).metadata.num_rows, "sha256": digest})
        distinct = {}  # what a reader of the release sees: one row per id
        for table in TABLES:
            ids: set[str] = set()
            for shard in shards:
                if shard["table"] == table:
                    ids.update(pq.read_table(parquet_source(staging / shard["path"]), columns=["id"])["id"].to_pylist())
            distinct[table] = len(ids)
        manifest = {"name": name, "created_at": datetime.now(timezone.utc).isoformat(), "note": note,
                    "snapshot": snapshot.seq if snapshot else None, "shards": shards,
                    "rows": {t: sum(s["rows"] for s in shards if s["table"] == t) for t in TABLES},
                    "distinct": distinct}
        if on_objects:
            body = json.dumps(manifest, indent=2, sort_keys=True, default=str).encode()
            if (folder / "release.json").create(body) is None:
                raise ReleaseError(f"release {name!r} was created by another writer meanwhile")
        else:
            staging.mkdir(parents=True, exist_ok=True)
            write_json_atomic(staging / "release.json", manifest)
            os.replace(staging, folder)
        done = True
    finally:
        if not on_objects:
            shutil.rmtree(staging, ignore_errors=True)
        elif not done and not (folder / "release.json").exists():
            for path in folder.rglob_files():  # a creation that failed leaves nothing behind
                path.unlink(missing_ok=True)
    return manifest


def _release_manifest(path: Path) -> dict:
    try:
        manifest = json.loads(path.read_text())
        if not isinstance(manifest, dict) or not isinstance(manifest.get("shards"), list):
            raise ValueError("no list of shards")
        return manifest
    except (OSError, ValueError) as error:
        raise ReleaseError(f"release file {path} is damaged ({str(error)[:120]})") from None


def list_releases(root: Path) -> list[dict]:
    base = root / RELEASE_DIR
    if not base.is_dir():
        return []
    out = []
    for path in sorted(base.glob("*/release.json")):
        manifest = _release_manifest(path)
        out.append({"name": manifest.get("name", path.parent.name), "created_at": manifest.get("created_at", "?"),
                    "shards": len(manifest["shards"]),
                    "rows": manifest.get("distinct") or manifest.get("rows", {}),  # older: raw rows
                    "note": manifest.get("note", "")})
    return out


def verify_release(root: Path, name: str) -> list[str]:
    """Problems found (missing, changed, extra files; paths that leave the release); empty when
    the release is intact. Only files inside the release folder are ever opened."""
    folder = release_root(root, name).resolve()
    manifest = _release_manifest(folder / "release.json")
    problems, listed = [], set()
    for shard in manifest["shards"]:
        relative = str(shard.get("path", "")) if isinstance(shard, dict) else ""
        path = (folder / relative).resolve()
        if not relative or not path.is_relative_to(folder) or path == folder:
            problems.append(f"shard path outside the release: {relative!r}")
            continue
        listed.add(path)
        if not path.is_file():
            problems.append(f"missing {relative}")
        elif sha256(path) != shard.get("sha256"):
            problems.append(f"checksum differs: {relative}")
    for table in TABLES:
        for path in ledger.folder_files(folder, table):
            if path.resolve() not in listed:
                problems.append(f"not in the release: {path.relative_to(folder)}")
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
            # rows as readers see them (one per id), per split where the table has splits
            split = "split" if "split" in model.model_fields else "NULL"
            rows = con.execute(f"SELECT {split}, task, level, count(*) FROM {table} "
                               "GROUP BY ALL ORDER BY ALL").fetchall()
            by_split: dict = {}
            for sp, _, _, n in rows:
                if sp is not None:
                    by_split[sp] = by_split.get(sp, 0) + n
            stats["tables"][table] = {"shards": len(files), "bytes": sum(f.stat().st_size for f in files),
                                      "rows": sum(r[3] for r in rows), "by_split": by_split,
                                      "by_task_level": [{"split": sp, "task": t, "level": lv, "rows": n}
                                                        for sp, t, lv, n in rows]}
    finally:
        con.close()
    write_json_atomic(root / STATS_FILE, stats)
    return stats
