"""`helix`: the command line. Bad input gets one line on stderr and exit code 2, before anything
is written; heavy imports (Prefect, Ray) happen only in the commands that need them.

Each command group is a module of this package with `add_commands(subparsers)`; COMMAND_GROUPS
lists them, in the order `helix --help` shows their commands."""

from __future__ import annotations

import os
import sys
from types import ModuleType
from typing import Sequence

from cli import benchmark, build, check, evaluate, export, ops, query, tasks, traces, train
from cli.util import Parser, UsageError

COMMAND_GROUPS: tuple[ModuleType, ...] = (
    build,      # run, generate
    query,      # sql, show
    tasks,      # tasks, readme
    traces,     # serg, sft-export
    benchmark,  # benchmark build|export|import|list
    evaluate,   # eval run|report|score
    train,      # train
    ops,        # serve, server, release, compact
    check,      # check
    export,     # export rl
)


def parser() -> Parser:
    p = Parser(prog="helix", description="MM-HELIX tasks, traces and training as a platform")
    sub = p.add_subparsers(dest="command", required=True, parser_class=Parser)
    for group in COMMAND_GROUPS:
        group.add_commands(sub)
    return p


def _operator_error(error: BaseException | None, depth: int = 0) -> str | None:
    """The one line for a problem the operator has to fix (not a bug of helix), else None.
    Looks through wrappers (a Ray task's error, a chained exception)."""
    import errno

    if error is None or depth > 8:
        return None
    errors = sys.modules.get("storage.errors")
    if errors is not None and isinstance(error, errors.OperatorError):
        return str(error)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES):
        where = f" ({error.filename})" if error.filename else ""
        return f"{error.strerror or error}{where}: free space or fix permissions, then rerun " \
               "(completed shards are kept; nothing half-written is visible)"
    for cause in (getattr(error, "cause", None), error.__cause__, error.__context__):
        if isinstance(cause, BaseException) and cause is not error:
            line = _operator_error(cause, depth + 1)
            if line:
                return line
    return None


def main(argv: Sequence[str] | None = None) -> int:
    # helix sends nothing home: no Prefect analytics, no Ray usage stats (and no network noise)
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    try:
        args = parser().parse_args(argv)
        if getattr(args, "per_level", 1) is not None and getattr(args, "per_level", 1) < 1:
            raise UsageError(f"--per-level must be at least 1, got {args.per_level}")
        if getattr(args, "workers", 1) < 1:
            raise UsageError(f"--workers must be at least 1, got {args.workers}")
        return args.func(args)
    except UsageError as error:
        print(f"helix: error: {error}", file=sys.stderr)
        return 2
    except Exception as error:  # noqa: BLE001 (store problems and full disks: one line, not a traceback)
        line = _operator_error(error)
        if line is None:
            raise
        print(f"helix: error: {line}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("helix: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
