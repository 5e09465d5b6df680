"""SERG over the store, as plain functions: plan which instances still need a trace, elaborate a
chunk of them against the endpoint (cache first), judge, write trace and cache shards, and
summarise. flows/elaborate.py fans the chunks out over Ray; tests call these directly too."""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from pathlib import Path
from typing import Literal

import pyarrow.dataset as ds
from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.hashing import stable_hash
from generators import registry as generators
from generators.base import LEVELS, LevelList
from serg.accept import judge, trace_row
from serg.elaborate import Completion, ElaborationClient, Endpoint, Sampling
from serg.prompting import DEFAULT_VERSION, build_messages, template
from storage.catalog import connect
from storage.objects import arrow_dataset, save_figure
from storage.schema import CacheRow, TraceRow
from storage.shards import ShardInfo, table_files, write_shard


class SergConfig(BaseModel):
    """Parameters of a SERG run (the Prefect UI shows this as a typed form)."""

    model_config = ConfigDict(extra="forbid")
    endpoint: Endpoint
    sampling: Sampling = Field(default_factory=Sampling)
    mode: Literal["elaborate", "direct"] = Field("elaborate", description="direct = no skeleton (baseline)")
    prompt_version: str | None = Field(None, description="template version; default per mode")
    samples: int = Field(1, ge=1, le=64, description="pass@k: up to k samples until one is accepted")
    tasks: generators.TaskList = Field(default_factory=list, description="empty = every task in the store")
    levels: LevelList = Field(default_factory=lambda: list(LEVELS))
    split: str = Field("train")
    limit: int | None = Field(None, ge=1, description="at most this many instances per task and level")
    data_root: str = "data"
    ray_address: str | None = None
    workers: int = Field(2, ge=1, le=4096, description="chunks in flight at once")
    chunk_size: int = Field(32, ge=1, le=100_000)

    @field_validator("prompt_version")
    @classmethod
    def _exists(cls, version: str | None) -> str | None:
        if version is not None:
            template(version)
        return version

    def version(self) -> str:
        return self.prompt_version or DEFAULT_VERSION[self.mode]

    def source(self) -> str:
        return "elaborated" if self.mode == "elaborate" else "direct"


class SergChunk(BaseModel):
    task: str
    level: int
    ids: list[str]
    part: int


class TraceStat(BaseModel):
    task: str
    level: int
    accepted: bool
    status: str
    cached: bool
    failed: bool
    tokens_in: int | None
    tokens_out: int | None
    latency_s: float
    n_chars: int


class SergChunkResult(BaseModel):
    stats: list[TraceStat]
    shards: list[ShardInfo]
    seconds: float


def plan(config: SergConfig, root: Path) -> list[SergChunk]:
    """Instances of the selection that have no accepted trace for this model and prompt version
    and fewer than `samples` judged tries. A request that got no response (endpoint down,
    retries spent) does not use up a sample: the next run asks again."""
    con = connect(root)
    try:
        tasks = config.tasks or [r[0] for r in con.execute("SELECT DISTINCT task FROM instances").fetchall()]
        rows = con.execute("""
            WITH tries AS (
                SELECT instance_id, bool_or(accepted) AS accepted,
                       count(*) FILTER (WHERE coalesce(error, '') = '') AS n FROM traces
                WHERE model = ? AND prompt_version = ? AND source = ? AND sampling = ?
                GROUP BY instance_id)
            SELECT i.task, i.level, i.id FROM instances i LEFT JOIN tries t ON t.instance_id = i.id
            WHERE i.task IN (SELECT unnest(?)) AND i.level IN (SELECT unnest(?)) AND i.split = ?
              AND coalesce(t.accepted, false) = false AND coalesce(t.n, 0) < ?
            QUALIFY ? IS NULL OR row_number() OVER (PARTITION BY i.task, i.level ORDER BY i.index, i.id) <= ?
            ORDER BY i.task, i.level, i.index, i.id
        """, [config.endpoint.model, config.version(), config.source(), config.sampling.as_json(),
              tasks, config.levels, config.split, config.samples, config.limit, config.limit]).fetchall()
    finally:
        con.close()
    chunks: list[SergChunk] = []
    groups: dict[tuple[str, int], list[str]] = {}
    for task, level, id_ in rows:
        groups.setdefault((task, level), []).append(id_)
    for (task, level), ids in groups.items():
        for start in range(0, len(ids), config.chunk_size):
            chunks.append(SergChunk(task=task, level=level, ids=ids[start:start + config.chunk_size],
                                    part=len(chunks)))
    return chunks


def run_id(config: SergConfig, chunks: list[SergChunk]) -> str:
    """Unique per invocation: a rerun over the same instances must add shards, not overwrite the
    earlier run's (whose failed tries are history, and whose responses are already paid for)."""
    return stable_hash("serg", config.endpoint.model, config.version(), config.sampling.as_json(),
                       config.samples, [c.ids for c in chunks], uuid.uuid4().hex, digest_size=6)


def _read(root: Path, table: str, task: str, level: int, column: str, values: list[str],
          columns: list[str], extra=None) -> list[dict]:
    folder = root / table / f"task={task}" / f"level={level}"
    if not folder.is_dir():
        return []
    files = sorted(folder.glob("*.parquet"))
    condition = ds.field(column).isin(values)
    if extra is not None:
        condition = condition & extra
    return arrow_dataset(files).to_table(columns=columns, filter=condition).to_pylist()


def load_chunk(root: Path, chunk: SergChunk, multimodal: bool) -> tuple[list[dict], dict[str, str]]:
    """The chunk's instance rows (pictures only for multimodal models) and their skeletons."""
    columns = ["id", "task", "level", "split", "index", "question", "question_text", "answer",
               "initial_state"] + (["images"] if multimodal else [])
    rows = {r["id"]: r for r in _read(root, "instances", chunk.task, chunk.level, "id", chunk.ids, columns)}
    skeletons = {r["instance_id"]: r["text"] for r in _read(
        root, "traces", chunk.task, chunk.level, "instance_id", chunk.ids,
        ["instance_id", "text"], ds.field("source") == "skeleton")}
    return [rows[i] for i in chunk.ids if i in rows], skeletons


def cache_key(model: str, version: str, instance_id: str, sample: int, sampling: Sampling) -> str:
    return stable_hash("cache", model, version, instance_id, sample, sampling.key())


def load_cache(root: Path, chunk: SergChunk, keys: list[str]) -> dict[str, CacheRow]:
    rows = _read(root, "serg_cache", chunk.task, chunk.level, "id", keys, list(CacheRow.model_fields))
    return {r["id"]: CacheRow(**r) for r in rows}


def cached_completion(hit: CacheRow) -> Completion:
    """A stored response as the completion it was (no attempt made now)."""
    return Completion(text=hit.text, finish_reason=hit.finish_reason, tokens_in=hit.tokens_in,
                      tokens_out=hit.tokens_out, latency_s=hit.latency_s, attempts=0)


def cache_row(key: str, task: str, level: int, model: str, version: str, instance_id: str,
              sample: int, sampling: Sampling, completion: Completion) -> CacheRow:
    """The cache entry of a real answer (failures are never cached: a rerun asks again)."""
    return CacheRow(id=key, task=task, level=level, model=model, prompt_version=version,
                    instance_id=instance_id, sample=sample, sampling=sampling.as_json(),
                    text=completion.text, finish_reason=completion.finish_reason,
                    tokens_in=completion.tokens_in, tokens_out=completion.tokens_out,
                    latency_s=completion.latency_s)


async def elaborate_chunk(config: SergConfig, instances: list[dict], skeletons: dict[str, str],
                          cache: dict[str, CacheRow], in_flight: int
                          ) -> tuple[list[TraceRow], list[CacheRow], list[TraceStat]]:
    model, version, sampling = config.endpoint.model, config.version(), config.sampling
    task = generators.get(instances[0]["task"]) if instances else None
    traces, new_cache, stats = [], [], []

    async def one(client: ElaborationClient, inst: dict) -> None:
        messages = None
        for sample in range(config.samples):
            key = cache_key(model, version, inst["id"], sample, sampling)
            hit = cache.get(key)
            if hit is not None:
                completion = cached_completion(hit)
            else:
                if messages is None:
                    images = [im["bytes"] for im in inst.get("images") or []]
                    messages = build_messages(
                        version, question=inst["question"], question_text=inst["question_text"],
                        answer_format=task.answer_format, skeleton=skeletons.get(inst["id"]),
                        images=images, multimodal=config.endpoint.multimodal)
                completion = await client.complete(messages, sampling)
                if completion.text is not None:  # only real answers are cached, never failures
                    new_cache.append(cache_row(key, inst["task"], inst["level"], model, version,
                                               inst["id"], sample, sampling, completion))
            verdict = judge(inst["task"], inst["initial_state"], completion)
            row = trace_row(inst, source=config.source(), model=model, prompt_version=version,
                            sample=sample, sampling=sampling, completion=completion, verdict=verdict)
            traces.append(row)
            stats.append(TraceStat(task=row.task, level=row.level, accepted=row.accepted,
                                   status=row.status, cached=hit is not None,
                                   failed=completion.text is None, tokens_in=row.tokens_in,
                                   tokens_out=row.tokens_out, latency_s=completion.latency_s,
                                   n_chars=row.n_chars))
            if verdict.correct:
                break

    async with ElaborationClient(config.endpoint, in_flight=in_flight) as client:
        await asyncio.gather(*(one(client, inst) for inst in instances))
    order = {i["id"]: n for n, i in enumerate(instances)}
    traces.sort(key=lambda t: (order[t.instance_id], t.sample))  # deterministic shard content
    return traces, new_cache, stats


def run_chunk(chunk: SergChunk, config: SergConfig, run: str, root: Path, in_flight: int
              ) -> SergChunkResult:
    """One unit of fan-out work: elaborate a chunk and write its trace and cache shards."""
    started = time.perf_counter()
    instances, skeletons = load_chunk(root, chunk, config.endpoint.multimodal)
    if config.mode == "elaborate":
        missing = [i["id"] for i in instances if i["id"] not in skeletons]
        if missing:
            raise ValueError(f"{len(missing)} instances have no skeleton trace (e.g. {missing[0]})")
    keys = [cache_key(config.endpoint.model, config.version(), i["id"], s, config.sampling)
            for i in instances for s in range(config.samples)]
    cache = load_cache(root, chunk, keys)
    traces, new_cache, stats = asyncio.run(elaborate_chunk(config, instances, skeletons, cache, in_flight))
    shards = []
    if new_cache:  # cache first: a crash after it loses no paid-for response
        shards.append(write_shard(root, "serg_cache", new_cache, task=chunk.task, level=chunk.level,
                                  run_id=run, part=chunk.part))
    if traces:
        shards.append(write_shard(root, "traces", traces, task=chunk.task, level=chunk.level,
                                  run_id=f"{run}-serg", part=chunk.part))
    return SergChunkResult(stats=stats, shards=shards, seconds=time.perf_counter() - started)


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def summarize(stats: list[TraceStat], endpoint: Endpoint) -> list[dict]:
    """Per task and level: acceptance, failures, cache hits, tokens, latency percentiles, cost."""
    cells: dict[tuple[str, int], list[TraceStat]] = {}
    for s in stats:
        cells.setdefault((s.task, s.level), []).append(s)
    out = []
    for (task, level), group in sorted(cells.items()):
        requested = [s for s in group if not s.cached and not s.failed]
        latencies = [s.latency_s for s in requested]
        tin = sum(s.tokens_in or 0 for s in requested)
        tout = sum(s.tokens_out or 0 for s in requested)
        accepted_lengths = [s.n_chars for s in group if s.accepted]
        cost = None
        if endpoint.price_in_per_mtok is not None and endpoint.price_out_per_mtok is not None:
            cost = (tin * endpoint.price_in_per_mtok + tout * endpoint.price_out_per_mtok) / 1e6
        out.append({
            "task": task, "level": level, "traces": len(group),
            "accepted": sum(s.accepted for s in group),
            "acceptance_rate": sum(s.accepted for s in group) / len(group),
            "failed_requests": sum(s.failed for s in group),
            "cache_hits": sum(s.cached for s in group),
            "tokens_in": tin, "tokens_out": tout,
            "latency_p50_s": _pct(latencies, 0.5), "latency_p90_s": _pct(latencies, 0.9),
            "latency_p99_s": _pct(latencies, 0.99),
            "cost_usd": cost,
            "accepted_chars_median": statistics.median(accepted_lengths) if accepted_lengths else None,
            "accepted_chars_p90": _pct(accepted_lengths, 0.9),
        })
    return out


def length_plot(root: Path, path: Path, model: str | None = None) -> Path:
    """Mean trace length per task for skeleton, elaborated and direct traces (the paper's Fig. 8 kind)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    con = connect(root)
    try:
        rows = con.execute("""SELECT task, source, avg(n_chars) FROM traces
                              WHERE (source = 'skeleton' OR accepted) AND (? IS NULL OR source = 'skeleton' OR model = ?)
                              GROUP BY ALL ORDER BY ALL""", [model, model]).fetchall()
    finally:
        con.close()
    tasks = sorted({r[0] for r in rows})
    sources = ["skeleton", "elaborated", "direct"]
    value = {(t, s): v for t, s, v in rows}
    fig, ax = plt.subplots(figsize=(max(6, 0.5 * len(tasks) + 2), 4), constrained_layout=True)
    width = 0.27
    for k, source in enumerate(sources):
        ax.bar([i + (k - 1) * width for i in range(len(tasks))],
               [value.get((t, source), 0) for t in tasks], width, label=source)
    ax.set_xticks(range(len(tasks)), tasks, rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("mean characters (accepted traces)")
    ax.set_title("Trace length: rule-based skeleton vs elaborated vs direct")
    ax.legend()
    path.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, path, dpi=90)
    plt.close(fig)
    return path


def has_instances(root: Path) -> bool:
    return bool(table_files(root, "instances"))
