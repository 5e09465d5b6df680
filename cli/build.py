"""`helix run` (the build-dataset flow) and `helix generate` (the same build in this process)."""

from __future__ import annotations

import argparse
import sys
import time

from pydantic import ValidationError

from cli.util import UsageError, default_root, first_error, level, writable_root
from flows.prefect_api import prefect_api


def _build_config(args: argparse.Namespace, **overrides):
    from pipelines.build import BuildConfig

    values = {"seed": args.seed, "data_root": args.data_root or default_root(),
              "per_level": args.per_level, "split": getattr(args, "split", "train"),
              "chunk_size": getattr(args, "chunk_size", 16), **overrides}
    if getattr(args, "tasks", None):
        values["tasks"] = args.tasks
    if getattr(args, "levels", None):
        values["levels"] = args.levels
    try:
        return BuildConfig(**values)
    except ValidationError as error:
        raise UsageError(first_error(error)) from None


def cmd_run(args: argparse.Namespace) -> int:
    """The main job: every task x levels x a few instances through the build-dataset flow."""
    config = _build_config(args, workers=args.workers, ray_address=args.ray_address)
    root = writable_root(config.data_root)
    from flows.dataset import build_dataset
    from pipelines.build import BuildIncomplete, FailedIndex
    from pipelines.report import summary
    from storage.catalog import format_table

    started = time.perf_counter()
    try:
        with prefect_api():
            result = build_dataset(config)
    except BuildIncomplete as error:
        print(f"helix: error: {error} (the other instances are stored under {root})", file=sys.stderr)
        return 1
    columns, rows = summary(root, config.split)
    print()
    print(format_table(columns, rows))
    manifest_path = root / "_manifests" / f"{result['run_id']}.json"
    png = result.get("report")  # the flow draws it (served runs too)
    if result["planned"]:
        print(f"\nrun {result['run_id']}: {result['instances']} instances, {result['accepted']} skeleton "
              f"traces accepted by the verifiers, {result['verifier_errors']} verifier errors, "
              f"{result['shards']} shards in {time.perf_counter() - started:.1f} s")
    else:
        print(f"\nrun {result['run_id']}: nothing to build, the store is up to date "
              f"({time.perf_counter() - started:.1f} s)")
    for line in exhausted_lines([FailedIndex(**f) for f in result.get("exhausted", [])]):
        print(line)
    print(f"data:     {root}")
    if manifest_path.exists():
        print(f"manifest: {manifest_path}")
    if png:
        print(f"report:   {png}")
    print("query:    helix sql \"select task, level, count(*) from instances group by all order by all\"")
    return 0 if result["verifier_errors"] == 0 and result["accepted"] == result["instances"] else 1


def cmd_generate(args: argparse.Namespace) -> int:
    """Build in this process (no Prefect, no Ray): for development and small sets."""
    config = _build_config(args)
    root = writable_root(config.data_root)
    from pipelines.build import (BuildIncomplete, build_chunk, plan_chunks, present_rows, redraw_repeats,
                                 summarize, taken_ids)
    from pipelines.progress import Progress
    from storage.maintenance import writer_lock
    from storage.shards import write_manifest

    run_id = config.run_id()
    with writer_lock(root):
        chunks = plan_chunks(config, present_rows(config, root))
        taken = taken_ids(config, root, chunks) if chunks else frozenset()
        progress = Progress(sum(len(c.indices) for c in chunks), "instances")
        results = []
        for chunk in chunks:
            results.append(build_chunk(chunk, config, run_id, root, commit=False, taken=taken))
            progress.advance(len(chunk.indices))
        progress.close()
        results = redraw_repeats(results, chunks, taken, lambda chunk, avoid: build_chunk(
            chunk, config, run_id, root, commit=False, taken=avoid))
    if not results:
        from storage.shards import repair_manifest

        if repair_manifest(root, run_id, config=config.model_dump(), kind="generate"):
            print(f"run {run_id}: its report was missing (the run was killed); rewritten from the store")
        print(f"nothing to do: {root} already holds these instances")
        return 0
    summary = summarize(results)
    failed = [f for r in results for f in r.failed]
    exhausted = [f for r in results for f in r.exhausted]
    write_manifest(root, run_id, config=config.model_dump(),
                   shards=[s for r in results for s in r.shards],
                   extra={"kind": "generate", "summary": summary, "instances": sum(r.instances for r in results),
                          "failed": [f.model_dump() for f in failed],
                          "exhausted": [f.model_dump() for f in exhausted]})
    for s in summary:
        ms = 1000 * sum(s["seconds_per_instance"].values())
        print(f"{s['task']:<34} L{s['level']}  {s['instances']:>5} instances  "
              f"{s['accepted']:>5} accepted  effort {s['mean_effort']:>8.1f}  {ms:7.1f} ms/instance")
    print(f"run {run_id} -> {root}")
    for line in exhausted_lines(exhausted):
        print(line)
    if failed:
        print(f"helix: error: {BuildIncomplete(failed)}", file=sys.stderr)
        return 1
    return 0


def exhausted_lines(exhausted) -> list[str]:
    """What could not be stored because a level has fewer distinct puzzles than asked."""
    cells: dict[tuple[str, int], int] = {}
    for f in exhausted:
        cells[(f.task, f.level)] = cells.get((f.task, f.level), 0) + 1
    return [f"note: {task} level {level}: {n} indices not stored, the level has no further distinct "
            "puzzle (every draw repeats one already stored or drawn)" for (task, level), n in sorted(cells.items())]


def _common(p: argparse.ArgumentParser, per_level: int) -> None:
    p.add_argument("--tasks", nargs="+", metavar="TASK", help="tasks (default: all)")
    p.add_argument("--levels", nargs="+", type=level, metavar="L", help="levels 1..5 (default: all)")
    p.add_argument("--per-level", type=int, default=per_level, help="instances per task and level")
    p.add_argument("--seed", type=int, default=0, help="global seed")
    p.add_argument("--split", choices=["train", "val"], default="train",
                   help="split to build (benchmarks: `helix benchmark build`)")
    p.add_argument("--chunk-size", type=int, default=16, help="instances per chunk (one shard per table)")
    p.add_argument("--data-root",
                   help="shard folder or s3://bucket/prefix (default $HELIX_DATA_ROOT or ./data)")


def add_commands(sub: argparse._SubParsersAction) -> None:
    run = sub.add_parser("run", help="the main job: build a small dataset of every task, then summarise")
    _common(run, per_level=4)
    run.add_argument("--workers", type=int, default=2, help="local Ray CPUs")
    run.add_argument("--ray-address", help="Ray cluster address (default: start Ray locally)")
    run.set_defaults(func=cmd_run)

    gen = sub.add_parser("generate", help="build instances in this process (no Prefect, no Ray)")
    _common(gen, per_level=4)
    gen.set_defaults(func=cmd_generate)
