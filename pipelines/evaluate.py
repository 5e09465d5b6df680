"""Evaluation as plain functions (no Prefect, no Ray): a model behind any OpenAI-compatible
endpoint answers a stored benchmark, in image mode (question + pictures) and text-only mode
(`question_text`); answers are extracted, judged by helix's verifiers and stored as `evals` rows.

It reuses SERG's machinery: the same client (bounded concurrency, retries with backoff,
Retry-After) and the same response cache (`serg_cache`, keyed by model, prompt version and mode,
instance and sampling: a rerun pays only for what failed). `run_chunk` is one unit of fan-out
work; the Prefect flow `evaluate` (flows/evaluate.py) feeds chunks to Ray or runs them here.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.hashing import stable_hash
from generators import registry as generators
from generators.base import LEVELS, LevelList
from pipelines.eval_report import Mode, eval_id, pair_keys, write_eval_rows
from serg.accept import judge
from serg.elaborate import ElaborationClient, Endpoint, Sampling
from serg.pipeline import SergChunk, cache_key, cache_row, cached_completion, load_cache
from serg.prompting import data_url
from storage.catalog import connect
from storage.exchange import load_benchmark, read_instances
from storage.schema import CacheRow, EvalRow
from storage.shards import ShardInfo, write_shard

PROMPT_VERSION = "eval-v1"
# appended to every question; part of the cache key through PROMPT_VERSION
ANSWER_SUFFIX = "Think it through step by step, then give only your final answer inside \\boxed{}."
Preset = Literal["thinking", "standard"]
# the paper's evaluation settings: thinking models sample, the others decode greedily
PRESETS: dict[str, Sampling] = {
    "thinking": Sampling(temperature=0.6, top_p=0.95, max_tokens=32768),
    "standard": Sampling(temperature=0.0, top_p=1.0, max_tokens=8192),
}


class EvalConfig(BaseModel):
    """Parameters of an evaluation run (the Prefect UI shows this as a typed form)."""

    model_config = ConfigDict(extra="forbid")
    endpoint: Endpoint
    benchmark: str | None = Field(None, description="benchmark name; none = the only one stored")
    modes: list[Mode] = Field(default_factory=lambda: ["image", "text"])
    preset: Preset = Field("standard", description="thinking: 32,768 tokens at T=0.6; standard: 8,192 at T=0")
    sampling: Sampling | None = Field(None, description="overrides the preset")
    tasks: generators.TaskList = Field(default_factory=list, description="empty = every task of the benchmark")
    levels: LevelList = Field(default_factory=lambda: list(LEVELS))
    limit: int | None = Field(None, ge=1, description="at most this many instances per task and level")
    data_root: str = "data"
    executor: Literal["ray", "local"] = "ray"
    ray_address: str | None = None
    workers: int = Field(2, ge=1, le=4096, description="chunks in flight at once")
    chunk_size: int = Field(64, ge=1, le=100_000)

    @field_validator("modes")
    @classmethod
    def _modes(cls, modes: list[Mode]) -> list[Mode]:
        if not modes:
            raise ValueError("at least one mode (image, text)")
        return [m for m in ("image", "text") if m in modes]

    def resolved_sampling(self) -> Sampling:
        return self.sampling or PRESETS[self.preset]


class EvalItem(BaseModel):
    index: int
    id: str
    mode: Mode
    pair: str


class EvalChunk(BaseModel):
    task: str
    level: int
    part: int
    items: list[EvalItem]


class EvalStat(BaseModel):
    mode: Mode
    correct: bool
    status: str
    cached: bool
    failed: bool
    tokens_out: int | None
    latency_s: float


class EvalChunkResult(BaseModel):
    stats: list[EvalStat]
    shards: list[ShardInfo]
    seconds: float


def done_keys(root: Path, benchmark: str, model: str, sampling: Sampling) -> set[tuple[str, str]]:
    """(instance id, mode) already answered (a failed request is asked again)."""
    con = connect(root)
    try:
        return set(con.execute(
            "SELECT DISTINCT instance_id, mode FROM evals WHERE benchmark = ? AND model = ? "
            "AND prompt_version = ? AND sampling = ? AND error = ''",
            [benchmark, model, PROMPT_VERSION, sampling.as_json()]).fetchall())
    finally:
        con.close()


def plan(config: EvalConfig, root: Path) -> tuple[str, list[EvalChunk]]:
    """(benchmark name, chunks of items still to answer)."""
    bench = load_benchmark(root, config.benchmark)
    members = [m for m in bench.members
               if (not config.tasks or m.task in config.tasks) and m.level in config.levels]
    if config.limit:
        kept, seen = [], {}
        for m in members:
            key = (m.task, m.level)
            # whole pairs for paired tasks: half a pair cannot be scored
            cap = config.limit + (config.limit % 2 if generators.get(m.task).paired else 0)
            if seen.get(key, 0) < cap:
                seen[key] = seen.get(key, 0) + 1
                kept.append(m)
        members = kept
    paired = [m for m in bench.members if generators.get(m.task).paired]
    states = {k: v["initial_state"] for k, v in
              read_instances(root, [m.id for m in paired], ["id", "initial_state"]).items()}
    pairs = pair_keys(paired, states)
    done = done_keys(root, bench.name, config.endpoint.model, config.resolved_sampling())
    groups: dict[tuple[str, int], list[EvalItem]] = {}
    for m in members:
        for mode in config.modes:
            if (m.id, mode) not in done:
                groups.setdefault((m.task, m.level), []).append(
                    EvalItem(index=m.index, id=m.id, mode=mode, pair=pairs.get(m.id, "")))
    chunks: list[EvalChunk] = []
    for (task_name, level), items in groups.items():
        for start in range(0, len(items), config.chunk_size):
            chunks.append(EvalChunk(task=task_name, level=level, part=len(chunks),
                                    items=items[start:start + config.chunk_size]))
    return bench.name, chunks


def run_id(config: EvalConfig, benchmark: str, chunks: list[EvalChunk]) -> str:
    return stable_hash("evaluate", benchmark, config.endpoint.model, PROMPT_VERSION,
                       config.resolved_sampling().as_json(),
                       [[(i.id, i.mode) for i in c.items] for c in chunks], digest_size=6)


def messages(instance: dict, mode: Mode) -> list[dict]:
    """Image mode: the pictures, then the image-variant question; text mode: the text-only question."""
    if mode == "text":
        return [{"role": "user", "content": f"{instance['question_text']}\n\n{ANSWER_SUFFIX}"}]
    content: list[dict] = [{"type": "image_url", "image_url": {"url": data_url(im["bytes"])}}
                           for im in instance.get("images") or [] if im and im.get("bytes")]
    content.append({"type": "text", "text": f"{instance['question']}\n\n{ANSWER_SUFFIX}"})
    return [{"role": "user", "content": content}]


def _cache_version(mode: Mode) -> str:
    return f"{PROMPT_VERSION}/{mode}"


async def answer_chunk(config: EvalConfig, benchmark: str, chunk: EvalChunk, instances: dict[str, dict],
                       cache: dict[str, CacheRow], in_flight: int
                       ) -> tuple[list[EvalRow], list[CacheRow], list[EvalStat]]:
    model, sampling = config.endpoint.model, config.resolved_sampling()
    category = generators.get(chunk.task).category
    rows: list[EvalRow] = []
    new_cache: list[CacheRow] = []
    stats: list[EvalStat] = []

    async def one(client: ElaborationClient, item: EvalItem) -> None:
        inst = instances[item.id]
        key = cache_key(model, _cache_version(item.mode), item.id, 0, sampling)
        hit = cache.get(key)
        if hit is not None:
            completion = cached_completion(hit)
        else:
            completion = await client.complete(messages(inst, item.mode), sampling)
            if completion.text is not None:  # only real answers are cached, never failures
                new_cache.append(cache_row(key, chunk.task, chunk.level, model,
                                           _cache_version(item.mode), item.id, 0, sampling, completion))
        verdict = judge(chunk.task, inst["initial_state"], completion)
        response = completion.text or ""
        rows.append(EvalRow(
            id=eval_id(benchmark, model, item.mode, PROMPT_VERSION, sampling.as_json(), item.id,
                       response if completion.text is not None else f"error:{completion.error}"),
            benchmark=benchmark, model=model, mode=item.mode, source="endpoint",
            prompt_version=PROMPT_VERSION, sampling=sampling.as_json(), instance_id=item.id,
            task=chunk.task, category=category, level=chunk.level, index=item.index, pair=item.pair,
            response=response, parsed=verdict.parsed, correct=verdict.correct, status=verdict.status,
            reason=verdict.reason, finish_reason=completion.finish_reason,
            tokens_in=completion.tokens_in, tokens_out=completion.tokens_out,
            latency_s=completion.latency_s, attempts=completion.attempts, error=completion.error))
        stats.append(EvalStat(mode=item.mode, correct=verdict.correct, status=verdict.status,
                              cached=hit is not None, failed=completion.text is None,
                              tokens_out=completion.tokens_out, latency_s=completion.latency_s))

    async with ElaborationClient(config.endpoint, in_flight=in_flight) as client:
        await asyncio.gather(*(one(client, item) for item in chunk.items))
    rows.sort(key=lambda r: (r.index, r.mode))  # deterministic shard content
    return rows, new_cache, stats


def run_chunk(chunk: EvalChunk, config: EvalConfig, benchmark: str, run: str, root: Path,
              in_flight: int) -> EvalChunkResult:
    """One unit of fan-out work: answer a chunk, write its cache and eval shards."""
    started = time.perf_counter()
    columns = ["id", "question", "question_text", "initial_state"]
    if any(i.mode == "image" for i in chunk.items):
        columns.append("images")
    instances = read_instances(root, [i.id for i in chunk.items], columns)
    missing = [i for i in chunk.items if i.id not in instances]
    if missing:
        raise ValueError(f"benchmark {benchmark!r}: instance {missing[0].id} (index "
                         f"{missing[0].index}) is not in the store")
    keys = [cache_key(config.endpoint.model, _cache_version(i.mode), i.id, 0, config.resolved_sampling())
            for i in chunk.items]
    cache = load_cache(root, SergChunk(task=chunk.task, level=chunk.level, ids=[], part=chunk.part), keys)
    rows, new_cache, stats = asyncio.run(answer_chunk(config, benchmark, chunk, instances, cache, in_flight))
    shards = []
    if new_cache:  # cache first: a crash after it loses no paid-for response
        shards.append(write_shard(root, "serg_cache", new_cache, task=chunk.task, level=chunk.level,
                                  run_id=f"eval-{run}", part=chunk.part))
    shards += write_eval_rows(root, rows, f"{run}-{chunk.part:05d}")
    return EvalChunkResult(stats=stats, shards=shards, seconds=time.perf_counter() - started)
