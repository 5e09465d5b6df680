"""`helix check`: integrity scan of a data root (storage/check.py); damaged shards are
quarantined unless --no-quarantine. Exit 0 when every shard is sound, 1 when problems were found
(quarantined or not), 2 on bad usage."""

from __future__ import annotations

import json

from cli.util import UsageError, existing_root


def cmd_check(args) -> int:
    from storage.check import check_store
    from storage.maintenance import LockTimeout
    from storage.schema import TABLES
    root = existing_root(args.data_root)
    unknown = [t for t in args.tables or [] if t not in TABLES]
    if unknown:
        raise UsageError(f"unknown table {unknown[0]!r} (tables: {', '.join(TABLES)})")
    try:
        report = check_store(root, tables=args.tables or None, quarantine=not args.no_quarantine,
                             pictures=not args.no_pictures, lock_timeout_s=args.lock_timeout)
    except LockTimeout as error:
        raise UsageError(str(error)) from None
    if args.json:
        print(json.dumps(report.model_dump(), indent=2))
        return 0 if report.ok else 1
    for p in report.problems:
        print(f"{p.kind:<10} {p.path}: {p.detail}")
    where = f"snapshot {report.snapshot}" if report.snapshot is not None else "no ledger"
    print(f"checked {report.shards} shards ({report.rows} rows, {report.bytes / 2**20:.1f} MiB, "
          f"{report.pictures} pictures, {report.checksummed} against recorded sha256, {where}) "
          f"in {report.seconds:.1f} s: "
          + ("all sound" if report.ok else f"{len({p.path for p in report.problems})} with problems"))
    if report.repaired:
        print("the ledger was damaged and has been rebuilt from the shards on disk")
    if report.pending:
        print(f"{report.pending} shards written by a running or killed writer are not committed yet "
              "(the next build, or any writer, commits them)")
    if report.retired:
        print(f"{report.retired} shards replaced by compaction are kept while a reader still uses them")
    if report.quarantined:
        print(f"quarantined {len(report.quarantined)} shards to {report.quarantine_dir}; "
              "the next build regenerates their rows")
    elif report.problems and args.no_quarantine:
        print("left in place (--no-quarantine); rerun without it to move them aside")
    for path in report.skipped:
        print(f"not moved (changed since the scan): {path}")
    if report.stale_tmp:
        print(f"{report.stale_tmp} leftover temporary files under _tmp (from killed writers; "
              "invisible to readers)")
    return 0 if report.ok else 1


def add_commands(sub) -> None:
    check = sub.add_parser("check", help="verify every shard against the ledger's sha256 and by content "
                                         "(missing, extra, changed, schema, pictures); quarantine damaged ones")
    check.add_argument("--data-root",
                       help="shard folder or s3://bucket/prefix (default $HELIX_DATA_ROOT or ./data)")
    check.add_argument("--no-quarantine", action="store_true", help="report only, move nothing")
    check.add_argument("--tables", nargs="+", metavar="TABLE", help="tables to scan (default: all)")
    check.add_argument("--no-pictures", action="store_true", help="skip the PNG check (faster)")
    check.add_argument("--json", action="store_true", help="the full report as JSON")
    check.add_argument("--lock-timeout", type=float, default=600.0,
                       help="seconds to wait for a running writer before quarantining")
    check.set_defaults(func=cmd_check)
