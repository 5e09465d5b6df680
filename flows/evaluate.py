"""Prefect flow `evaluate`: the plain evaluation (pipelines/evaluate.py) as a flow that ends with
the report.

The fan-out is SERG's: a Prefect task feeding at most `workers` Ray chunks, each with its share of
the endpoint's in-flight limit. `executor="local"` runs the chunks in this process instead (no
Ray: small runs, tests).
"""

from __future__ import annotations

import time
from contextlib import closing, nullcontext
from typing import Annotated, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import Field

from common.hashing import stable_hash
from flows.fanout import run_bounded
from flows.ray_session import ray_session
from pipelines.build import Level, TaskName
from pipelines.eval_report import Mode, markdown, plots, report
from pipelines.evaluate import (PROMPT_VERSION, EvalChunk, EvalChunkResult, EvalConfig, Preset, plan,
                                run_chunk, run_id)
from pipelines.progress import Progress
from serg.elaborate import Endpoint, Sampling, share_in_flight
from storage.objects import as_path
from storage.shards import ensure_writable, resolve_root, write_manifest


@task(name="evaluate-chunks", cache_policy=NO_CACHE)
def run_chunks(chunks: list[EvalChunk], config: EvalConfig, benchmark: str, run: str, root: str,
               progress: Progress | None = None) -> list[EvalChunkResult]:
    slots, in_flight = share_in_flight(config.endpoint.max_in_flight, config.workers, len(chunks))
    if config.executor == "local":
        results = []
        for chunk in chunks:
            results.append(run_chunk(chunk, config, benchmark, run, as_path(root),
                                     config.endpoint.max_in_flight))
            if progress:
                progress.advance(len(chunk.items))
        return results
    return run_bounded(run_chunk, chunks, config, benchmark, run, as_path(root), in_flight, slots=slots,
                       progress=progress, count=lambda c: len(c.items))


@flow(name="evaluate", log_prints=True, validate_parameters=True)
def evaluate_flow(
    endpoint: Endpoint,
    benchmark: str | None = None,
    modes: list[Mode] = ["image", "text"],  # noqa: B006 (Prefect reads the default from the signature)
    preset: Preset = "standard",
    sampling: Sampling | None = None,
    tasks: list[TaskName] = [],  # noqa: B006
    levels: list[Level] = [1, 2, 3, 4, 5],  # noqa: B006
    limit: Annotated[int, Field(ge=1)] | None = None,
    data_root: str = "data",
    executor: Literal["ray", "local"] = "ray",
    ray_address: str | None = None,
    workers: Annotated[int, Field(ge=1, le=4096)] = 2,
    chunk_size: Annotated[int, Field(ge=1, le=100_000)] = 64,
) -> dict:
    """Answer a benchmark with a model, judge every answer, store it, and report the scores.
    `benchmark`: none = the only one stored; `preset`: thinking = 32,768 tokens at T=0.6,
    standard = 8,192 at T=0 (`sampling` overrides it); empty `tasks` = every task."""
    return _evaluate(EvalConfig(endpoint=endpoint, benchmark=benchmark, modes=list(modes), preset=preset,
                                sampling=sampling, tasks=list(tasks), levels=list(levels), limit=limit,
                                data_root=data_root, executor=executor, ray_address=ray_address,
                                workers=workers, chunk_size=chunk_size))


def evaluate(config: EvalConfig) -> dict:
    """The evaluate flow for a whole config (the CLI and Python callers)."""
    return evaluate_flow(**{k: getattr(config, k) for k in EvalConfig.model_fields})


def _evaluate(config: EvalConfig) -> dict:
    logger = get_run_logger()
    root = resolve_root(config.data_root)
    ensure_writable(root)
    benchmark, chunks = plan(config, root)
    run = run_id(config, benchmark, chunks)
    sampling = config.resolved_sampling()
    total = sum(len(c.items) for c in chunks)
    logger.info("evaluate %s: %s on %s, %d answers to get (%s), sampling %s", run,
                config.endpoint.model, benchmark, total, "/".join(config.modes), sampling.as_json())
    started = time.perf_counter()
    results: list[EvalChunkResult] = []
    if chunks:
        # the local executor needs no Ray; the bar closes before Ray shuts down (if this run started it)
        session = (ray_session(config.ray_address, config.workers) if config.executor == "ray"
                   else nullcontext())
        with session, closing(Progress(total, "answers")) as progress:
            results = run_chunks(chunks, config, benchmark, run, str(root), progress)
    wall = time.perf_counter() - started
    stats = [s for r in results for s in r.stats]
    reports = report(root, benchmark, [config.endpoint.model], PROMPT_VERSION, sampling.as_json())
    text = markdown(reports)
    stem = f"eval-{benchmark}-{stable_hash('model', config.endpoint.model, digest_size=4)}-{run}"
    pngs = plots(reports, root / "reports", stem)
    (root / "reports" / f"{stem}.md").write_text(text)
    shards = [s for r in results for s in r.shards]
    manifest = write_manifest(root, f"eval-{run}", config=config.model_dump(mode="json"), shards=shards,
                              extra={"kind": "evaluate", "benchmark": benchmark, "wall_seconds": wall,
                                     "reports": [r.model_dump() for r in reports]})
    create_markdown_artifact(key="evaluate-report", markdown=text,
                             description=f"{config.endpoint.model} on {benchmark}")
    table = [{"model": r.model, "mode": r.mode, "overall": r.overall,
              **{c: r.by_category.get(c) for c in ("algorithms", "graphs", "puzzles", "games")},
              "rows": r.rows, "failed_requests": r.failed_requests} for r in reports]
    if table:
        create_table_artifact(key="evaluate-scores", table=table, description=f"evaluate run {run}")
    return {"run_id": run, "benchmark": benchmark, "answers": len(stats),
            "correct": sum(s.correct for s in stats), "failed_requests": sum(s.failed for s in stats),
            "cache_hits": sum(s.cached for s in stats), "wall_seconds": wall,
            "manifest": str(manifest), "report": str(root / "reports" / f"{stem}.md"),
            "plots": [str(p) for p in pngs], "reports": [r.model_dump() for r in reports],
            "markdown": text}
