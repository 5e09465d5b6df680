"""Prefect flow `build-dataset`: fan chunks out as Ray tasks, collect metadata, write the manifest.

One Prefect task per batch of chunks (never one per puzzle: a Prefect task costs ~7 ms and
server load); inside it, one Ray task per chunk does the real work and writes its own shards.
"""

from __future__ import annotations

import time
from contextlib import closing
from datetime import datetime, timezone
from typing import Annotated, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from flows.elaborate import serg
from flows.ray_session import ray_session
from generators import registry as generators
from pipelines.build import (BuildConfig, BuildIncomplete, Chunk, ChunkResult, Level, TaskName, build_chunk,
                             plan_chunks, present_rows, redraw_repeats, summarize, taken_ids)
from pipelines.progress import Progress
from pipelines.report import write_png
from serg.elaborate import Endpoint
from serg.pipeline import SergConfig
from storage import ledger
from storage.maintenance import compact, purge_trash, refresh_stats, writer_lock
from storage.objects import as_path
from storage.shards import ensure_writable, repair_manifest, resolve_root, write_manifest

BATCH_CHUNKS = 64  # chunks per Prefect task


def _remote_build():
    import ray

    # a worker killed mid-chunk is retried; the chunk rewrites the same shard names and bytes
    return ray.remote(max_retries=3)(build_chunk)


# NO_CACHE: a rebuild must really run (and the progress bar cannot be hashed)
@task(name="build-batch", task_run_name="build-{label}", cache_policy=NO_CACHE,
      retries=2, retry_delay_seconds=10)  # chunks are idempotent: a retry rewrites the same shards
def run_batch(batch_no: int, chunks: list[Chunk], config: BuildConfig, run_id: str, root: str,
              progress: Progress | None = None, taken=None, label: str = "") -> list[ChunkResult]:
    import ray

    logger = get_run_logger()

    remote = _remote_build()
    # chunks only journal their shards; the batch is committed as one snapshot when it is done
    taken = frozenset() if taken is None else taken  # an ObjectRef: Ray resolves it in the worker
    pending = {remote.remote(c, config, run_id, as_path(root), False, taken): c for c in chunks}
    results = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            chunk = pending.pop(ref)
            results.append(ray.get(ref))
            if progress:
                progress.advance(len(chunk.indices))
    ledger.commit(as_path(root), f"build {run_id} batch {batch_no}")
    logger.info("batch %d (%s): %d instances stored, %d skeleton traces accepted, %d failed",
                batch_no, label, sum(r.instances for r in results), sum(r.traces_accepted for r in results),
                sum(len(r.failed) for r in results))
    return results


def batch_label(chunks: list[Chunk]) -> str:
    """What a batch builds, for its task run's name: tasks, levels and instance count."""
    tasks = list(dict.fromkeys(c.task for c in chunks))
    levels = sorted({c.level for c in chunks})
    shown = ", ".join(tasks[:3]) + (f" +{len(tasks) - 3}" if len(tasks) > 3 else "")
    span = f"L{levels[0]}" if len(levels) == 1 else f"L{levels[0]}-{levels[-1]}"
    return f"{shown} {span} ({sum(len(c.indices) for c in chunks)} instances)"


# the Prefect form: one field per setting, the 42 task names as a choice, levels bounded; Prefect
# checks a run's parameters against this schema when the run is created, not when it starts
_DEFAULT = BuildConfig()


@flow(name="build-dataset", log_prints=True, validate_parameters=True)
def build_dataset_flow(
    tasks: list[TaskName] = [],  # noqa: B006 (Prefect reads the default from the signature)
    levels: list[Level] = [1, 2, 3, 4, 5],  # noqa: B006
    per_level: Annotated[int, Field(ge=1, le=1_000_000)] = _DEFAULT.per_level,
    split: Literal["train", "val"] = "train",
    seed: Annotated[int, Field(ge=0, le=2**62)] = 0,
    data_root: str = _DEFAULT.data_root,
    ray_address: str | None = None,
    workers: Annotated[int, Field(ge=1, le=4096)] = _DEFAULT.workers,
    chunk_size: Annotated[int, Field(ge=1, le=100_000)] = _DEFAULT.chunk_size,
    elaborate: Endpoint | None = None,
) -> dict:
    """Bring the store up to the configured size: plan what is missing (new indices, tasks whose
    generator version changed), build only that over Ray, compact small shards, refresh the
    statistics. A rerun with nothing new does no work. Optionally elaborate traces (SERG).
    Empty `tasks` means every task."""
    return _build(BuildConfig(tasks=list(tasks), levels=list(levels), per_level=per_level, split=split,
                              seed=seed, data_root=data_root, ray_address=ray_address, workers=workers,
                              chunk_size=chunk_size, elaborate=elaborate))


def build_dataset(config: BuildConfig = _DEFAULT) -> dict:
    """The build-dataset flow for a whole config (the CLI and Python callers)."""
    return build_dataset_flow(**{k: getattr(config, k) for k in BuildConfig.model_fields})


def _build(config: BuildConfig) -> dict:
    logger = get_run_logger()
    root = resolve_root(config.data_root)
    ensure_writable(root)
    run_id = config.run_id()
    started = time.perf_counter()
    versions = {t: generators.get(t).version for t in config.task_names()}
    with writer_lock(root):
        chunks = plan_chunks(config, present_rows(config, root))
        total = sum(len(c.indices) for c in chunks)
        planned = _plan_table(config, chunks)
        logger.info("run %s: %d instances missing in %d chunks -> %s", run_id, total, len(chunks), root)
        create_table_artifact(key="build-dataset-plan", table=planned or [{"task": "-", "missing": 0}],
                              description=f"what run {run_id} has to build (empty = up to date)")
        results: list[ChunkResult] = []
        if chunks:
            # the bar closes before Ray shuts down (if this run started it)
            with ray_session(config.ray_address, config.workers), \
                    closing(Progress(total, "instances")) as progress:
                import ray

                taken = taken_ids(config, root, chunks)  # other splits and stored puzzles: redrawn
                taken_ref = ray.put(taken)
                batches = [chunks[i:i + BATCH_CHUNKS] for i in range(0, len(chunks), BATCH_CHUNKS)]
                futures = [run_batch.submit(n, b, config, run_id, str(root), progress, taken_ref,
                                            batch_label(b)) for n, b in enumerate(batches)]
                results = [r for f in futures for r in f.result()]
                remote = _remote_build()
                results = redraw_repeats(results, chunks, taken, lambda chunk, avoid: ray.get(
                    remote.remote(chunk, config, run_id, root, False, avoid)))
        build_seconds = time.perf_counter() - started
        compaction = compact(root, current_versions=versions)
        purge_trash(root)
        stats = refresh_stats(root)
    wall = time.perf_counter() - started
    summary = summarize(results)
    shards = [s for r in results for s in r.shards]
    failed = [f for r in results for f in r.failed]
    exhausted = [f for r in results for f in r.exhausted]
    redrawn = sum(r.redrawn for r in results)
    manifest = None
    if not results:  # nothing to build: a killed run's missing report is rewritten
        manifest = repair_manifest(root, run_id, config=config.model_dump(), kind="build-dataset")
    if results:
        manifest = write_manifest(root, run_id, config=config.model_dump(), shards=shards, extra={
            "kind": "build-dataset", "finished_at": datetime.now(timezone.utc).isoformat(),
            "wall_seconds": wall, "build_seconds": build_seconds, "summary": summary,
            "compaction": compaction, "instances": sum(r.instances for r in results),
            "redrawn": redrawn, "failed": [f.model_dump() for f in failed],
            "exhausted": [f.model_dump() for f in exhausted]})
    if exhausted:
        cells = sorted({(f.task, f.level) for f in exhausted})
        logger.warning("%d indices not stored: these levels hold fewer distinct puzzles than asked: %s",
                       len(exhausted), ", ".join(f"{t} L{lv}" for t, lv in cells))
    if failed:
        logger.error("%d instances could not be generated: %s", len(failed),
                     "; ".join(f"{f.task} L{f.level} #{f.index}: {f.reason}" for f in failed[:20]))
        create_table_artifact(key="build-dataset-failed", table=[f.model_dump() for f in failed],
                              description=f"indices of run {run_id} whose generation attempts were all rejected")
    instances = sum(r.instances for r in results)
    accepted = sum(r.traces_accepted for r in results)
    errors = sum(r.verdicts.get("verifier_error", 0) for r in results)
    report = None
    if summary:  # the PNG report, for served runs too, linked from the run's artifacts
        report = write_png(summary, root / "reports" / f"build-{run_id}.png")
        create_link_artifact(key="build-dataset-report", link=report.as_uri(),
                             link_text=f"report {report.name} (instances, effort, ms per task and level)",
                             description=f"PNG report of build-dataset run {run_id}: {report}")
    logger.info("run %s: %d instances stored (%d redrawn, %d not stored: level out of puzzles), "
                "%d skeleton traces accepted, %d verifier errors, %d failed; %.1f s", run_id, instances,
                redrawn, len(exhausted), accepted, errors, len(failed), wall)
    for s in summary:
        logger.info("  %-34s L%d  %5d instances  %5d accepted  effort %8.1f", s["task"], s["level"],
                    s["instances"], s["accepted"], s["mean_effort"])
    if summary:
        create_table_artifact(key="build-dataset-summary", table=[
            {"task": s["task"], "level": s["level"], "instances": s["instances"],
             "skeleton_accepted": s["accepted"], "mean_effort": round(s["mean_effort"], 1),
             "ms_per_instance": round(1000 * sum(s["seconds_per_instance"].values()), 2)}
            for s in summary], description=f"build-dataset run {run_id}")
    create_markdown_artifact(key="build-dataset-run", markdown=(
        f"# build-dataset {run_id}\n\nPlanned {total} missing instances; built {instances}, "
        f"{accepted} skeleton traces accepted, {errors} verifier errors, {len(failed)} failed to "
        f"generate, {redrawn} draws replaced (puzzle already stored or drawn), {len(exhausted)} not "
        f"stored (level out of distinct puzzles), {len(shards)} shards, "
        f"{wall:.1f} s wall.\n\nCompaction: {compaction}.\n\nStore: "
        f"{stats['tables']['instances']['rows']} instances in {stats['tables']['instances']['shards']} "
        f"shards under `{root}`.\n" + (f"\nReport: `{report}`\n" if report else "")))
    result = {"run_id": run_id, "root": str(root), "planned": total, "instances": instances,
              "accepted": accepted, "verifier_errors": errors, "shards": len(shards),
              "wall_seconds": wall, "manifest": str(manifest) if manifest else None,
              "compaction": compaction, "failed": len(failed), "redrawn": redrawn,
              "exhausted": [f.model_dump() for f in exhausted], "report": str(report) if report else None}
    if config.elaborate is not None:
        result["serg"] = serg(SergConfig(endpoint=config.elaborate, tasks=config.task_names(),
                                         levels=config.levels, split=config.split,
                                         data_root=str(root), ray_address=config.ray_address,
                                         workers=config.workers))
    if failed:  # everything else is stored; the flow run still ends Failed, naming the indices
        raise BuildIncomplete(failed)
    return result


def _plan_table(config: BuildConfig, chunks: list[Chunk]) -> list[dict]:
    per_task: dict[str, dict] = {}
    for c in chunks:
        row = per_task.setdefault(c.task, {"task": c.task, "missing": 0, "levels": set()})
        row["missing"] += len(c.indices)
        row["levels"].add(c.level)
    return [{"task": t, "missing": r["missing"], "levels": ",".join(map(str, sorted(r["levels"]))),
             "version": generators.get(t).version} for t, r in per_task.items()]
