"""Prefect flow `serg`: elaborate skeletons (or answer directly) for instances in the store.

The global concurrency limit per endpoint is kept by construction: at most `workers` chunks run
at once (the driver feeds Ray), never more than `max_in_flight`, each with `max_in_flight //
chunks at once` requests in flight (`share_in_flight`): the product never exceeds the limit.
"""

from __future__ import annotations

import time
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from flows.dataset import start_ray
from flows.fanout import run_bounded
from serg.elaborate import share_in_flight
from flows.progress import Progress
from serg.pipeline import (SergChunk, SergChunkResult, SergConfig, length_plot, plan, run_chunk,
                           run_id, summarize)
from storage.shards import ensure_writable, resolve_root, write_manifest


@task(name="serg-chunks", cache_policy=NO_CACHE)
def run_chunks(chunks: list[SergChunk], config: SergConfig, run: str, root: str,
               progress: Progress | None = None) -> list[SergChunkResult]:
    slots, in_flight = share_in_flight(config.endpoint.max_in_flight, config.workers, len(chunks))
    return run_bounded(run_chunk, chunks, config, run, Path(root), in_flight, slots=slots,
                       progress=progress, count=lambda c: len(c.ids))


@flow(name="serg", log_prints=True)
def serg(config: SergConfig) -> dict:
    """Step-elicited response generation: LLM-polished traces, kept only when the verifier accepts."""
    logger = get_run_logger()
    root = resolve_root(config.data_root)
    ensure_writable(root)
    chunks = plan(config, root)
    run = run_id(config, chunks)
    total = sum(len(c.ids) for c in chunks)
    logger.info("serg %s: %d instances need a %s trace from %s (%s)", run, total, config.mode,
                config.endpoint.model, config.version())
    started = time.perf_counter()
    results: list[SergChunkResult] = []
    if chunks:
        own_ray = start_ray(config.ray_address, config.workers)
        progress = Progress(total, "instances")
        try:
            results = run_chunks(chunks, config, run, str(root), progress)
        finally:
            progress.close()
            if own_ray:
                import ray

                ray.shutdown()
    wall = time.perf_counter() - started
    stats = [s for r in results for s in r.stats]
    summary = summarize(stats, config.endpoint)
    shards = [s for r in results for s in r.shards]
    safe_config = config.model_dump(mode="json")  # holds no key: keys live in env or blocks
    manifest = write_manifest(root, f"serg-{run}", config=safe_config, shards=shards,
                              extra={"kind": "serg", "wall_seconds": wall, "summary": summary})
    plot = length_plot(root, root / "reports" / f"serg-{run}-lengths.png", config.endpoint.model)
    accepted = sum(s.accepted for s in stats)
    failed = sum(s.failed for s in stats)
    if summary:
        create_table_artifact(key="serg-summary", table=summary, description=f"serg run {run}")
    create_markdown_artifact(key="serg-run", markdown=(
        f"# serg {run}\n\n{total} instances, {len(stats)} traces, {accepted} accepted, "
        f"{failed} failed requests, {sum(s.cached for s in stats)} cache hits, {wall:.1f} s.\n\n"
        f"Length plot: `{plot}`\n"))
    return {"run_id": run, "instances": total, "traces": len(stats), "accepted": accepted,
            "failed_requests": failed, "cache_hits": sum(s.cached for s in stats),
            "wall_seconds": wall, "manifest": str(manifest), "plot": str(plot), "summary": summary}
