"""Prefect flow `build-benchmark`: a named benchmark drawn from the "benchmark" seed namespace,
checked disjoint (by instance id, the hash of the state) from every train/val instance in the store.

Plain functions first (config, plan, one chunk), then the flow, which mirrors `build-dataset`:
one Prefect task per batch of chunks, one Ray task per chunk, each writing its own shard and
returning only metadata. Disjointness is enforced while generating (an instance whose id is
already taken is replaced by one drawn from a reserve index range, whole pairs for paired tasks)
and then checked again over the raw shards; the check is part of the manifest and the artifact.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Literal

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from pydantic import BaseModel, ConfigDict, Field, field_validator

from flows.build import Level, TaskName, instance_rows
from flows.dataset import start_ray
from flows.progress import Progress
from generators import registry as generators
from common.hashing import stable_hash
from generators.base import CATEGORIES, LEVELS
from storage.exchange import Benchmark, Member, check_name, counts, save_benchmark
from storage.schema import InstanceRow
from storage.shards import ShardInfo, ensure_writable, resolve_root, table_files, write_manifest, write_shard

BATCH_CHUNKS = 64
# replacement draws use indices attempt * RESERVE + i: far from any planned index, parity kept
# (so a pair 2k, 2k+1 is replaced by another whole pair)
RESERVE = 1_000_000
MAX_REPLACEMENTS = 50


class BenchmarkConfig(BaseModel):
    """Parameters of a benchmark build (the Prefect UI shows this as a typed form)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, description="benchmark name; default helix-seed<seed>")
    tasks: list[str] = Field(default_factory=list, description="task names; empty = every registered task")
    levels: list[int] = Field(default_factory=lambda: list(LEVELS))
    per_level: int = Field(6, ge=1, le=100_000, description="instances per task and level (paired "
                                                             "tasks round up to whole pairs)")
    seed: int = Field(0, ge=0, le=2**62, description="global seed of the benchmark namespace")
    exclude_splits: list[str] = Field(default_factory=lambda: ["train", "val"],
                                      description="splits the benchmark must be disjoint from")
    data_root: str = "data"
    ray_address: str | None = None
    workers: int = Field(2, ge=1, le=4096)
    chunk_size: int = Field(2, ge=1, le=100_000, description="instances per Ray task")

    @field_validator("tasks")
    @classmethod
    def _known(cls, tasks: list[str]) -> list[str]:
        order = generators.names()
        return sorted(set(generators.require_known(tasks)), key=order.index)

    @field_validator("levels")
    @classmethod
    def _levels(cls, levels: list[int]) -> list[int]:
        bad = [lv for lv in levels if lv not in LEVELS]
        if bad or not levels:
            raise ValueError(f"levels must be within 1..5, got {bad[0] if bad else 'none'}")
        return sorted(set(levels))

    @field_validator("name")
    @classmethod
    def _name(cls, name: str | None) -> str | None:
        return None if name is None else check_name(name)

    def benchmark_name(self) -> str:
        return self.name or f"helix-seed{self.seed}"

    def task_names(self) -> list[str]:
        return self.tasks or generators.names()

    def count(self, task_name: str) -> int:
        paired = generators.get(task_name).paired
        return self.per_level + (self.per_level % 2 if paired else 0)

    def run_id(self) -> str:
        tasks = self.task_names()
        versions = {t: generators.get(t).version for t in tasks}
        return stable_hash("benchmark", self.benchmark_name(), tasks, self.levels, self.per_level,
                           self.seed, self.chunk_size, versions, digest_size=6)


class BenchChunk(BaseModel):
    task: str
    level: int
    start: int
    stop: int
    part: int


class BenchChunkResult(BaseModel):
    task: str
    level: int
    part: int
    members: list[tuple[int, str]] = Field(description="(planned index, instance id) in order")
    replaced: int = Field(description="draws replaced because their id was taken")
    skeleton_accepted: int = Field(description="solver answers the verifier accepted (self-check)")
    effort: int
    seconds: float
    shard: ShardInfo


def plan(config: BenchmarkConfig) -> list[BenchChunk]:
    chunks = []
    for name in config.task_names():
        paired = generators.get(name).paired
        size = config.chunk_size + (config.chunk_size % 2 if paired else 0)  # whole pairs
        n = config.count(name)
        for level in config.levels:
            for part, start in enumerate(range(0, n, size)):
                chunks.append(BenchChunk(task=name, level=level, start=start,
                                         stop=min(start + size, n), part=part))
    return sorted(chunks, key=lambda c: (-c.level, c.task, c.part))  # long chunks first


def build_chunk(chunk: BenchChunk, config: BenchmarkConfig, run_id: str, root: Path,
                taken: frozenset[str]) -> BenchChunkResult:
    """Draw the chunk's instances, replacing any whose id is in `taken` (train/val ids and
    benchmark ids claimed elsewhere) or repeats one drawn earlier in this chunk."""
    started = time.perf_counter()
    step = 2 if generators.get(chunk.task).paired else 1
    rows: list[InstanceRow] = []
    members: list[tuple[int, str]] = []
    seen: set[str] = set()
    replaced = accepted = effort = 0
    for planned in range(chunk.start, chunk.stop, step):
        for attempt in range(MAX_REPLACEMENTS + 1):
            first = planned + attempt * RESERVE
            group, traces, _ = instance_rows(chunk.task, chunk.level, range(first, first + step),
                                             "benchmark", config.seed)
            ids = [r.id for r in group]
            if not any(i in taken or i in seen for i in ids) and len(set(ids)) == len(ids):
                break
            replaced += 1
        else:
            raise RuntimeError(f"{chunk.task} level {chunk.level}: no fresh instance for index "
                               f"{planned} after {MAX_REPLACEMENTS} replacements")
        for k, (row, trace) in enumerate(zip(group, traces)):
            seen.add(row.id)
            rows.append(row)
            members.append((planned + k, row.id))
            accepted += int(trace.accepted)
            effort += row.effort
    shard = write_shard(root, "instances", rows, task=chunk.task, level=chunk.level,
                        run_id=run_id, part=chunk.part)
    return BenchChunkResult(task=chunk.task, level=chunk.level, part=chunk.part, members=members,
                            replaced=replaced,
                            skeleton_accepted=accepted, effort=effort,
                            seconds=time.perf_counter() - started, shard=shard)


def stored_ids(root: Path, splits: list[str], exclude_run: str | None = None) -> set[str]:
    """Ids of every stored instance of `splits`, read from the raw shards (the catalog view keeps
    one row per id, which could hide a train row behind a benchmark row with the same id)."""
    import pyarrow.dataset as ds

    files = [str(p) for p in table_files(root, "instances")
             if exclude_run is None or f"-{exclude_run}-" not in p.name]
    if not files or not splits:
        return set()
    table = ds.dataset(files, format="parquet").to_table(
        columns=["id"], filter=ds.field("split").isin(splits))
    return set(table.column("id").to_pylist())


def disjointness(root: Path, ids: list[str], splits: list[str]) -> dict:
    """The check recorded with the benchmark: overlaps with the excluded splits and repeats."""
    overlap = sorted(set(ids) & stored_ids(root, splits))
    return {"checked_against": splits, "instances": len(ids), "distinct": len(set(ids)),
            "overlap": len(overlap), "overlap_examples": overlap[:5],
            "disjoint": not overlap and len(set(ids)) == len(ids)}


def order_members(results: list[BenchChunkResult]) -> list[Member]:
    """Published order: registry task order, then level, then planned index; numbered from 0."""
    order = {n: i for i, n in enumerate(generators.names())}
    flat = sorted(((r.task, r.level, idx, id_) for r in results for idx, id_ in r.members),
                  key=lambda t: (order[t[0]], t[1], t[2]))
    return [Member(index=n, id=id_, task=t, level=lv) for n, (t, lv, _, id_) in enumerate(flat)]


def cross_chunk_repeats(results: list[BenchChunkResult]) -> dict[int, set[str]]:
    """Chunks (by position) holding an id that an earlier chunk (published order) already holds,
    with the ids to avoid on their rerun. Ids include the task, so only a task's own levels collide."""
    order = {n: i for i, n in enumerate(generators.names())}
    positions = sorted(range(len(results)), key=lambda i: (order[results[i].task], results[i].level,
                                                           results[i].members[0][0] if results[i].members else 0))
    owner: dict[str, int] = {}
    redo: dict[int, set[str]] = {}
    for pos in positions:
        for _, id_ in results[pos].members:
            if id_ in owner and owner[id_] != pos:
                redo.setdefault(pos, set()).update(owner)
            else:
                owner.setdefault(id_, pos)
    return redo


@task(name="benchmark-batch", task_run_name="benchmark-batch-{batch_no}", cache_policy=NO_CACHE)
def run_batch(batch_no: int, chunks: list[BenchChunk], config: BenchmarkConfig, run_id: str,
              root: str, taken_ref, progress: Progress | None = None) -> list[BenchChunkResult]:
    import ray

    remote = ray.remote(max_retries=3)(build_chunk)
    pending = {remote.remote(c, config, run_id, Path(root), taken_ref): c for c in chunks}
    results = []
    while pending:
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            chunk = pending.pop(ref)
            results.append(ray.get(ref))
            if progress:
                progress.advance(chunk.stop - chunk.start)
    return results


def summary_table(members: list[Member]) -> list[dict]:
    """Counts per category and level, laid out for the artifact."""
    rows = []
    for category in CATEGORIES:
        cells = [m for m in members if generators.get(m.task).category == category]
        if not cells:
            continue
        row: dict = {"category": category, "tasks": len({m.task for m in cells})}
        for level in LEVELS:
            row[f"L{level}"] = sum(m.level == level for m in cells)
        row["instances"] = len(cells)
        rows.append(row)
    return rows


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
    own_ray = start_ray(config.ray_address, config.workers)
    progress = Progress(total, "instances")
    try:
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
    finally:
        progress.close()
        if own_ray:
            ray.shutdown()
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

