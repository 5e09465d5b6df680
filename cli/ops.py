"""Operations commands: `helix serve`, `helix server`, `helix release ...`, `helix compact`."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

from pydantic import ValidationError

from cli.util import UsageError, first_error


def cmd_serve(args) -> int:
    from flows.deployments import ServeConfig, check_schedule, serve

    if not os.environ.get("PREFECT_API_URL"):
        raise UsageError("PREFECT_API_URL is not set: start a server (`helix server`) and "
                         "export PREFECT_API_URL=http://127.0.0.1:4200/api")
    try:
        config = ServeConfig(cron=args.cron, timezone=args.timezone, schedule=not args.no_schedule,
                             data_root=args.data_root or os.environ.get("HELIX_DATA_ROOT") or "data",
                             per_level=args.per_level, workers=args.workers, ray_address=args.ray_address,
                             tasks=args.tasks or [])
        from pipelines.build import BuildConfig

        BuildConfig(tasks=config.tasks)  # unknown task names fail here, with the name
        check_schedule(config)  # before anything registers
    except ValidationError as error:
        raise UsageError(first_error(error)) from None
    except ValueError as error:
        raise UsageError(f"schedule: {error}") from None
    serve(config)
    return 0


def cmd_server(args) -> int:
    """Start a local Prefect server (the same as `prefect server start`)."""
    prefect = shutil.which("prefect", path=str(Path(sys.executable).parent)) or shutil.which("prefect")
    if prefect is None:
        raise UsageError("prefect is not installed in this environment (extra `orchestrate`)")
    print(f"Prefect server on http://{args.host}:{args.port}; in other shells: "
          f"export PREFECT_API_URL=http://{args.host}:{args.port}/api", flush=True)
    os.execv(prefect, [prefect, "server", "start", "--host", args.host, "--port", str(args.port)])
    return 0  # not reached


def _root(args) -> Path:
    from storage.shards import resolve_root

    return resolve_root(args.data_root)


def cmd_release(args) -> int:
    from storage.maintenance import create_release, list_releases, verify_release, writer_lock
    from storage.shards import ReleaseError

    root = _root(args)
    try:
        if args.action == "create":
            with writer_lock(root, timeout_s=args.lock_timeout):
                manifest = create_release(root, args.name, note=args.note or "")
            counts = ", ".join(f"{n} {t}" for t, n in manifest["distinct"].items() if n)
            print(f"release {args.name}: {len(manifest['shards'])} shards; {counts or 'no rows'} "
                  "(distinct ids, as its readers see them)")
        elif args.action == "list":
            for release in list_releases(root):
                print(f"{release['name']:<24} {release['created_at']}  {release['shards']:>5} shards  "
                      f"{json.dumps(release['rows'])}  {release['note']}")
        elif args.action == "export-hf":
            from pipelines.hf_export import export_hf

            if not args.out:
                raise UsageError("release export-hf NAME DIR: give the output folder")
            try:
                counts = export_hf(root, args.name, Path(args.out))
            except ValueError as error:
                raise UsageError(str(error)) from None
            print(f"release {args.name} -> {args.out}: " + ", ".join(f"{n} {s}" for s, n in counts.items())
                  + f" instances; datasets.load_dataset({str(args.out)!r}) reads it")
        elif args.action == "verify":
            problems = verify_release(root, args.name)
            for problem in problems:
                print(problem)
            print(f"release {args.name}: {'intact' if not problems else f'{len(problems)} problems'}")
            return 1 if problems else 0
    except ReleaseError as error:
        raise UsageError(str(error)) from None
    return 0


def cmd_compact(args) -> int:
    from generators import registry
    from storage.maintenance import compact, purge_trash, refresh_stats, writer_lock

    root = _root(args)
    if not (root / "instances").is_dir():
        raise UsageError(f"no shards under {root}")
    with writer_lock(root, timeout_s=args.lock_timeout):
        done = compact(root, current_versions={t.name: t.version for t in registry.all_tasks()},
                       min_files=args.min_files)
        purged = purge_trash(root, older_than_s=args.grace)
        stats = refresh_stats(root)
    print(f"compacted {done['partitions']} partitions: {done['files_in']} shards -> {done['files_out']}, "
          f"{done['rows_in']} rows -> {done['rows_out']}; purged {purged} old trash folders; "
          f"store: {stats['tables']['instances']['rows']} instances in "
          f"{stats['tables']['instances']['shards']} shards")
    return 0


def add_commands(sub) -> None:
    serve = sub.add_parser("serve", help="register and serve every flow's deployment (PREFECT_API_URL)")
    serve.add_argument("--cron", default="0 2 * * *", help="nightly rebuild schedule (cron)")
    serve.add_argument("--timezone", default="UTC", help="time zone of the schedule")
    serve.add_argument("--no-schedule", action="store_true", help="no nightly schedule")
    serve.add_argument("--per-level", type=int, default=100, help="nightly size per task and level")
    serve.add_argument("--tasks", nargs="+", metavar="TASK", help="nightly task subset (default: all)")
    serve.add_argument("--workers", type=int, default=2)
    serve.add_argument("--ray-address")
    serve.add_argument("--data-root")
    serve.set_defaults(func=cmd_serve)

    server = sub.add_parser("server", help="start a local Prefect server (= prefect server start)")
    server.add_argument("--host", default="127.0.0.1")
    server.add_argument("--port", type=int, default=4200)
    server.set_defaults(func=cmd_server)

    release = sub.add_parser("release", help="immutable dataset releases")
    release.add_argument("action", choices=["create", "list", "verify", "export-hf"])
    release.add_argument("name", nargs="?", default="")
    release.add_argument("out", nargs="?", help="export-hf: the dataset folder to write")
    release.add_argument("--note", help="what this release is for")
    release.add_argument("--data-root")
    release.add_argument("--lock-timeout", type=float, default=600.0)
    release.set_defaults(func=cmd_release)

    comp = sub.add_parser("compact", help="merge small shards, drop superseded rows, refresh stats")
    comp.add_argument("--min-files", type=int, default=4, help="compact partitions with this many small shards")
    comp.add_argument("--grace", type=float, default=3600.0, help="seconds trash is kept before purging")
    comp.add_argument("--data-root")
    comp.add_argument("--lock-timeout", type=float, default=600.0)
    comp.set_defaults(func=cmd_compact)
