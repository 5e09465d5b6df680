"""Integrity check of a data root: find damaged shards and take them out of service.

The committed snapshot (storage/ledger.py) says which shards make up the store and what each one's
sha256 was when it was written. Every byte of every listed shard is hashed and compared, so any
change to a shard is found, whatever it does to the data:

- `ledger`: the snapshot or its pointer is damaged (it is rebuilt from the shards in the folders,
  each then judged by content and the run manifests' checksums);
- `missing`: a listed shard is gone (its rows are missing from every query);
- `extra`: a Parquet file in a table folder that no snapshot lists and no running writer has
  journaled (a foreign file; readers ignore it);
- `checksum`: the file's sha256 differs from the ledger's (or, for a file no snapshot lists
  yet, its journal's);

and each shard is read end to end and judged:

- `unreadable`: the Parquet footer or a page cannot be read (truncated file, flipped bits in the
  metadata or in a compressed page), or the decoded data is invalid (e.g. broken UTF-8);
- `schema`: a column the table's row model (storage.schema.TABLES) does not declare, a declared
  column of another Arrow type, or a required column missing (columns added later with a default
  may be missing in older shards: that is schema evolution, not damage);
- `partition`: rows whose task or level differ from the folder they are stored in (training
  logs are filed by run: storage.schema.RUN_TABLES);
- `picture`: an image that is not a complete PNG (signature, chunk CRCs up to IEND);

and the store as a whole:

- `overlap`: an instance id stored in two splits (train and benchmark, say): whoever trains on
  the store would train on evaluation items. Reported, not moved: which copy should go is the
  operator's call (a rebuild of the later split redraws them).

Quarantine moves each damaged (or extra) shard to `<root>/_quarantine/<stamp>/<same relative
path>` (with a `report.json` saying why), under the writer lock and only if the file is still the
one that was judged, and commits a snapshot without it and without the missing ones. The rows of
a quarantined shard then count as missing: the next build regenerates them (ids and bytes are
deterministic), and queries stop tripping over the file. Nothing is ever deleted.
"""

from __future__ import annotations

import io
import json
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Literal

import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image as PILImage
from pydantic import BaseModel

from storage import ledger
from storage.maintenance import sha256, writer_lock
from storage.objects import arrow_dataset, as_path, move, parquet_source
from storage.schema import RUN_TABLES, TABLES, arrow_schema
from storage.shards import MANIFEST_DIR, TMP_DIR, write_json_atomic

QUARANTINE_DIR = "_quarantine"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
Kind = Literal["ledger", "missing", "extra", "unreadable", "schema", "checksum", "partition", "picture",
               "overlap"]


class Problem(BaseModel):
    path: str  # relative to the data root
    table: str
    kind: Kind
    detail: str


class CheckReport(BaseModel):
    root: str
    shards: int = 0
    rows: int = 0
    bytes: int = 0
    pictures: int = 0
    checksummed: int = 0  # shards whose sha256 the ledger (or a journal, a run manifest) recorded
    snapshot: int | None = None  # the snapshot judged (after a repair: the rebuilt one)
    pending: int = 0  # shards journaled by a running or killed writer, not committed yet
    retired: int = 0  # shards replaced by compaction, kept while a reader holds an older snapshot
    repaired: bool = False  # the ledger was damaged and has been rebuilt from the shards
    stale_tmp: int = 0  # leftovers of killed writers under _tmp (invisible to readers)
    problems: list[Problem] = []
    quarantined: list[str] = []
    quarantine_dir: str | None = None
    skipped: list[str] = []  # damaged shards left in place (changed or gone since the scan)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems


def recorded_checksums(root: Path) -> dict[str, set[str]]:
    """Relative shard path -> sha256 values the run manifests recorded for it. A manifest that
    cannot be read is skipped (it only makes the check weaker, never wrong)."""
    out: dict[str, set[str]] = {}
    base = root / MANIFEST_DIR
    if not base.is_dir():
        return out
    for path in sorted(base.glob("*.json")):
        try:
            shards = json.loads(path.read_text()).get("shards") or []
            for shard in shards:
                out.setdefault(str(shard["path"]), set()).add(str(shard["sha256"]))
        except (OSError, ValueError, TypeError, KeyError, AttributeError):
            continue
    return out


def _schema_problems(table: str, schema: pa.Schema) -> list[str]:
    model = TABLES[table]
    expected = arrow_schema(model)
    found = []
    for field in schema:
        if expected.get_field_index(field.name) < 0:
            found.append(f"undeclared column {field.name!r}")
        elif not field.type.equals(expected.field(field.name).type):
            found.append(f"column {field.name!r} is {field.type}, expected {expected.field(field.name).type}")
    for name, info in model.model_fields.items():
        if info.is_required() and schema.get_field_index(name) < 0:
            found.append(f"required column {name!r} missing")
    return found


def png_problem(data: bytes | None) -> str | None:
    """Why `data` is not a complete PNG, or None. Checks the signature and every chunk's CRC
    (IDAT included) up to IEND, then lets Pillow parse the header."""
    if data is None:
        return "no bytes"
    if not data.startswith(PNG_SIGNATURE):
        return "not a PNG (bad signature)"
    pos, end, seen_end = len(PNG_SIGNATURE), len(data), False
    while pos + 12 <= end:
        length = int.from_bytes(data[pos:pos + 4], "big")
        kind = data[pos + 4:pos + 8]
        stop = pos + 12 + length
        if stop > end:
            return f"chunk {kind!r} runs past the end ({end} bytes)"
        crc = int.from_bytes(data[stop - 4:stop], "big")
        if zlib.crc32(data[pos + 4:stop - 4]) != crc:
            return f"chunk {kind!r} at byte {pos}: CRC mismatch"
        pos = stop
        if kind == b"IEND":
            seen_end = True
            break
    if not seen_end:
        return "truncated (no IEND chunk)"
    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            picture.verify()
    except Exception as error:  # Pillow raises many kinds on bad input
        return f"Pillow cannot read it: {type(error).__name__}: {error}"[:300]
    return None


def check_shard(root: Path, table: str, path: Path, recorded: dict[str, set[str]] | None = None,
                pictures: bool = True) -> tuple[list[Problem], dict]:
    """Problems of one shard, and what was looked at (rows, bytes, pictures, checksummed)."""
    relative = str(path.relative_to(root))
    seen = {"rows": 0, "bytes": 0, "pictures": 0, "checksummed": 0, "sha256": None}
    problems: list[Problem] = []

    def problem(kind: Kind, detail: str) -> None:
        problems.append(Problem(path=relative, table=table, kind=kind, detail=detail[:500]))

    try:
        seen["bytes"] = path.stat().st_size
        seen["sha256"] = sha256(path)
    except OSError as error:
        problem("unreadable", f"cannot read the file: {error}")
        return problems, seen
    wanted = (recorded or {}).get(relative)
    if wanted:
        seen["checksummed"] = 1
        if seen["sha256"] not in wanted:
            problem("checksum", f"sha256 {seen['sha256'][:16]}... differs from the manifest's "
                                f"{sorted(wanted)[0][:16]}...")
    try:
        handle = pq.ParquetFile(parquet_source(path))
    except Exception as error:  # ArrowInvalid, OSError, and worse on damaged footers
        problem("unreadable", f"Parquet footer: {type(error).__name__}: {error}")
        return problems, seen
    schema_issues = _schema_problems(table, handle.schema_arrow)
    for issue in schema_issues:
        problem("schema", issue)
    folder_task = path.parent.parent.name.removeprefix("task=")
    folder_level = path.parent.name.removeprefix("level=")
    columns = set(handle.schema_arrow.names)
    try:
        for batch in handle.iter_batches(batch_size=256):
            batch.validate(full=True)  # offsets, UTF-8: flipped bits in a page often land here
            seen["rows"] += batch.num_rows
            data = {} if schema_issues else {
                name: batch.column(name).to_pylist() for name in ("task", "level", "images")
                if name in columns and (name != "images" or pictures)}
            if {"task", "level"} <= columns and data and table not in RUN_TABLES:
                off = [(t, lv) for t, lv in zip(data["task"], data["level"])
                       if t != folder_task or str(lv) != folder_level]
                if off:
                    problem("partition", f"{len(off)} rows of {off[0][0]} level {off[0][1]} stored "
                                         f"under task={folder_task}/level={folder_level}")
            if pictures and "images" in data:
                for row, images in enumerate(data["images"]):
                    for k, image in enumerate(images or []):
                        seen["pictures"] += 1
                        why = png_problem((image or {}).get("bytes"))
                        if why:
                            problem("picture", f"row {seen['rows'] - batch.num_rows + row} "
                                               f"picture {k}: {why}")
                            break
    except Exception as error:  # decompression, decoding, validation
        problem("unreadable", f"data pages: {type(error).__name__}: {error}")
    if seen["rows"] != handle.metadata.num_rows and not any(p.kind == "unreadable" for p in problems):
        problem("unreadable", f"{seen['rows']} rows read, footer says {handle.metadata.num_rows}")
    return _first_per_kind(problems), seen


def _first_per_kind(problems: list[Problem]) -> list[Problem]:
    out, kinds = [], set()
    for p in problems:
        if p.kind == "schema" or p.kind not in kinds:  # every schema issue, one of the others
            out.append(p)
            kinds.add(p.kind)
    return out


def check_store(root: Path, *, tables: Iterable[str] | None = None, quarantine: bool = True,
                pictures: bool = True, lock_timeout_s: float = 600.0) -> CheckReport:
    """Scan every shard of the tables (default: all) against the ledger and by content;
    quarantine the damaged and extra ones and commit the store without them (and without the
    missing ones) unless told not to. A damaged ledger is rebuilt first (it is reported as a
    problem either way). The scan takes no lock; repairs take the writer lock."""
    started = time.perf_counter()
    root = as_path(root)
    report = CheckReport(root=str(root))
    tables = list(tables or TABLES)
    for table in tables:
        if table not in TABLES:
            raise ValueError(f"unknown table {table!r} (tables: {', '.join(TABLES)})")
    held_snapshot = None
    try:
        # held for the scan: compaction cannot retire a listed shard under us (no false "missing")
        held_snapshot = ledger.lease(root)
        snapshot = held_snapshot.snapshot
    except ledger.LedgerError as error:
        report.problems.append(Problem(path=ledger.CURRENT, table="-", kind="ledger", detail=str(error)))
        snapshot = None
        if quarantine:
            with writer_lock(root, timeout_s=lock_timeout_s, commit=False):
                snapshot = ledger.commit(root, "check: rebuild the damaged ledger", rebuild=True)
            report.repaired = True
    report.snapshot = snapshot.seq if snapshot else None
    listed = snapshot.by_path() if snapshot else {}
    journaled = {e.path: e for e in ledger.pending(root)}
    held = ledger.retained(root) if snapshot else set()
    manifests = recorded_checksums(root)
    bad: dict[str, tuple[str | None, list[Problem]]] = {}  # relative path -> (sha256 judged, problems)
    missing: list[str] = []
    for table in tables:
        on_disk = {str(p.relative_to(root)): p for p in ledger.folder_files(root, table)}
        if snapshot is not None:
            for relative in snapshot.files(table):
                if relative not in on_disk:
                    missing.append(relative)
                    report.problems.append(Problem(path=relative, table=table, kind="missing",
                                                   detail="listed in the ledger, not on disk: its rows "
                                                          "are missing from every query"))
        for relative, path in sorted(on_disk.items()):
            if snapshot is None:  # a store without a ledger: the run manifests' checksums
                wanted = manifests
            elif relative in listed:
                wanted = {relative: {listed[relative].sha256}}
            elif relative in journaled:
                wanted = {relative: {journaled[relative].sha256}}
                report.pending += 1
            elif relative in held:
                report.retired += 1
                continue
            else:
                problem = Problem(path=relative, table=table, kind="extra",
                                  detail="no snapshot lists this file and no writer journaled it "
                                         "(not written by helix, left by a repair, or on an object store "
                                         "by a writer killed between its PUT and its journal entry); "
                                         "readers ignore it")
                report.problems.append(problem)
                try:
                    bad[relative] = (sha256(path), [problem])
                except OSError:
                    pass
                continue
            problems, seen = check_shard(root, table, path, wanted, pictures)
            report.shards += 1
            for key in ("rows", "bytes", "pictures", "checksummed"):
                setattr(report, key, getattr(report, key) + seen[key])
            if problems:
                report.problems.extend(problems)
                bad[relative] = (seen["sha256"], problems)
    if snapshot is not None:
        # a writer may have committed while we scanned: its new shards are not extra
        try:
            latest = ledger.current(root)
        except ledger.LedgerError:
            latest = None
        newer = set(latest.by_path()) - set(listed) if latest else set()
        for relative in sorted(newer & set(bad)):
            if all(p.kind == "extra" for p in bad[relative][1]):
                del bad[relative]
        report.problems = [p for p in report.problems if not (p.kind == "extra" and p.path in newer)]
    if held_snapshot is not None:
        held_snapshot.release()
    tmp = root / TMP_DIR
    report.stale_tmp = sum(1 for _ in tmp.glob("*.tmp")) if tmp.is_dir() else 0
    if "instances" in tables:
        sound = [root / p for p in (snapshot.files("instances") if snapshot else
                                    [str(f.relative_to(root)) for f in ledger.folder_files(root, "instances")])
                 if p not in bad and (root / p).exists()]
        report.problems.extend(split_overlaps(sound))
    if (bad or missing) and quarantine:
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
        target = root / QUARANTINE_DIR / stamp
        with writer_lock(root, timeout_s=lock_timeout_s, commit=False):
            for relative, (digest, problems) in sorted(bad.items()):
                source = root / relative
                try:
                    unchanged = source.exists() and digest is not None and sha256(source) == digest
                except OSError:
                    unchanged = False
                if not unchanged:  # rewritten (e.g. regenerated) or moved since the scan
                    report.skipped.append(relative)
                    continue
                destination = target / relative
                destination.parent.mkdir(parents=True, exist_ok=True)
                move(source, destination)
                report.quarantined.append(relative)
            if report.quarantined:
                report.quarantine_dir = str(target)
                write_json_atomic(target / "report.json", {
                    "checked_at": stamp, "quarantined": report.quarantined,
                    "problems": [p.model_dump() for p in report.problems
                                 if p.path in set(report.quarantined)]})
            gone = [p for p in missing if not (root / p).exists()] + report.quarantined
            if gone and snapshot is not None:
                report.snapshot = ledger.commit(root, "check: drop damaged and missing shards",
                                                remove=gone).seq
    report.seconds = time.perf_counter() - started
    return report


def split_overlaps(files: list[Path]) -> list[Problem]:
    """One `overlap` problem per pair of splits that share instance ids."""
    if not files:
        return []
    table = arrow_dataset(files).to_table(columns=["id", "split", "task"])
    splits_of: dict[str, set[str]] = {}
    task_of: dict[str, str] = {}
    for id_, split, task in zip(table["id"].to_pylist(), table["split"].to_pylist(), table["task"].to_pylist()):
        splits_of.setdefault(id_, set()).add(split)
        task_of[id_] = task
    pairs: dict[tuple[str, str], list[str]] = {}
    for id_, splits in splits_of.items():
        ordered = sorted(splits)
        for i, a in enumerate(ordered):
            for b in ordered[i + 1:]:
                pairs.setdefault((a, b), []).append(id_)
    out = []
    for (a, b), ids in sorted(pairs.items()):
        ids.sort()
        tasks = sorted({task_of[i] for i in ids})
        out.append(Problem(path="instances", table="instances", kind="overlap",
                           detail=f"{len(ids)} instance ids stored in both {a} and {b} "
                                  f"({', '.join(tasks[:6])}{', ...' if len(tasks) > 6 else ''}; "
                                  f"e.g. {', '.join(ids[:3])})"))
    return out


def list_quarantine(root: Path) -> list[Path]:
    """Quarantined shard files, oldest stamp first."""
    base = as_path(root) / QUARANTINE_DIR
    return sorted(base.glob("*/*/task=*/level=*/*.parquet")) if base.is_dir() else []
