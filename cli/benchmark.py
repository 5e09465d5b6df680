"""`helix benchmark build|export|import|list`: the benchmark as a flow run and as published files."""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from pydantic import ValidationError

from cli.util import Parser, UsageError, first_error, level, writable_root
from flows.prefect_api import prefect_api


def cmd_build(args) -> int:
    from pipelines.benchmark import BenchmarkConfig

    try:
        config = BenchmarkConfig(
            name=args.name, tasks=args.tasks or [], levels=args.levels or [1, 2, 3, 4, 5],
            per_level=args.per_level, seed=args.seed, data_root=str(writable_root(args.data_root)),
            workers=args.workers, ray_address=args.ray_address, chunk_size=args.chunk_size)
    except ValidationError as error:
        raise UsageError(first_error(error)) from None
    from flows.benchmark import build_benchmark

    started = time.perf_counter()
    with prefect_api():
        result = build_benchmark(config)
    counts = result["counts"]
    check = result["disjointness"]
    print(f"\nbenchmark {result['benchmark']}: {result['instances']} instances of "
          f"{len(counts['task'])} tasks in {time.perf_counter() - started:.1f} s")
    print("per category: " + ", ".join(f"{c} {n}" for c, n in counts["category"].items()))
    print("per level:    " + ", ".join(f"L{lv} {n}" for lv, n in sorted(counts["level"].items())))
    print(f"disjoint from {'/'.join(check['checked_against'])}: {'yes' if check['disjoint'] else 'NO'} "
          f"({check['overlap']} overlaps, {result['replaced']} draws replaced)")
    print(f"solver self-check: {result['skeleton_accepted']}/{result['instances']} accepted")
    print(f"manifest: {result['manifest']}")
    print(f"export:   helix benchmark export {result['benchmark']}.tsv --name {result['benchmark']}")
    return 0 if check["disjoint"] and result["skeleton_accepted"] == result["instances"] else 1


def cmd_export(args) -> int:
    from storage.exchange import ExchangeError, export_benchmark
    from storage.shards import resolve_root

    started = time.perf_counter()
    try:
        n = export_benchmark(resolve_root(args.data_root), args.name, Path(args.out),
                             state_format=args.state_format)
    except ExchangeError as error:
        raise UsageError(str(error)) from None
    print(f"wrote {n} rows to {args.out} in {time.perf_counter() - started:.1f} s")
    return 0


def cmd_import(args) -> int:
    from storage.exchange import ExchangeError, import_benchmark

    root = writable_root(args.data_root)
    name = args.name or Path(args.file).stem
    started = time.perf_counter()
    from storage.maintenance import writer_lock

    try:
        with writer_lock(root):  # no train build can store one of these puzzles meanwhile
            result = import_benchmark(root, Path(args.file), name, replace=args.replace,
                                      state_format=args.state_format)
    except ExchangeError as error:
        raise UsageError(str(error)) from None
    print(f"imported {result.rows} rows ({result.instances} distinct instances, "
          f"{len(result.per_task)} tasks) as benchmark {name!r}"
          f"{' (replacing the old definition)' if result.replaced else ''} in "
          f"{time.perf_counter() - started:.1f} s; {result.instances - result.already_stored} "
          f"instances stored, {result.already_stored} already in the store")
    doubtful = {t: (result.reference_accepted.get(t, 0), n) for t, n in result.per_task.items()
                if result.reference_accepted.get(t, 0) < n}
    if doubtful:
        # every official reference answer is accepted except those the official rules reject
        # (docs/official-differences.md); anything else is a wrong answer in the file
        print("reference answers the helix verifier does not accept (see "
              "docs/official-differences.md for the known ones):")
        for t, (ok, n) in sorted(doubtful.items()):
            print(f"  {t:<34} {ok}/{n} accepted")
    print(f"evaluate: helix eval run --benchmark {name} --base-url URL --model MODEL")
    return 0


def cmd_list(args) -> int:
    from storage.exchange import list_benchmarks, load_benchmark
    from storage.shards import resolve_root

    root = resolve_root(args.data_root)
    names = list_benchmarks(root)
    if args.json:
        print(json.dumps([load_benchmark(root, n).model_dump(exclude={"members"}) for n in names]))
        return 0
    for n in names:
        b = load_benchmark(root, n)
        print(f"{n:<24} {len(b.members):>6} instances  {len(b.counts.get('task', {})):>3} tasks  {b.source}")
    print(f"({len(names)} benchmark{'s' if len(names) != 1 else ''} under {root})")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    bench = sub.add_parser("benchmark", help="build, export and import benchmarks")
    commands = bench.add_subparsers(dest="benchmark_command", required=True, parser_class=Parser)

    build = commands.add_parser("build", help="build-benchmark flow: 6 per task and level, disjoint "
                                              "from the training splits")
    build.add_argument("--name", help="benchmark name (default helix-seed<seed>)")
    build.add_argument("--tasks", nargs="+", metavar="TASK", help="tasks (default: all)")
    build.add_argument("--levels", nargs="+", type=level, metavar="L")
    build.add_argument("--per-level", type=int, default=6, help="instances per task and level")
    build.add_argument("--seed", type=int, default=0, help="global seed of the benchmark namespace")
    build.add_argument("--workers", type=int, default=2, help="local Ray CPUs")
    build.add_argument("--chunk-size", type=int, default=2, help="instances per Ray task")
    build.add_argument("--ray-address")
    build.add_argument("--data-root")
    build.set_defaults(func=cmd_build)

    export = commands.add_parser("export", help="write a benchmark in the published layout "
                                                "(.tsv with base64 pictures, .parquet, .jsonl)")
    export.add_argument("out", help="output file: .tsv, .parquet or .jsonl")
    export.add_argument("--name", help="benchmark (default: the only one stored)")
    export.add_argument("--format", dest="state_format", choices=["official", "helix"], default="official",
                        help="official: states and score_function names as the published "
                             "benchmark writes them (default); helix: states as helix stores them")
    export.add_argument("--data-root")
    export.set_defaults(func=cmd_export)

    imp = commands.add_parser("import", help="store a published-layout file (.tsv, .parquet, .jsonl) "
                                             "as a benchmark helix can evaluate")
    imp.add_argument("file")
    imp.add_argument("--name", help="benchmark name (default: the file name)")
    imp.add_argument("--replace", action="store_true",
                     help="replace the benchmark of that name (refused otherwise)")
    imp.add_argument("--format", dest="state_format", choices=["official", "helix"], default="official",
                     help="how the file's initial_state cells are shaped (default: official)")
    imp.add_argument("--data-root")
    imp.set_defaults(func=cmd_import)

    lst = commands.add_parser("list", help="the stored benchmarks")
    lst.add_argument("--json", action="store_true")
    lst.add_argument("--data-root")
    lst.set_defaults(func=cmd_list)
