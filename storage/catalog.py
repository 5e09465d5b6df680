"""DuckDB over the shards: one view per table, de-duplicated by id, read-only `helix sql`.

Views are defined over the table folders' Parquet files (never `_tmp`), so a query sees only
complete shards. A table without shards gets an empty view of the right schema, so queries
written against the catalog work on a fresh data root too.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa

from storage.schema import TABLES, arrow_schema
from storage.shards import table_files

# statements `helix sql` runs; everything else (CREATE, INSERT, COPY, ATTACH, SET, ...) is refused
READ_ONLY_STATEMENTS = {"SELECT", "EXPLAIN"}
# which copy of a duplicated id a reader sees: a trace retried after a failure (same id: same
# instance, model, prompt, sample, sampling) shows its best outcome, never an arbitrary one
PREFERENCE = {"traces": "accepted DESC, (error = '') DESC, n_chars DESC",
              # two indices may draw the same puzzle (small level spaces): show the first one
              "instances": "split, global_seed, index"}


class ReadOnlyError(ValueError):
    pass


def _quote(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def connect(root: Path, tables: dict | None = None, release: str | None = None,
            dedupe: bool = True) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB with a view per table over the shards under `root` (or, with
    `release`, over that release's frozen shards). `dedupe=False` shows every stored row (the
    build planner needs each index that drew an already-stored puzzle)."""
    if release is not None:
        from storage.maintenance import release_root

        root = release_root(root, release)
    con = duckdb.connect(":memory:")
    for name, model in (tables or TABLES).items():
        files = table_files(root, name)
        if files:
            source = (f"read_parquet({_quote(root / name)} || '/task=*/level=*/*.parquet', "
                      "union_by_name = true, hive_partitioning = false)")
            try:
                _create_view(con, name, source, dedupe)
            except duckdb.Error:
                # a damaged shard (truncated, bad footer) must not take every table offline:
                # serve the readable ones and name the others (`helix check` quarantines them)
                files = _readable(name, files)
                if files:
                    _create_view(con, name, "read_parquet([" + ", ".join(map(_quote, files))
                                 + "], union_by_name = true, hive_partitioning = false)", dedupe)
        if not files:
            empty = pa.Table.from_pylist([], schema=arrow_schema(model))
            con.register(f"_empty_{name}", empty)
            con.execute(f"CREATE VIEW {name} AS SELECT * FROM _empty_{name}")
    return con


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
            pq.read_metadata(path)
            good.append(path)
        except Exception as error:  # noqa: BLE001 (any damage: skip the file, say which)
            warnings.warn(f"{table}: skipping unreadable shard {path} ({type(error).__name__}); "
                          "run `helix check` to quarantine it", RuntimeWarning, stacklevel=3)
    return good


def check_read_only(sql: str) -> None:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as error:
        raise ReadOnlyError(f"cannot parse SQL: {str(error).splitlines()[0]}") from None
    if not statements:
        raise ReadOnlyError("no SQL statement given")
    for statement in statements:
        kind = statement.type.name
        if kind not in READ_ONLY_STATEMENTS:
            raise ReadOnlyError(f"helix sql is read-only: {kind} statements are refused")


def query(root: Path, sql: str, release: str | None = None) -> tuple[list[str], list[tuple]]:
    """Run read-only SQL against the catalog; (column names, rows)."""
    check_read_only(sql)
    con = connect(root, release=release)
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description or []]
        return columns, cursor.fetchall()
    finally:
        con.close()


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
