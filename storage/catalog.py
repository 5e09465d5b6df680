"""DuckDB over the shards: one view per table, de-duplicated by id, read-only `helix sql`.

Views are defined over the shards of one committed snapshot (storage/ledger.py), held for as
long as the connection lives: a query sees one consistent store, and compaction cannot take a
file away from it. A table without shards gets an empty view of the right schema, so queries
written against the catalog work on a fresh data root too.

`query` (what `helix sql` runs: the user's SQL) uses a sandbox instead of `connect`: the shards are
handed to DuckDB as Arrow datasets, read by Arrow, and DuckDB itself is started with every file
system operation disabled, extensions neither installed nor loaded, its configuration locked, a
memory limit and a time limit. Whatever the SQL, it can read the store's tables and nothing else,
and write nothing anywhere; only one SELECT (or EXPLAIN / EXPLAIN ANALYZE of one) runs.
"""

from __future__ import annotations

import os
import re
import threading
import time
import weakref
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from storage import ledger
from storage.objects import ObjectPath, arrow_dataset, as_path, parquet_source
from storage.schema import TABLES, arrow_schema
from storage.shards import release_root, table_files

# statements `helix sql` runs; everything else (CREATE, INSERT, COPY, ATTACH, SET, ...) is refused
READ_ONLY_STATEMENTS = {"SELECT", "EXPLAIN"}
# which copy of a duplicated id a reader sees: a trace retried after a failure (same id: same
# instance, model, prompt, sample, sampling) shows its best outcome, never an arbitrary one
PREFERENCE = {"traces": "accepted DESC, (error = '') DESC, n_chars DESC",
              # two indices may draw the same puzzle (small level spaces): show the first one
              # a complete row first (older imports stored puzzles without solver facts)
              "instances": "(num_solutions IS NULL), split, global_seed, index"}


class ReadOnlyError(ValueError):
    pass


class QueryTimeout(RuntimeError):
    pass


# the sandbox's limits (environment variables override them for big stores)
QUERY_TIMEOUT_S = float(os.environ.get("HELIX_SQL_TIMEOUT_S", "300"))
QUERY_MEMORY = os.environ.get("HELIX_SQL_MEMORY", "4GB")
_EXPLAIN = re.compile(r"^\s*explain(\s+analy[sz]e)?\b", re.IGNORECASE)


def views() -> list[str]:
    """The views every catalog connection and `helix sql` sandbox defines: one per table."""
    return list(TABLES)


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(root: Path, tables: dict | None = None, release: str | None = None,
            dedupe: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per table over the shards under `root` (or, with
    `release`, over that release's frozen shards). `dedupe=False` shows every stored row (the
    build planner needs each index that drew an already-stored puzzle). An object-store root is
    read by Arrow (as in `sandbox`): DuckDB itself never needs its httpfs extension."""
    root = as_path(root)
    if release is not None:
        root = release_root(root, release)
    held = ledger.lease(root)
    con = duckdb.connect(":memory:")
    weakref.finalize(con, held.release)  # the snapshot stays held while the connection lives
    for name, model in (tables or TABLES).items():
        files = table_files(root, name, held.snapshot)
        if files and isinstance(root, ObjectPath):
            con.register(f"_shards_{name}", arrow_dataset(files, arrow_schema(model), _sizes(root, held)))
            _create_view(con, name, f"_shards_{name}", dedupe)
        elif files:
            source = ("read_parquet([" + ", ".join(map(_quote, files))
                      + "], union_by_name = true, hive_partitioning = false)")
            try:
                _create_view(con, name, source, dedupe)
            except duckdb.Error:
                # a damaged or missing shard must not take every table offline: serve the
                # readable ones and name the others (`helix check` quarantines them)
                files = _readable(name, files)
                if files:
                    _create_view(con, name, "read_parquet([" + ", ".join(map(_quote, files))
                                 + "], union_by_name = true, hive_partitioning = false)", dedupe)
        if not files:
            empty = pa.Table.from_pylist([], schema=arrow_schema(model))
            con.register(f"_empty_{name}", empty)
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
    return con


def _sizes(root, held: ledger.Lease) -> dict[str, int] | None:
    """Object key -> bytes of the held snapshot's shards (what an object store would be asked)."""
    if not isinstance(root, ObjectPath) or held.snapshot is None:
        return None
    return {(root / e.path).fs_path: e.bytes for e in held.snapshot.shards}


def _create_view(con: duckdb.DuckDBPyConnection, name: str, source: str, dedupe: bool = True) -> None:
    if not dedupe:
        con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source}")
        return
    # a rerun or an overlapping rebuild may store an id twice: readers keep one (the best)
    order = f" ORDER BY {PREFERENCE[name]}" if name in PREFERENCE else ""
    con.execute(f"CREATE VIEW {name} AS SELECT * FROM {source} "
                f"QUALIFY row_number() OVER (PARTITION BY id{order}) = 1")


def _readable(table: str, files: list[Path]) -> list[Path]:
    import warnings

    import pyarrow.parquet as pq

    good = []
    for path in files:
        try:
            pq.read_metadata(parquet_source(path))
            good.append(path)
        except Exception as error:  # noqa: BLE001 (any damage: skip the file, say which)
            warnings.warn(f"{table}: skipping unreadable shard {path} ({type(error).__name__}); "
                          "run `helix check` to quarantine it", RuntimeWarning, stacklevel=3)
    return good


def check_read_only(sql: str) -> None:
    """One read query: a SELECT, or EXPLAIN [ANALYZE] of a SELECT (EXPLAIN ANALYZE runs its
    statement, so what it explains must itself be read-only)."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise ReadOnlyError(f"cannot parse SQL: {str(error).splitlines()[0]}") from None
    if not statements:
        raise ReadOnlyError("no SQL statement given")
    if len(statements) > 1:
        raise ReadOnlyError(f"helix sql is read-only and runs one statement at a time, got {len(statements)}")
    statement = statements[0]
    kind = statement.type.name
    if kind == "EXPLAIN":
        inner = _EXPLAIN.sub("", statement.query, count=1)
        try:
            inner_statements = duckdb.extract_statements(inner)
        except duckdb.Error:
            inner_statements = []
        kinds = [s.type.name for s in inner_statements]
        if kinds != ["SELECT"]:
            raise ReadOnlyError("helix sql is read-only: EXPLAIN is allowed only of a SELECT, not of "
                                f"{', '.join(kinds) or 'this statement'}")
    elif kind not in READ_ONLY_STATEMENTS:
        raise ReadOnlyError(f"helix sql is read-only: {kind} statements are refused")


def sandbox(root: Path, release: str | None = None, memory: str | None = None,
            checked: bool = False) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that cannot touch any file: the store's tables are Arrow datasets
    registered with it (Arrow reads the shards), external access and extensions are off and the
    configuration is locked, so no statement or function can read, write, attach or install
    anything, or raise its own limits. `checked`: shards whose footer cannot be read are left
    out, with a warning naming each (`helix check` quarantines them)."""
    root = as_path(root)
    if release is not None:
        root = release_root(root, release)
    held = ledger.lease(root)
    con = duckdb.connect(":memory:", config={
        "enable_external_access": False, "autoinstall_known_extensions": False,
        "autoload_known_extensions": False, "allow_community_extensions": False,
        "memory_limit": memory or QUERY_MEMORY, "lock_configuration": True})
    weakref.finalize(con, held.release)
    for name in views():
        schema = arrow_schema(TABLES[name])
        files = table_files(root, name, held.snapshot)
        files = _readable(name, files) if checked else files
        try:
            data = arrow_dataset(files, schema, _sizes(root, held)) if files else None
        except (OSError, pa.ArrowInvalid):  # a listed shard gone or unreadable: serve the others
            files = _readable(name, files)
            data = arrow_dataset(files, schema, _sizes(root, held)) if files else None
        if data is None:
            data = pa.Table.from_pylist([], schema=schema)
        con.register(f"_shards_{name}", data)
        _create_view(con, name, f"_shards_{name}")
    return con


def query(root: Path, sql: str, release: str | None = None,
          timeout_s: float | None = None) -> tuple[list[str], list[tuple]]:
    """Run one read-only statement against the store in the sandbox; (column names, rows).
    Interrupted after `timeout_s` (QueryTimeout) or by Ctrl-C (KeyboardInterrupt).

    The statement runs in a worker thread while this (main) thread waits in short slices: the
    main thread receives the signal whatever moment it comes and interrupts the connection
    itself, so stopping never depends on DuckDB noticing the signal in its own C++ loop."""
    check_read_only(sql)
    limit = QUERY_TIMEOUT_S if timeout_s is None else timeout_s
    con = sandbox(root, release=release)
    outcome: dict[str, Any] = {}
    # waited on instead of Thread.join: a join interrupted by Ctrl-C leaves the thread looking
    # finished to later joins (CPython), and the process would exit under a running query
    done = threading.Event()

    def run() -> None:
        nonlocal con
        try:
            try:
                cursor = con.execute(sql)
            except duckdb.InvalidInputException as error:
                if "reading the stream registered" not in str(error):
                    raise
                # a damaged shard must not take the table offline: serve the readable ones
                con.close()
                con = sandbox(root, release=release, checked=True)
                cursor = con.execute(sql)
            outcome["result"] = ([d[0] for d in cursor.description or []], cursor.fetchall())
        except BaseException as error:  # handed to the main thread as it is
            outcome["error"] = error
        finally:
            con.close()  # by the thread that ran it: DuckDB refuses a close from another one
            done.set()

    worker = threading.Thread(target=run, name="helix-sql", daemon=True)
    deadline = time.monotonic() + limit
    timed_out = False
    worker.start()
    while not done.is_set():
        try:
            done.wait(0.1)
        except KeyboardInterrupt:
            con.interrupt()
            done.wait(10)
            raise KeyboardInterrupt from None
        if time.monotonic() > deadline and not timed_out:
            timed_out = True
            con.interrupt()
    error = outcome.get("error")
    if error is not None:
        if isinstance(error, (duckdb.InterruptException, RuntimeError)) and timed_out:
            raise QueryTimeout(f"the query ran longer than {limit:g} s and was stopped "
                               "(--timeout or HELIX_SQL_TIMEOUT_S raises the limit)") from None
        if isinstance(error, (duckdb.InterruptException, RuntimeError)) and \
                "interrupted" in str(error).lower():
            raise KeyboardInterrupt from None
        raise error
    return outcome["result"]


def format_table(columns: list[str], rows: list[tuple], max_width: int = 60) -> str:
    """A plain text table for the terminal (bytes shown by size, long text cut)."""
    def cell(value) -> str:
        if isinstance(value, (bytes, bytearray)):
            return f"<{len(value)} bytes>"
        text = "NULL" if value is None else str(value)
        text = text.replace("\n", "\\n")
        return text if len(text) <= max_width else text[: max_width - 1] + "…"

    body = [[cell(v) for v in row] for row in rows]
    widths = [max([len(c)] + [len(r[i]) for r in body]) for i, c in enumerate(columns)]
    line = "  ".join(c.ljust(w) for c, w in zip(columns, widths))
    rule = "  ".join("-" * w for w in widths)
    out = [line, rule] + ["  ".join(v.ljust(w) for v, w in zip(r, widths)) for r in body]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)
