"""The store's ledger: which shards make up the store, committed as numbered snapshots.

Every shard helix writes (builds, compaction, imports, SERG, evaluation, training) goes through
`storage.shards.write_shard`, which records an *intent* in `_store/journal/` before renaming the
shard into place: path, row count, size and sha256 of the bytes written, locked while the rename
is pending. A commit folds the finished intents into a new snapshot (`_store/snapshots/<seq>.json`:
every live shard with its sha256), points `_store/CURRENT` at it (one atomic rename; CURRENT also
holds the snapshot's own sha256, so a damaged snapshot is noticed, not believed), and deletes
the intents it folded.

- Readers never glob the table folders: they read one snapshot and use its file list, so a query
  sees one consistent store, never a half-compacted partition, and never a foreign file.
- Readers hold a shared lock on the snapshot file they use (a *lease*, released when they are
  done or their process dies). A commit retires the shards a newer snapshot no longer lists only
  when no lease holds an older snapshot that lists them: compaction never pulls a file from
  under a reader. Retired files go to `_trash/` (purged after a grace period), never deleted.
- A killed writer's intents are folded by the next commit (anyone's: builds commit when they take
  the writer lock), so a resumed or no-op run sees and records every shard that was completed;
  an intent whose shard never reached its place is dropped. Bulk writers journal many shards and
  commit once (a build: when it releases the writer lock, and after each batch).
- A store written before the ledger existed has no CURRENT: the first commit adopts the shards in
  its folders (readable footer only; `helix check` judges the rest).

Commits are serialised by `_store/commit.lock`; they are short (no data is read), unlike the
writer lock, which serialises whole builds. flock is per host: a store shared by several machines
needs a file system with working flock (NFSv4, Lustre), as the writer lock already does.

On an object store (`s3://`, storage/objects.py) there is no rename and no flock, and the same
guarantees come from conditional writes: a shard is one PUT to its final key (visible to nobody
until a snapshot lists it), its intent is written after it, a commit *creates* the next snapshot
object only if no other commit created that number first (If-None-Match; the loser re-reads and
tries again), and the current snapshot is the highest number listed (no pointer to go stale). A
snapshot stays readable, and its shards in place, for HELIX_OBJECT_GRACE_S (3600 s) after a
newer one replaced it: the grace period is what a lease is on a folder, and replaces `_trash/`.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import time
import uuid
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator

from pydantic import BaseModel, ValidationError

from storage.errors import StoreError
from storage.objects import ObjectPath, as_path, parquet_source

LEDGER_DIR = "_store"
SNAPSHOT_DIR = "_store/snapshots"
JOURNAL_DIR = "_store/journal"
CURRENT = "_store/CURRENT"
COMMIT_LOCK = "_store/commit.lock"
TRASH_DIR = "_trash"
TABLE_GLOB = "task=*/level=*/*.parquet"
OBJECT_GRACE_S = float(os.environ.get("HELIX_OBJECT_GRACE_S", "3600"))


class LedgerError(StoreError, ValueError):
    """The ledger cannot be read (damaged pointer or snapshot): one line naming the file."""


class Entry(BaseModel):
    table: str
    path: str  # relative to the data root
    rows: int
    bytes: int
    sha256: str


class Snapshot(BaseModel):
    seq: int
    parent: int | None = None
    committed_at: str
    operation: str
    shards: list[Entry] = []

    def files(self, table: str) -> list[str]:
        return sorted(s.path for s in self.shards if s.table == table)

    def by_path(self) -> dict[str, Entry]:
        return {s.path: s for s in self.shards}


# ---------------------------------------------------------------- reading


def _snapshot_path(root: Path, seq: int) -> Path:
    return root / SNAPSHOT_DIR / f"{seq:010d}.json"


def _pointer(root: Path) -> tuple[int, str] | None:
    """(seq, sha256) from CURRENT; None when the store has no ledger yet."""
    path = Path(root) / CURRENT
    try:
        text = path.read_text()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as error:
        raise LedgerError(f"store ledger pointer {path} cannot be read ({error}); "
                          "`helix check` rebuilds it from the shards") from None
    parts = text.split()
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[1]) != 64:
        raise LedgerError(f"store ledger pointer {path} is damaged ({text[:40]!r}); "
                          "`helix check` rebuilds it from the shards")
    return int(parts[0]), parts[1]


def pointer(root: Path) -> tuple[int, str] | None:
    """(seq, sha256 of its bytes) of the committed snapshot: what a run records as the state of
    the store it read. None when the store has no ledger yet."""
    root = as_path(root)
    if isinstance(root, ObjectPath):
        seqs = _object_seqs(root)
        for seq, _ in reversed(seqs):
            try:
                return seq, hashlib.sha256(_snapshot_path(root, seq).read_bytes()).hexdigest()
            except FileNotFoundError:
                continue
        return None
    return _pointer(root)


def _parse(path: Path, data: bytes, digest: str | None) -> Snapshot:
    if digest is not None and hashlib.sha256(data).hexdigest() != digest:
        raise LedgerError(f"store snapshot {path} does not match its checksum in {CURRENT} "
                          "(damaged); `helix check` rebuilds the ledger from the shards")
    try:
        return Snapshot.model_validate_json(data)
    except ValidationError as error:
        raise LedgerError(f"store snapshot {path} is damaged ({error.errors()[0]['msg']}); "
                          "`helix check` rebuilds the ledger from the shards") from None


def current(root: Path) -> Snapshot | None:
    """The committed snapshot (no lease: for writers under the lock and for reports)."""
    root = as_path(root)
    if isinstance(root, ObjectPath):
        return _object_current(root)
    pointer = _pointer(root)
    if pointer is None:
        return None
    path = _snapshot_path(root, pointer[0])
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LedgerError(f"store snapshot {path} named by {root / CURRENT} is missing; "
                          "`helix check` rebuilds the ledger from the shards") from None
    return _parse(path, data, pointer[1])


class Lease:
    """A shared lock on one snapshot file: while held, no commit retires that snapshot's shards."""

    def __init__(self, snapshot: Snapshot | None, handle=None):
        self.snapshot, self._handle = snapshot, handle

    def release(self) -> None:
        if self._handle is not None:
            try:
                self._handle.close()  # closing drops the flock
            finally:
                self._handle = None

    def __enter__(self) -> "Lease":
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def __del__(self) -> None:
        self.release()


def lease(root: Path, attempts: int = 50) -> Lease:
    """The current snapshot, held. A commit may retire it between reading CURRENT and locking
    the file: then the file is gone or unlinked, and we read CURRENT again."""
    root = as_path(root)
    if isinstance(root, ObjectPath):
        return Lease(_object_current(root))  # held by the grace period, not by a lock
    for _ in range(attempts):
        pointer = _pointer(root)
        if pointer is None:
            return Lease(None)
        path = _snapshot_path(root, pointer[0])
        try:
            handle = open(path, "rb")
        except FileNotFoundError:
            continue
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            if os.fstat(handle.fileno()).st_nlink == 0:  # retired while we waited for the lock
                handle.close()
                continue
            snapshot = _parse(path, handle.read(), pointer[1])
        except BaseException:
            handle.close()
            raise
        return Lease(snapshot, handle)
    raise LedgerError(f"could not hold a snapshot of {root} (commits too frequent?)")


def table_paths(root: Path, table: str, snapshot: Snapshot | None) -> list[Path]:
    """The table's shard files: the snapshot's, or (a store without a ledger) the folder's."""
    if snapshot is not None:
        return [root / p for p in snapshot.files(table)]
    if isinstance(root, ObjectPath):
        # an object store is written only through its ledger (no pre-ledger stores to adopt):
        # without a snapshot, only a release's manifest says which objects are its shards
        return _release_paths(root, table)
    return folder_files(root, table)


def _release_paths(root: ObjectPath, table: str) -> list[ObjectPath]:
    import json

    try:
        manifest = json.loads((root / "release.json").read_bytes())
    except FileNotFoundError:
        return []
    except ValueError as error:
        raise LedgerError(f"release file {root / 'release.json'} is damaged ({error})") from None
    try:
        return sorted(root / s["path"] for s in manifest.get("shards", [])
                      if isinstance(s, dict) and s.get("table") == table and isinstance(s.get("path"), str))
    except ValueError as error:  # a path with '..'
        raise LedgerError(f"release file {root / 'release.json'} is damaged ({error})") from None


def folder_files(root: Path, table: str) -> list[Path]:
    """What lies in a table's folders, listed or not (for check, adoption and releases)."""
    base = root / table
    return sorted(base.glob(TABLE_GLOB)) if base.is_dir() else []


# ---------------------------------------------------------------- journal (writers)


class Intent:
    """One shard on its way into the store: `<root>/_store/journal/<id>.json`, locked while the
    write is in progress. A commit folds an intent only once its lock is free (the write ended,
    or its writer died), so a shard is never judged half-placed; then the intent is deleted.
    (Object stores: see `record`.)"""

    def __init__(self, path: Path, handle):
        self.path, self._handle = path, handle

    def done(self) -> None:
        self._handle.close()  # drops the lock: the next commit folds it

    def abandon(self) -> None:
        self.path.unlink(missing_ok=True)
        self._handle.close()


def intend(root: Path, entry: Entry) -> Intent:
    """Record a shard before it is renamed into place (durable: fsync). A writer killed after
    this and before the rename leaves an intent without a file, which a commit drops."""
    if isinstance(root, ObjectPath):
        raise TypeError("intend() is for folders; object stores use record()")
    root = Path(root)
    if not (root / CURRENT).exists():
        # the first snapshot (adopting a pre-ledger store's shards) comes before any intent is
        # folded: `fold=False`, so a bulk writer's earlier shards stay uncommitted
        commit(root, "start", fold=False)
    folder = root / JOURNAL_DIR
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"
    tmp, path = folder / f".{name}.tmp", folder / f"{name}.json"
    handle = open(tmp, "xb")
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)  # "in progress"; the OS drops it if we die
        handle.write(entry.model_dump_json().encode())
        handle.flush()
        os.fsync(handle.fileno())
        os.replace(tmp, path)  # commits see an intent only complete and locked (the lock moves with it)
    except BaseException:
        tmp.unlink(missing_ok=True)
        path.unlink(missing_ok=True)
        handle.close()
        raise
    return Intent(path, handle)


def record(root: ObjectPath, entry: Entry) -> None:
    """An object store's intent: written once the shard's object is complete (a PUT is whole or
    absent, so there is no in-progress state to lock). A writer killed before this leaves an
    object no snapshot lists: invisible, and reported by `helix check`."""
    name = f"{time.time_ns():020d}-{uuid.uuid4().hex[:12]}"
    (root / JOURNAL_DIR / f"{name}.json").write_bytes(entry.model_dump_json().encode())


def _in_progress(path: Path) -> bool:
    if isinstance(path, ObjectPath):
        return False
    try:
        with open(path, "rb") as probe:
            try:
                fcntl.flock(probe.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False
    except FileNotFoundError:
        return False


def _read_intent(path: Path) -> Entry | None:
    try:
        return Entry.model_validate_json(path.read_bytes())
    except (OSError, ValidationError):
        return None  # torn by a kill before its fsync: its shard was never renamed into place


def pending(root: Path) -> list[Entry]:
    """Shards journaled and not committed yet (writes in progress, or of killed writers)."""
    folder = root / JOURNAL_DIR
    out = [_read_intent(p) for p in sorted(folder.glob("*.json"))] if folder.is_dir() else []
    return [e for e in out if e is not None]


# ---------------------------------------------------------------- commits


@contextmanager
def _commit_lock(root: Path, timeout_s: float = 120.0) -> Iterator[None]:
    path = root / COMMIT_LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a+") as handle:
        deadline = time.monotonic() + timeout_s
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise LedgerError(f"another process held {path} for over {timeout_s:.0f} s "
                                      "(a commit takes well under a second)") from None
                time.sleep(0.01)
        yield


def _adopt(root: Path, tables: Iterable[str]) -> list[Entry]:
    """Shards of a store that predates the ledger: every file in the table folders whose
    footer can be read (the rest stay unlisted, and `helix check` reports them)."""
    import pyarrow.parquet as pq

    out = []
    for table in tables:
        for path in folder_files(root, table):
            try:
                rows = pq.ParquetFile(parquet_source(path)).metadata.num_rows
                out.append(Entry(table=table, path=str(path.relative_to(root)), rows=rows,
                                 bytes=path.stat().st_size, sha256=file_sha256(path)))
            except Exception:  # noqa: BLE001 (any damage: leave it for `helix check`)
                continue
    return out


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_snapshot(root: Path, snapshot: Snapshot) -> None:
    data = snapshot.model_dump_json(indent=1).encode()
    path = _snapshot_path(root, snapshot.seq)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    pointer = root / CURRENT
    tmp = pointer.with_name(f".CURRENT.{uuid.uuid4().hex}.tmp")
    with open(tmp, "w") as handle:
        handle.write(f"{snapshot.seq} {hashlib.sha256(data).hexdigest()}\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, pointer)
    fd = os.open(pointer.parent, os.O_RDONLY)
    try:
        os.fsync(fd)  # the rename itself survives a power cut
    finally:
        os.close(fd)


def commit(root: Path, operation: str, *, remove: Iterable[str] = (), add: Iterable[Entry] = (),
           rebuild: bool = False, fold: bool = True) -> Snapshot:
    """Fold the journals, drop `remove` and list `add` (paths relative to the root), write the
    next snapshot and retire what no snapshot still held by a reader lists. `rebuild`: ignore a
    damaged ledger and adopt the folders' shards (what `helix check` does to repair it).
    `fold=False` leaves the intents for a later commit. Returns the snapshot now current (the
    old one when nothing changed; an unwritten empty one, seq 0, in a folder that never held a
    shard)."""
    from storage.schema import TABLES

    root = as_path(root)
    if isinstance(root, ObjectPath):
        return _object_commit(root, operation, remove=list(remove), add=list(add),
                              rebuild=rebuild, fold=fold)
    journal = root / JOURNAL_DIR
    if not (rebuild or add or (root / CURRENT).exists() or (journal.is_dir() and any(journal.glob("*.json")))
            or any(folder_files(root, t) for t in TABLES)):
        # nothing was ever stored here: no ledger yet (a refused import leaves the folder empty)
        return Snapshot(seq=0, committed_at=datetime.now(timezone.utc).isoformat(), operation=operation)
    with _commit_lock(root):
        base = None if rebuild else current(root)
        shards: dict[str, Entry]
        intents = sorted(journal.glob("*.json")) if journal.is_dir() else []  # oldest first
        if base is None:
            # only a store that predates the ledger (no journal yet) or a repair adopts the
            # folders' files: in a store with a journal, an unlisted file is not helix's
            shards = {e.path: e for e in _adopt(root, TABLES)} if rebuild or not intents else {}
        else:
            shards = base.by_path()
        # an intent still locked: its writer is still renaming it into place (the next commit)
        folded = [path for path in (intents if fold else []) if not _in_progress(path)]
        changed = _apply(root, shards, [_read_intent(p) for p in folded], remove, add) or base is None
        if not changed:
            _retire(root, base)  # readers may have let go of older snapshots since the last commit
            return base
        snapshot = Snapshot(seq=(base.seq + 1) if base else _next_seq(root),
                            parent=base.seq if base else None,
                            committed_at=datetime.now(timezone.utc).isoformat(), operation=operation,
                            shards=sorted(shards.values(), key=lambda e: e.path))
        _write_snapshot(root, snapshot)
        for path in folded:  # in the snapshot now (a crash before this re-folds them: harmless)
            path.unlink(missing_ok=True)
        for path in journal.glob(".*.tmp") if journal.is_dir() else []:
            if not _in_progress(path):  # an intent whose writer died while writing it
                path.unlink(missing_ok=True)
        _retire(root, snapshot)
        return snapshot


def _apply(root: Path, shards: dict[str, Entry], intents: list[Entry | None],
           remove: Iterable[str], add: Iterable[Entry]) -> bool:
    """Into `shards`: the intents whose shard reached its place whole (a torn intent, None, or a
    writer killed before its rename or PUT has none), minus `remove`, plus `add`. True when
    that changes the store (a folded intent always does: it is deleted after the commit)."""
    changed = bool(intents)
    for entry in intents:
        if entry is None:
            continue
        try:
            placed = (root / entry.path).stat().st_size == entry.bytes
        except FileNotFoundError:
            placed = False
        if placed:
            shards[entry.path] = entry
    for path in remove:
        if shards.pop(str(path), None) is not None:
            changed = True
    for entry in add:
        shards[entry.path] = entry
        changed = True
    return changed


def _next_seq(root: Path) -> int:
    seqs = [int(p.stem) for p in (root / SNAPSHOT_DIR).glob("*.json") if p.stem.isdigit()] \
        if (root / SNAPSHOT_DIR).is_dir() else []
    return max(seqs, default=0) + 1


def _retire(root: Path, now: Snapshot) -> None:
    """Delete older snapshots no reader holds, and move the shards only they listed to trash.
    A held snapshot keeps its shards in place, and is looked at again by the next commit."""
    keep = {e.path for e in now.shards} | {e.path for e in pending(root)}  # a rewrite on its way in
    free: list[tuple[Path, object, set[str]]] = []
    for path in sorted((root / SNAPSHOT_DIR).glob("*.json")):
        if not path.stem.isdigit() or int(path.stem) >= now.seq:
            continue
        handle = open(path, "rb")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:  # a reader holds it: its shards stay
            try:
                keep |= {e.path for e in Snapshot.model_validate_json(handle.read()).shards}
            except ValidationError:
                pass
            handle.close()
            continue
        try:
            listed = {e.path for e in Snapshot.model_validate_json(handle.read()).shards}
        except ValidationError:
            listed = set()
        free.append((path, handle, listed))
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
    for path, handle, listed in free:
        for relative in sorted(listed - keep):
            source = root / relative
            if source.exists():
                target = root / TRASH_DIR / stamp / relative
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(source, target)
        path.unlink(missing_ok=True)  # while still locked: a late reader sees st_nlink == 0
        handle.close()


def retained(root: Path) -> set[str]:
    """Paths any snapshot file still on disk lists (the current one and those readers hold)."""
    out: set[str] = set()
    folder = root / SNAPSHOT_DIR
    for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            out |= {e.path for e in Snapshot.model_validate_json(path.read_bytes()).shards}
        except (OSError, ValidationError):
            continue
    return out


# ---------------------------------------------------------------- object stores


def _object_seqs(root: ObjectPath) -> list[tuple[int, float]]:
    """(seq, committed at: the object's mtime) of every snapshot object, oldest first."""
    import pyarrow.fs as pafs

    folder = root / SNAPSHOT_DIR
    try:
        infos = folder.fs.get_file_info(pafs.FileSelector(folder.fs_path, allow_not_found=True))
    except OSError as error:
        from storage.objects import _store_error
        raise _store_error(folder, error) from None
    out = []
    for info in infos:
        stem = info.base_name.removesuffix(".json")
        if info.base_name.endswith(".json") and stem.isdigit():
            out.append((int(stem), info.mtime.timestamp() if info.mtime else 0.0))
    return sorted(out)


def _object_read(root: ObjectPath, seq: int) -> Snapshot | None:
    path = _snapshot_path(root, seq)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None  # retired between the listing and now
    return _parse(path, data, None)  # one PUT: whole or absent, never torn


def _object_current(root: ObjectPath) -> Snapshot | None:
    for _ in range(50):
        seqs = _object_seqs(root)
        if not seqs:
            return None
        snapshot = _object_read(root, seqs[-1][0])
        if snapshot is not None:
            return snapshot
    raise LedgerError(f"could not read a snapshot of {root} (commits too frequent?)")


def _object_commit(root: ObjectPath, operation: str, *, remove: list[str], add: list[Entry],
                   rebuild: bool, fold: bool) -> Snapshot:
    """`commit` on an object store: optimistic. Build seq N+1 from snapshot N and create it only
    if absent; when another commit created N+1 first, start again from it."""
    from storage.schema import TABLES

    journal = root / JOURNAL_DIR
    for _ in range(200):
        seqs = _object_seqs(root)
        base = None if rebuild or not seqs else _object_read(root, seqs[-1][0])
        if seqs and base is None and not rebuild:
            continue  # retired under us: list again
        intents = sorted(journal.glob("*.json")) if fold else []
        if base is None:
            if not (rebuild or add or seqs or intents):
                # nothing committed or journaled yet; objects lying in the table prefixes are
                # not data (an object store is only ever written through its ledger: there is
                # no pre-ledger store to adopt, only a killed writer's unjournaled objects)
                return Snapshot(seq=0, committed_at=datetime.now(timezone.utc).isoformat(),
                                operation=operation)
            shards = {e.path: e for e in _adopt(root, TABLES)} if rebuild else {}
        else:
            shards = base.by_path()
        changed = _apply(root, shards, [_read_intent(p) for p in intents], remove, add) or base is None
        if not changed:
            _object_retire(root, base, seqs)
            return base
        seq = seqs[-1][0] + 1 if seqs else 1
        snapshot = Snapshot(seq=seq, parent=base.seq if base else None,
                            committed_at=datetime.now(timezone.utc).isoformat(), operation=operation,
                            shards=sorted(shards.values(), key=lambda e: e.path))
        if _snapshot_path(root, seq).create(snapshot.model_dump_json(indent=1).encode()) is None:
            continue  # another commit took this number: fold again on top of it
        for path in intents:  # in the snapshot now (a later commit would fold them harmlessly)
            path.unlink(missing_ok=True)
        _object_retire(root, snapshot, seqs + [(seq, time.time())])
        return snapshot
    raise LedgerError(f"could not commit to {root}: 200 tries lost to other commits")


def _object_retire(root: ObjectPath, now: Snapshot, seqs: list[tuple[int, float]]) -> None:
    """Delete snapshots replaced more than the grace period ago, and the shards only they list
    (no reader can still be using them: a reader takes the newest snapshot and finishes within
    the grace period)."""
    deadline = time.time() - OBJECT_GRACE_S
    older = [(seq, at) for seq, at in seqs if seq < now.seq]
    successor = {seq: at for (seq, _), (_, at) in zip(seqs, seqs[1:])}
    expired = [seq for seq, _ in older if successor.get(seq, time.time()) < deadline]
    if not expired:
        return
    keep = {e.path for e in now.shards} | {e.path for e in pending(root)}
    for seq, _ in older:
        if seq not in expired:
            keep |= _object_listed(root, seq)
    for seq in expired:
        for relative in sorted(_object_listed(root, seq) - keep):
            path = root / relative
            try:
                # written again since it was dropped (a rerun writes the same names): its intent
                # is on the way. Same second (object times have 1 s resolution): kept, too; an
                # object kept by mistake is only reported by `helix check`, one deleted is lost
                if path.stat().st_mtime >= successor[seq]:
                    continue
            except FileNotFoundError:
                continue
            path.unlink(missing_ok=True)
        _snapshot_path(root, seq).unlink(missing_ok=True)
        _LISTED.pop((str(root), seq), None)


# snapshots never change once created: a process that commits often reads each one once
_LISTED: dict[tuple[str, int], frozenset[str]] = {}


def _object_listed(root: ObjectPath, seq: int) -> frozenset[str]:
    key = (str(root), seq)
    if key not in _LISTED:
        try:
            snapshot = _object_read(root, seq)
        except LedgerError:  # a damaged older snapshot: nothing to protect, deleted when expired
            return frozenset()
        if snapshot is None:
            return frozenset()
        if len(_LISTED) > 512:
            _LISTED.pop(next(iter(_LISTED)))
        _LISTED[key] = frozenset(e.path for e in snapshot.shards)
    return _LISTED[key]
