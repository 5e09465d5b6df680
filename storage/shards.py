"""Atomic Parquet shards and run manifests.

Layout: `<root>/<table>/task=<t>/level=<l>/part-<run>-<n>.parquet` (zstd). A shard is written to
`<root>/_tmp/`, recorded in the journal with its sha256 (storage/ledger.py), and renamed
into place only when complete. Readers see the shards of the committed snapshot only, so a killed
writer leaves nothing a reader can see, and its journaled shards are folded by the next commit. Run ids are
hashes of the run's parameters: a rerun writes the same names with the same bytes, and readers
de-duplicate by id. The run manifest (`<root>/_manifests/<run>.json`) lists every shard of a run
with its row count and sha256, plus the run's timings; writing it commits the run's shards.
Releases live under `<root>/_releases/<name>/` with the same layout (`release_root`).

The root may be an object store (`s3://bucket/prefix`, storage/objects.py): a shard is then one
PUT to its final key, invisible until the ledger commits it, and the JSON files are single PUTs.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from pathlib import Path
from typing import Any, Iterable, Sequence

import pyarrow as pa
import pyarrow.parquet as pq
from pydantic import BaseModel, ValidationError

from storage import ledger
from storage.errors import StoreError
from storage.objects import ObjectPath, ObjectStoreError, as_path
from storage.schema import TABLES, Row, arrow_schema

TMP_DIR = "_tmp"
MANIFEST_DIR = "_manifests"
RELEASE_DIR = "_releases"  # <root>/_releases/<name>/: a release's frozen shards, laid out as the store's


class SchemaError(ValueError):
    """A row that does not fit its table's schema."""


class DataRootError(OSError):
    """The data root cannot be used (missing permissions, not a folder)."""


class ShardInfo(BaseModel):
    table: str
    path: str  # relative to the data root
    rows: int
    bytes: int
    sha256: str


Root = Path | ObjectPath  # a folder, or an object-store prefix


def resolve_root(root: str | os.PathLike | ObjectPath | None) -> Root:
    """The data root: the argument, else $HELIX_DATA_ROOT, else ./data (`s3://...`: an object store)."""
    chosen = root or os.environ.get("HELIX_DATA_ROOT") or "data"
    if isinstance(chosen, ObjectPath) or str(chosen).startswith("s3://"):
        return as_path(str(chosen))
    return Path(chosen).expanduser().resolve()


def ensure_writable(root: Root) -> None:
    """Fail early, before any work, when the data root cannot take shards."""
    if isinstance(root, ObjectPath):
        # commits and the writer lock rely on create-only PUTs: an endpoint that ignores
        # If-None-Match would let two commits overwrite each other, so it is refused up front
        probe = root / TMP_DIR / f".probe-{uuid.uuid4().hex}"
        try:
            first, second = probe.create(b""), probe.create(b"again")
            probe.unlink(missing_ok=True)
        except ObjectStoreError as error:
            raise DataRootError(f"data root {error}") from None
        if first is None or second is not None:
            raise DataRootError(f"data root {root}: the endpoint does not honour conditional writes "
                                "(If-None-Match: *), which commits and locks need; use AWS S3, MinIO "
                                "or another server that supports them")
        return
    try:
        if root.exists() and not root.is_dir():
            raise DataRootError(f"data root {root} is not a folder")
        (root / TMP_DIR).mkdir(parents=True, exist_ok=True)
        probe = root / TMP_DIR / f".probe-{uuid.uuid4().hex}"
        probe.write_bytes(b"")
        probe.unlink()
    except DataRootError:
        raise
    except OSError as error:
        raise DataRootError(f"data root {root} is not writable: {error.strerror or error}") from None


def validate_rows(table: str, rows: Sequence[Row | dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows as plain dicts, each checked against the table's model (no undeclared columns)."""
    model = TABLES[table]
    # schema evolution: a column added later is missing (null) in older shards; its default applies
    defaults = {name: f.default for name, f in model.model_fields.items()
                if not f.is_required() and f.default is not None}
    out = []
    for i, row in enumerate(rows):
        try:
            if isinstance(row, model):
                row = model.model_validate(row.model_dump())  # re-check: models are mutable
            else:
                if defaults and isinstance(row, dict):
                    row = {**row, **{k: v for k, v in defaults.items() if row.get(k, v) is None}}
                row = model.model_validate(row)
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "row"
            raise SchemaError(f"{table} row {i}: field {where}: {first['msg']}") from None
        out.append(row.model_dump())
    return out


def to_arrow(table: str, rows: Sequence[Row | dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(validate_rows(table, rows), schema=arrow_schema(TABLES[table]))


def shard_path(table: str, task: str, level: int, run_id: str, part: int) -> str:
    return f"{table}/task={task}/level={level}/part-{run_id}-{part:05d}.parquet"


def write_shard(root: Root, table: str, rows: Sequence[Row | dict[str, Any]], *, task: str,
                level: int, run_id: str, part: int, commit: bool = True) -> ShardInfo:
    """Validate, write to a temporary file, fsync, journal, rename into place, and (unless
    `commit=False`: bulk writers commit once at the end) commit it to the store's snapshot."""
    data = to_arrow(table, rows)
    relative = shard_path(table, task, level, run_id, part)
    if isinstance(root, ObjectPath):
        return _put_shard(root, table, data, relative, commit)
    final = root / relative
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = root / TMP_DIR / f"{uuid.uuid4().hex}.parquet.tmp"
    tmp.parent.mkdir(parents=True, exist_ok=True)
    try:
        pq.write_table(data, tmp, compression="zstd", row_group_size=512)
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        payload = tmp.read_bytes()
        info = ShardInfo(table=table, path=relative, rows=data.num_rows, bytes=len(payload),
                         sha256=hashlib.sha256(payload).hexdigest())
        intent = ledger.intend(root, ledger.Entry(**info.model_dump()))
        try:
            os.replace(tmp, final)
        except BaseException:
            intent.abandon()
            raise
        intent.done()
    finally:
        tmp.unlink(missing_ok=True)
    if commit:
        ledger.commit(root, f"write {relative}")
    return info


def _put_shard(root: ObjectPath, table: str, data: pa.Table, relative: str, commit: bool) -> ShardInfo:
    """An object store's shard: the whole file in one PUT to its final key, then its intent.
    Until a commit lists it no reader sees it, so a writer killed at any point leaves nothing
    visible (at most an object no snapshot lists)."""
    sink = pa.BufferOutputStream()
    pq.write_table(data, sink, compression="zstd", row_group_size=512)
    payload = sink.getvalue().to_pybytes()
    info = ShardInfo(table=table, path=relative, rows=data.num_rows, bytes=len(payload),
                     sha256=hashlib.sha256(payload).hexdigest())
    (root / relative).write_bytes(payload)
    ledger.record(root, ledger.Entry(**info.model_dump()))
    if commit:
        ledger.commit(root, f"write {relative}")
    return info


def write_json_atomic(path: Path, obj: Any) -> None:
    if isinstance(path, ObjectPath):  # one PUT: whole or absent
        path.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str))
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(obj, indent=2, sort_keys=True, default=str))
    os.replace(tmp, path)


def write_manifest(root: Root, run_id: str, *, config: dict[str, Any],
                   shards: Iterable[ShardInfo], extra: dict[str, Any] | None = None) -> Path:
    """Commit the store (the run's shards become visible) and write the run's report."""
    snapshot = ledger.commit(root, f"run {run_id}")
    shards = sorted(shards, key=lambda s: s.path)
    manifest = {
        "run_id": run_id,
        "snapshot": snapshot.seq,
        "config": config,
        "shards": [s.model_dump() for s in shards],
        "rows": {t: sum(s.rows for s in shards if s.table == t) for t in sorted({s.table for s in shards})},
        **(extra or {}),
    }
    path = root / MANIFEST_DIR / f"{run_id}.json"
    write_json_atomic(path, manifest)
    return path


def repair_manifest(root: Root, run_id: str, *, config: dict[str, Any], kind: str) -> Path | None:
    """A run killed after its last shard and before its report leaves no run manifest; the
    rerun has nothing to build. Write the report from the committed shards of that run (their
    sha256 as written; no timings: those died with the run). None when there is nothing to do."""
    path = root / MANIFEST_DIR / f"{run_id}.json"
    if path.exists():
        return None
    snapshot = ledger.commit(root, f"repair manifest of {run_id}")
    mine = [ShardInfo(**e.model_dump()) for e in snapshot.shards
            if Path(e.path).name.startswith(f"part-{run_id}-")]
    if not mine:
        return None
    return write_manifest(root, run_id, config=config, shards=mine, extra={
        "kind": kind, "summary": [], "repaired": True,
        "note": "written by a later run: the run that built these shards ended before its report"})


def read_manifest(root: Root, run_id: str) -> dict[str, Any]:
    return json.loads((root / MANIFEST_DIR / f"{run_id}.json").read_text())


def table_files(root: Root, table: str, snapshot: Any = None) -> list[Path]:
    """The table's shards in the committed snapshot (`snapshot`: a leased one; default: the
    current one), or in its folders for a store without a ledger (a release's frozen copy)."""
    if snapshot is None:
        snapshot = ledger.current(root)
    return ledger.table_paths(root, table, snapshot)


# a release is a folder of the data root (storage/maintenance.py freezes it); its readers (the
# catalog, exports, training) find it here, beside the rest of the layout
class ReleaseError(StoreError, ValueError):
    pass


def check_release_name(name: str) -> str:
    if not name or len(name) > 100 or name.startswith(".") or \
            not all(ch.isascii() and (ch.isalnum() or ch in "-_.") for ch in name):
        raise ReleaseError(f"release name {name!r}: use 1-100 letters, digits, '-', '_' and '.', "
                           "not starting with '.'")
    return name


def release_root(root: Root, name: str) -> Path:
    """The folder of release `name`; ReleaseError when the name is not a valid or stored one."""
    folder = root / RELEASE_DIR / check_release_name(name)
    if not (folder / "release.json").exists():
        known = ", ".join(p.parent.name for p in sorted((root / RELEASE_DIR).glob("*/release.json"))) or "none"
        raise ReleaseError(f"no release {name!r} under {root} (releases: {known})")
    return folder
