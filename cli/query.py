"""Reading the store: `helix sql` (read-only SQL in a sandbox) and `helix show` (one instance)."""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from cli.util import UsageError, existing_root


def cmd_sql(args: argparse.Namespace) -> int:
    from storage.catalog import QueryTimeout, ReadOnlyError, format_table, query
    from storage.shards import ReleaseError

    root = existing_root(args.data_root)
    try:
        columns, rows = query(root, args.query, release=args.release, timeout_s=args.timeout)
    except (ReadOnlyError, ReleaseError, QueryTimeout) as error:
        raise UsageError(str(error)) from None
    except Exception as error:  # a DuckDB error in the user's SQL
        raise UsageError(str(error).splitlines()[0]) from None
    if args.json:
        print(json.dumps([dict(zip(columns, r)) for r in rows], default=str))
    else:
        print(format_table(columns, rows))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from storage.catalog import connect

    root = existing_root(args.data_root)
    con = connect(root)
    rows = con.execute("SELECT id, task, level, split, question, question_text, answer, images "
                       "FROM instances WHERE id LIKE ? || '%' ORDER BY id LIMIT 2",
                       [args.id]).fetchall()
    if not rows:
        raise UsageError(f"no instance with id {args.id!r} under {root}")
    if len(rows) > 1:
        raise UsageError(f"id prefix {args.id!r} is ambiguous")
    id_, task, level, split, question, question_text, answer, images = rows[0]
    # never into the store by default: it may be read-only, and pictures are not data
    out = Path(args.out) if args.out else Path(tempfile.gettempdir()) / "helix-show"
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise UsageError(f"cannot write pictures to {out}: {error.strerror or error} (--out)") from None
    paths = []
    for k, image in enumerate(images):
        path = out / f"{id_}-{k}.png"
        path.write_bytes(image["bytes"])
        paths.append(path)
    print(f"# {id_}  ({task}, level {level}, {split})\n")
    print("## Question (image variant)\n" + question + "\n")
    print("## Question (text-only variant)\n" + question_text + "\n")
    print("## Answer\n" + answer + "\n")
    for path in paths:
        print(f"picture: {path}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    from storage.catalog import views

    # the views as the catalog defines them, so the help never falls behind a new table
    names = ", ".join(views())
    sql = sub.add_parser("sql", help=f"read-only SQL over the store (views: {names})",
                         description=f"One SELECT (or EXPLAIN [ANALYZE] of one) over the store's views "
                         f"({names}). It runs in a sandbox: DuckDB reads the tables through Arrow and "
                         "cannot open, write, attach or install anything; memory is limited "
                         "(HELIX_SQL_MEMORY) and Ctrl-C stops it.")
    sql.add_argument("query")
    sql.add_argument("--timeout", type=float, default=None,
                     help="seconds before the query is stopped (default 300, HELIX_SQL_TIMEOUT_S)")
    sql.add_argument("--data-root")
    sql.add_argument("--json", action="store_true", help="rows as JSON")
    sql.add_argument("--release", help="query a frozen release instead of the latest shards")
    sql.set_defaults(func=cmd_sql)

    show = sub.add_parser("show", help="print an instance's questions and answer, write its picture")
    show.add_argument("id", help="instance id (a unique prefix is enough)")
    show.add_argument("--data-root")
    show.add_argument("--out", help="folder for the pictures (default: <temp dir>/helix-show)")
    show.set_defaults(func=cmd_show)
