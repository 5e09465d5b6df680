"""Prefect flow `build-benchmark`: the plain benchmark build (pipelines/benchmark.py) as a flow.

It mirrors `build-dataset`: one Prefect task per batch of chunks, one Ray task per chunk, each
writing its own shard and returning only metadata. Disjointness is enforced while generating and
then checked again over the raw shards; the check is part of the manifest and the artifact.
"""

from __future__ import annotations

import time
from contextlib import closing
from datetime import datetime, timezone
from typing import Annotated, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from flows.ray_session import ray_session
from pipelines.benchmark import (MAX_REPLACEMENTS, BenchChunk, BenchChunkResult, BenchmarkConfig,
                                 build_chunk, cross_chunk_repeats, disjointness, order_members, plan,
                                 stored_ids, summary_table)
from pipelines.build import Level, TaskName
from pipelines.progress import Progress
from storage.exchange import Benchmark, counts, save_benchmark
from storage.objects import as_path
from storage.shards import ensure_writable, resolve_root, write_manifest

BATCH_CHUNKS = 64


@task(name="benchmark-batch", task_run_name="benchmark-batch-{batch_no}", cache_policy=NO_CACHE)
def run_batch(batch_no: int, chunks: list[BenchChunk], config: BenchmarkConfig, run_id: str,
              root: str, taken_ref, progress: Progress | None = None) -> list[BenchChunkResult]:
    import ray

    remote = ray.remote(max_retries=3)(build_chunk)
    pending = {remote.remote(c, config, run_id, as_path(root), taken_ref): c for c in chunks}
    results = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            chunk = pending.pop(ref)
            results.append(ray.get(ref))
            if progress:
                progress.advance(chunk.stop - chunk.start)
    return results



_DEFAULT = BenchmarkConfig()


@flow(name="build-benchmark", log_prints=True, validate_parameters=True)
def build_benchmark_flow(
    name: str | None = None,
    tasks: list[TaskName] = [],  # noqa: B006 (Prefect reads the default from the signature)
    levels: list[Level] = [1, 2, 3, 4, 5],  # noqa: B006
    per_level: Annotated[int, Field(ge=1, le=100_000)] = _DEFAULT.per_level,
    seed: Annotated[int, Field(ge=0, le=2**62)] = 0,
    exclude_splits: list[Literal["train", "val"]] = ["train", "val"],  # noqa: B006
    data_root: str = _DEFAULT.data_root,
    ray_address: str | None = None,
    workers: Annotated[int, Field(ge=1, le=4096)] = _DEFAULT.workers,
    chunk_size: Annotated[int, Field(ge=1, le=100_000)] = _DEFAULT.chunk_size,
) -> dict:
    """Generate a benchmark disjoint from the training splits, with a manifest of counts.
    Empty `tasks` means every task; the name defaults to helix-seed<seed>."""
    return _build(BenchmarkConfig(name=name, tasks=list(tasks), levels=list(levels), per_level=per_level,
                                  seed=seed, exclude_splits=list(exclude_splits), data_root=data_root,
                                  ray_address=ray_address, workers=workers, chunk_size=chunk_size))


def build_benchmark(config: BenchmarkConfig = _DEFAULT) -> dict:
    """The build-benchmark flow for a whole config (the CLI and Python callers)."""
    return build_benchmark_flow(**{k: getattr(config, k) for k in BenchmarkConfig.model_fields})


def _build(config: BenchmarkConfig) -> dict:
    import ray

    logger = get_run_logger()
    root = resolve_root(config.data_root)
    ensure_writable(root)
    run_id = config.run_id()
    chunks = plan(config)
    total = sum(c.stop - c.start for c in chunks)
    excluded = stored_ids(root, config.exclude_splits)
    logger.info("benchmark %s (run %s): %d instances in %d chunks, disjoint from %d stored %s ids",
                config.benchmark_name(), run_id, total, len(chunks), len(excluded),
                "/".join(config.exclude_splits))
    started = time.perf_counter()
    # the bar closes before Ray shuts down (if this run started it)
    with ray_session(config.ray_address, config.workers), \
            closing(Progress(total, "instances")) as progress:
        taken_ref = ray.put(frozenset(excluded))
        batches = [chunks[i:i + BATCH_CHUNKS] for i in range(0, len(chunks), BATCH_CHUNKS)]
        futures = [run_batch.submit(n, b, config, run_id, str(root), taken_ref, progress)
                   for n, b in enumerate(batches)]
        results = [r for f in futures for r in f.result()]
        # a task's levels may draw the same state (small level-1/level-2 spaces): the later chunk
        # in published order is redrawn avoiding the ids already held; rare and deterministic
        by_key = {(c.task, c.level, c.part): c for c in chunks}
        for _ in range(MAX_REPLACEMENTS):
            redo = cross_chunk_repeats(results)
            if not redo:
                break
            remote = ray.remote(max_retries=3)(build_chunk)
            refs = {pos: remote.remote(by_key[(results[pos].task, results[pos].level, results[pos].part)],
                                       config, run_id, root, frozenset(excluded | avoid))
                    for pos, avoid in redo.items()}
            for pos, ref in refs.items():
                results[pos] = ray.get(ref)
        else:
            raise RuntimeError("benchmark levels keep repeating states; raise the level spread")
    wall = time.perf_counter() - started
    members = order_members(results)
    check = disjointness(root, [m.id for m in members], config.exclude_splits)
    if not check["disjoint"]:  # only a concurrent writer of train/val rows can get here
        raise RuntimeError(f"benchmark is not disjoint from {config.exclude_splits}: {check}")
    tally = counts(members)
    name = config.benchmark_name()
    replaced = sum(r.replaced for r in results)
    skeleton_ok = sum(r.skeleton_accepted for r in results)
    benchmark_file = save_benchmark(root, Benchmark(
        name=name, source="build", members=members, counts=tally,
        extra={"run_id": run_id, "seed": config.seed, "disjointness": check}))
    shards = [r.shard for r in results]
    manifest = write_manifest(root, f"benchmark-{run_id}", config=config.model_dump(), shards=shards,
                              extra={"kind": "build-benchmark", "benchmark": name,
                                     "finished_at": datetime.now(timezone.utc).isoformat(),
                                     "wall_seconds": wall, "counts": tally, "disjointness": check,
                                     "replaced": replaced, "skeleton_accepted": skeleton_ok})
    table = summary_table(members)
    create_table_artifact(key="build-benchmark-counts", table=table,
                          description=f"benchmark {name}: instances per category and level")
    create_markdown_artifact(key="build-benchmark-run", markdown=(
        f"# build-benchmark {name}\n\n{len(members)} instances of {len(tally['task'])} tasks, "
        f"{wall:.1f} s wall.\n\n**Disjointness:** {check['overlap']} of {check['instances']} ids "
        f"also stored in {', '.join(check['checked_against'])} ({len(excluded)} ids checked), "
        f"{check['instances'] - check['distinct']} repeats; {replaced} draws replaced while "
        f"generating. {'Disjoint.' if check['disjoint'] else 'NOT disjoint.'}\n\n"
        f"Solver self-check: {skeleton_ok}/{len(members)} solver answers accepted by the verifiers."
        f"\n\nBenchmark file: `{benchmark_file}`\n"))
    return {"benchmark": name, "run_id": run_id, "root": str(root), "instances": len(members),
            "counts": tally, "disjointness": check, "replaced": replaced,
            "skeleton_accepted": skeleton_ok, "wall_seconds": wall, "manifest": str(manifest),
            "benchmark_file": str(benchmark_file)}
