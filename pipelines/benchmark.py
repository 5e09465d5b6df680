"""The benchmark build as plain functions (no Prefect, no Ray): a named benchmark drawn from the
"benchmark" seed namespace, kept disjoint (by instance id, the hash of the state) from every
train/val instance in the store.

Config, plan and one chunk: a chunk draws its instances, replacing any whose id is already taken
by one drawn from a reserve index range (whole pairs for paired tasks), and writes one shard.
The disjointness check over the raw shards and the published member order are here too; the
Prefect flow `build-benchmark` (flows/benchmark.py) fans chunks out over Ray.
"""

from __future__ import annotations

import time
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

from common.hashing import stable_hash
from generators import registry as generators
from generators.base import CATEGORIES, LEVELS, SortedLevelList
from pipelines.build import instance_rows
from storage.exchange import Member, check_name
from storage.objects import arrow_dataset
from storage.schema import InstanceRow
from storage.shards import ShardInfo, table_files, write_shard

# replacement draws use indices attempt * RESERVE + i: far from any planned index, parity kept
# (so a pair 2k, 2k+1 is replaced by another whole pair)
RESERVE = 1_000_000
MAX_REPLACEMENTS = 50


class BenchmarkConfig(BaseModel):
    """Parameters of a benchmark build (the Prefect UI shows this as a typed form)."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(None, description="benchmark name; default helix-seed<seed>")
    tasks: generators.SortedTaskList = Field(default_factory=list, description="task names; empty = every registered task")
    levels: SortedLevelList = Field(default_factory=lambda: list(LEVELS))
    per_level: int = Field(6, ge=1, le=100_000, description="instances per task and level (paired "
                                                             "tasks round up to whole pairs)")
    seed: int = Field(0, ge=0, le=2**62, description="global seed of the benchmark namespace")
    exclude_splits: list[str] = Field(default_factory=lambda: ["train", "val"],
                                      description="splits the benchmark must be disjoint from")
    data_root: str = "data"
    ray_address: str | None = None
    workers: int = Field(2, ge=1, le=4096)
    chunk_size: int = Field(2, ge=1, le=100_000, description="instances per Ray task")

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

    files = [p for p in table_files(root, "instances")
             if exclude_run is None or f"-{exclude_run}-" not in p.name]
    if not files or not splits:
        return set()
    table = arrow_dataset(files).to_table(
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
