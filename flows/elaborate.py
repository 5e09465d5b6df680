"""Prefect flow `serg`: elaborate skeletons (or answer directly) for instances in the store.

The global concurrency limit per endpoint is kept by construction: at most `workers` chunks run
at once (the driver feeds Ray), never more than `max_in_flight`, each with `max_in_flight //
chunks at once` requests in flight (`share_in_flight`): the product never exceeds the limit.
"""

from __future__ import annotations

import time
from contextlib import closing
from typing import Annotated, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from flows.fanout import run_bounded
from flows.ray_session import ray_session
from pipelines.build import Level, TaskName
from pipelines.progress import Progress
from serg.elaborate import Endpoint, Sampling, share_in_flight
from serg.pipeline import (SergChunk, SergChunkResult, SergConfig, length_plot, plan, run_chunk,
                           run_id, summarize)
from storage.objects import as_path
from storage.shards import ensure_writable, resolve_root, write_manifest


@task(name="serg-chunks", cache_policy=NO_CACHE)
def run_chunks(chunks: list[SergChunk], config: SergConfig, run: str, root: str,
               progress: Progress | None = None) -> list[SergChunkResult]:
    slots, in_flight = share_in_flight(config.endpoint.max_in_flight, config.workers, len(chunks))
    return run_bounded(run_chunk, chunks, config, run, as_path(root), in_flight, slots=slots,
                       progress=progress, count=lambda c: len(c.ids))


@flow(name="serg", log_prints=True, validate_parameters=True)
def serg_flow(
    endpoint: Endpoint,
    sampling: Sampling = Sampling(),  # noqa: B008 (a frozen default the form shows)
    mode: Literal["elaborate", "direct"] = "elaborate",
    prompt_version: str | None = None,
    samples: Annotated[int, Field(ge=1, le=64)] = 1,
    tasks: list[TaskName] = [],  # noqa: B006 (Prefect reads the default from the signature)
    levels: list[Level] = [1, 2, 3, 4, 5],  # noqa: B006
    split: Literal["train", "val", "benchmark"] = "train",
    limit: Annotated[int, Field(ge=1)] | None = None,
    data_root: str = "data",
    ray_address: str | None = None,
    workers: Annotated[int, Field(ge=1, le=4096)] = 2,
    chunk_size: Annotated[int, Field(ge=1, le=100_000)] = 32,
) -> dict:
    """Step-elicited response generation: LLM-polished traces, kept only when the verifier accepts.
    `mode` direct = no skeleton (the baseline); `samples`: pass@k, up to k samples until one is
    accepted; empty `tasks` = every task in the store."""
    return _serg(SergConfig(endpoint=endpoint, sampling=sampling, mode=mode, prompt_version=prompt_version,
                            samples=samples, tasks=list(tasks), levels=list(levels), split=split,
                            limit=limit, data_root=data_root, ray_address=ray_address, workers=workers,
                            chunk_size=chunk_size))


def serg(config: SergConfig) -> dict:
    """The serg flow for a whole config (the CLI, the build flow and Python callers)."""
    return serg_flow(**{k: getattr(config, k) for k in SergConfig.model_fields})


def _serg(config: SergConfig) -> dict:
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
        # the bar closes before Ray shuts down (if this run started it)
        with ray_session(config.ray_address, config.workers), \
                closing(Progress(total, "instances")) as progress:
            results = run_chunks(chunks, config, run, str(root), progress)
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
