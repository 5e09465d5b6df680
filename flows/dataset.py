"""Prefect flow `build-dataset`: fan chunks out as Ray tasks, collect metadata, write the manifest.

One Prefect task per batch of chunks (never one per puzzle: a Prefect task costs ~7 ms and
server load); inside it, one Ray task per chunk does the real work and writes its own shards.
"""

from __future__ import annotations

import os
import time
from datetime import datetime, timezone
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.build import BuildConfig, Chunk, ChunkResult, build_chunk, plan_chunks, summarize
from flows.progress import Progress
from storage.shards import ensure_writable, resolve_root, write_manifest

BATCH_CHUNKS = 64  # chunks per Prefect task


def start_ray(address: str | None, workers: int) -> bool:
    """Connect to a cluster or start Ray locally; True when this call started it."""
    import ray

    if ray.is_initialized():
        return False
    # a local, single-user Ray needs no auth token in the home folder (Ray 2.60 writes one)
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if address:
        ray.init(address=address, log_to_driver=False, configure_logging=False)
    else:
        ray.init(num_cpus=workers, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
    return True


def _remote_build():
    import ray

    # a worker killed mid-chunk is retried; the chunk rewrites the same shard names and bytes
    return ray.remote(max_retries=3)(build_chunk)


# NO_CACHE: a rebuild must really run (and the progress bar cannot be hashed)
@task(name="build-batch", task_run_name="build-batch-{batch_no}", cache_policy=NO_CACHE)
def run_batch(batch_no: int, chunks: list[Chunk], config: BuildConfig, run_id: str, root: str,
              progress: Progress | None = None) -> list[ChunkResult]:
    import ray

    remote = _remote_build()
    pending = {remote.remote(c, config, run_id, Path(root)): c for c in chunks}
    results = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            chunk = pending.pop(ref)
            results.append(ray.get(ref))
            if progress:
                progress.advance(chunk.stop - chunk.start)
    return results


@flow(name="build-dataset", log_prints=True)
def build_dataset(config: BuildConfig = BuildConfig()) -> dict:
    """Generate, solve, render, skeleton-trace and verify instances into Parquet shards."""
    logger = get_run_logger()
    root = resolve_root(config.data_root)
    ensure_writable(root)
    run_id = config.run_id()
    chunks = plan_chunks(config)
    total = sum(c.stop - c.start for c in chunks)
    logger.info("run %s: %d instances in %d chunks -> %s", run_id, total, len(chunks), root)
    started = time.perf_counter()
    own_ray = start_ray(config.ray_address, config.workers)
    progress = Progress(total, "instances")
    try:
        batches = [chunks[i:i + BATCH_CHUNKS] for i in range(0, len(chunks), BATCH_CHUNKS)]
        futures = [run_batch.submit(n, b, config, run_id, str(root), progress)
                   for n, b in enumerate(batches)]
        results = [r for f in futures for r in f.result()]
    finally:
        progress.close()
        if own_ray:
            import ray

            ray.shutdown()
    wall = time.perf_counter() - started
    summary = summarize(results)
    shards = [s for r in results for s in r.shards]
    manifest = write_manifest(root, run_id, config=config.model_dump(), shards=shards, extra={
        "kind": "build-dataset",
        "finished_at": datetime.now(timezone.utc).isoformat(),
        "wall_seconds": wall,
        "summary": summary,
    })
    instances = sum(r.instances for r in results)
    accepted = sum(r.traces_accepted for r in results)
    errors = sum(r.verdicts.get("verifier_error", 0) for r in results)
    create_table_artifact(key="build-dataset-summary", table=[
        {"task": s["task"], "level": s["level"], "instances": s["instances"],
         "skeleton_accepted": s["accepted"], "mean_effort": round(s["mean_effort"], 1),
         "ms_per_instance": round(1000 * sum(s["seconds_per_instance"].values()), 2)}
        for s in summary], description=f"build-dataset run {run_id}")
    create_markdown_artifact(key="build-dataset-run", markdown=(
        f"# build-dataset {run_id}\n\n{instances} instances, {accepted} skeleton traces accepted, "
        f"{errors} verifier errors, {len(shards)} shards, {wall:.1f} s wall, "
        f"{instances / max(wall, 1e-9):.1f} instances/s.\n\nData root: `{root}`\n"))
    return {"run_id": run_id, "root": str(root), "instances": instances, "accepted": accepted,
            "verifier_errors": errors, "shards": len(shards), "wall_seconds": wall,
            "manifest": str(manifest)}
