"""The dataset build as plain functions: validate a config, plan chunks, build one chunk.

`build_chunk` is what a Ray worker runs: generate, solve, render, write the skeleton trace,
verify it, and write one instance shard and one trace shard; it returns only metadata (counts and
timings). The Prefect flow (flows/dataset.py) and `helix generate` both call these.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Literal, Sequence

from pydantic import BaseModel, ConfigDict, Field

from generators import registry as generators
from common.hashing import canonical_json, stable_hash
from generators.base import LEVELS, GenerationError, SortedLevelList, make_instance
from serg.elaborate import Endpoint
from serg.skeleton import build_skeleton
from storage.objects import arrow_dataset
from storage.schema import Image, InstanceRow, TraceRow
from storage.shards import ShardInfo, shard_path, write_shard
from verifiers import registry as verifiers

SKELETON_MODEL = "rule-based"
SKELETON_PROMPT_VERSION = "skeleton-v1"


# parameter types of the flows' Prefect forms: a choice of the registered tasks, a bounded level
TaskName = Literal[tuple(generators.names())]  # type: ignore[valid-type]
Level = Annotated[int, Field(ge=1, le=5)]


class BuildConfig(BaseModel):
    """Parameters of a dataset build (the Prefect UI shows this as a typed form)."""

    model_config = ConfigDict(extra="forbid")
    tasks: generators.SortedTaskList = Field(default_factory=list, description="task names; empty = every registered task")
    levels: SortedLevelList = Field(default_factory=lambda: list(LEVELS), description="difficulty levels 1..5")
    per_level: int = Field(4, description="instances per task and level", ge=1, le=1_000_000)
    split: Literal["train", "val", "benchmark"] = Field("train", description="seed namespace of the split")
    seed: int = Field(0, description="global seed", ge=0, le=2**62)
    data_root: str = Field("data", description="folder or s3://bucket/prefix that holds the shards")
    ray_address: str | None = Field(None, description="Ray cluster address; none = start Ray locally")
    workers: int = Field(2, description="Ray CPUs to use when Ray starts locally", ge=1, le=4096)
    chunk_size: int = Field(16, description="instances per Ray task (one shard per table)", ge=1, le=100_000)
    elaborate: Endpoint | None = Field(None, description="after building, elaborate traces (SERG) with this endpoint")

    def task_names(self) -> list[str]:
        return self.tasks or generators.names()

    def run_id(self) -> str:
        """Same parameters and task versions -> same id (so a rerun rewrites the same shards)."""
        tasks = self.task_names()
        versions = {t: generators.get(t).version for t in tasks}
        return stable_hash("build", tasks, self.levels, self.per_level, self.split, self.seed,
                           self.chunk_size, versions, digest_size=6)


class Chunk(BaseModel):
    """Cell `part` of the index grid [part * chunk_size, (part + 1) * chunk_size) of a task and
    level; `indices` are the ones still missing. A whole cell always writes the same shard name
    for a run, so a killed run resumes into exactly the bytes an uninterrupted one writes; a
    partly built cell (an index that failed to generate, a quarantined shard) writes under a
    name of its own and never replaces the rows already stored for the cell."""

    task: str
    level: int
    part: int
    indices: list[int]

    def shard_run_id(self, run_id: str, config: BuildConfig) -> str:
        start = self.part * config.chunk_size
        whole = list(range(start, min(start + config.chunk_size, config.per_level)))
        return run_id if self.indices == whole else f"{run_id}-{stable_hash('indices', self.indices, digest_size=4)}"


class FailedIndex(BaseModel):
    """An index whose every generation attempt was rejected (`GenerationError`)."""

    task: str
    level: int
    index: int
    reason: str


class BuildIncomplete(RuntimeError):
    """Raised after a build stored everything it could, when some indices failed to generate."""

    def __init__(self, failed: list[FailedIndex]):
        self.failed = failed
        shown = "; ".join(f"{f.task} level {f.level} index {f.index}" for f in failed[:5])
        more = f" and {len(failed) - 5} more" if len(failed) > 5 else ""
        super().__init__(f"{len(failed)} instance(s) could not be generated ({shown}{more}); "
                         f"first reason: {failed[0].reason}")


class ChunkResult(BaseModel):
    task: str
    level: int
    instances: int
    traces_accepted: int
    verdicts: dict[str, int]
    effort_sum: int
    steps_sum: int
    skeleton_chars_sum: int
    attempts_sum: int
    rejections: dict[str, int]
    seconds: dict[str, float]
    shards: list[ShardInfo]
    failed: list[FailedIndex] = []
    exhausted: list[FailedIndex] = []  # no fresh puzzle left for these indices (small levels)
    redrawn: int = 0  # draws replaced because their puzzle was taken or repeated
    ids: list[tuple[int, str]] = []  # (index, instance id) of the rows written


def plan_chunks(config: BuildConfig, present: set[tuple[str, int, int]] | None = None) -> list[Chunk]:
    """The grid cells with missing (task, level, index) rows, given what the store has."""
    present = present or set()
    chunks = []
    for task in config.task_names():
        for level in config.levels:
            for part, start in enumerate(range(0, config.per_level, config.chunk_size)):
                stop = min(start + config.chunk_size, config.per_level)
                missing = [i for i in range(start, stop) if (task, level, i) not in present]
                if missing:
                    chunks.append(Chunk(task=task, level=level, part=part, indices=missing))
    # big levels first: the long chunks start early and the tail of the run stays short
    return sorted(chunks, key=lambda c: (-c.level, c.task, c.part))


def present_rows(config: BuildConfig, root: Path) -> set[tuple[str, int, int]]:
    """(task, level, index) already stored for this split and seed at the current task versions:
    a task whose generator version changed counts as missing and is rebuilt."""
    from storage.catalog import connect

    versions = {t: generators.get(t).version for t in config.task_names()}
    # every stored row, not one per id: an index that drew a puzzle another index already drew
    # (hanoi level 1 has a few dozen) is built all the same, and must not be planned forever
    con = connect(root, dedupe=False)
    try:
        # a build writes an instance shard and its skeleton-trace shard; an instance whose trace
        # was lost (killed between the two writes, trace shard quarantined) is built again
        rows = con.execute("""SELECT DISTINCT task, level, index, task_version FROM instances
                              WHERE split = ? AND global_seed = ? AND id IN
                              (SELECT instance_id FROM traces WHERE source = 'skeleton')""",
                           [config.split, config.seed]).fetchall()
    finally:
        con.close()
    return {(t, lv, i) for t, lv, i, v in rows if versions.get(t) == v}


MAX_REDRAWS = 20  # replacement draws per index before the level counts as exhausted


def _draws(task, level: int, indices: Sequence[int], split: str, seed: int, taken: frozenset[str],
           stats: dict) -> list:
    """One instance per index whose puzzle is fresh: not `taken` (other splits, other indices
    already stored) and not drawn by an earlier index here. A repeat is redrawn (the members of
    a pair together), up to MAX_REDRAWS times; then the index is reported as exhausted and not
    stored: the level holds fewer distinct puzzles than asked. Deterministic in its arguments."""
    groups: dict[int, list[int]] = {}
    for index in indices:
        groups.setdefault(index // 2 if task.paired else index, []).append(index)
    seen: set[str] = set()
    out = []
    for members in groups.values():
        # a lone member of a pair whose partner is stored cannot be redrawn without it
        tries = 1 if task.paired and len(members) < 2 else MAX_REDRAWS + 1
        chosen = None
        try:
            for redraw in range(tries):
                drawn = [make_instance(task, level, split, i, seed, redraw=redraw) for i in members]
                ids = [d.id for d in drawn]
                if len(set(ids)) == len(ids) and not any(i in taken or i in seen for i in ids):
                    chosen = redraw, drawn
                    break
        except GenerationError as error:
            # deterministic in its seed, so retrying the chunk cannot help: build the others,
            # and report this index (the planner offers it again on the next run)
            stats["failed"].extend(FailedIndex(task=task.name, level=level, index=i, reason=str(error))
                                   for i in members)
            continue
        if chosen is None:
            stats["exhausted"].extend(FailedIndex(
                task=task.name, level=level, index=i,
                reason=f"every draw ({tries}) repeats a puzzle already stored or drawn: level {level} "
                       f"of {task.name} holds fewer distinct puzzles than asked") for i in members)
            continue
        redraw, drawn = chosen
        stats["redrawn"] += redraw * len(members)
        seen.update(d.id for d in drawn)
        out.extend(drawn)
    return out


def instance_rows(task_name: str, level: int, indices: Sequence[int], split: str, seed: int,
                  taken: frozenset[str] = frozenset()) -> tuple[list[InstanceRow], list[TraceRow], dict]:
    """Generate and verify instances, each a distinct puzzle not in `taken`; rows plus the stats
    of the work."""
    task = generators.get(task_name)
    instances, traces = [], []
    stats = {"verdicts": {}, "effort": 0, "steps": 0, "chars": 0, "attempts": 0, "rejections": {},
             "failed": [], "exhausted": [], "redrawn": 0,
             "seconds": {"generate": 0.0, "solve": 0.0, "render": 0.0, "skeleton": 0.0, "verify": 0.0}}
    for inst in _draws(task, level, indices, split, seed, taken, stats):
        index = inst.index
        for key, value in inst.seconds.items():
            stats["seconds"][key] += value
        t0 = time.perf_counter()
        skeleton = build_skeleton(task, inst.solution)
        t1 = time.perf_counter()
        state_json = canonical_json(inst.initial_state)
        verdict = verifiers.verify(task_name, json.loads(state_json), skeleton)
        t2 = time.perf_counter()
        stats["seconds"]["skeleton"] += t1 - t0
        stats["seconds"]["verify"] += t2 - t1
        stats["verdicts"][verdict.status] = stats["verdicts"].get(verdict.status, 0) + 1
        stats["effort"] += inst.solution.effort
        stats["steps"] += len(inst.solution.steps)
        stats["chars"] += len(skeleton)
        stats["attempts"] += inst.attempts
        for reason, n in inst.rejections.items():
            stats["rejections"][reason] = stats["rejections"].get(reason, 0) + n
        instances.append(InstanceRow(
            id=inst.id, task=task_name, category=inst.category, official_name=inst.official_name,
            task_version=inst.task_version, level=level, split=split, index=index, global_seed=seed,
            seed=inst.seed, question=inst.question_image, question_text=inst.question_text,
            answer=inst.solution.answer, initial_state=state_json,
            score_function=task.score_function, num_solutions=inst.solution.num_solutions,
            effort=inst.solution.effort, n_steps=len(inst.solution.steps),
            images=[Image(bytes=png, path=f"{inst.id}-{k}.png") for k, png in enumerate(inst.images)],
        ))
        traces.append(TraceRow(
            id=stable_hash("trace", inst.id, "skeleton", SKELETON_MODEL, SKELETON_PROMPT_VERSION, 0),
            instance_id=inst.id, task=task_name, level=level, split=split, source="skeleton",
            model=SKELETON_MODEL, prompt_version=SKELETON_PROMPT_VERSION, sample=0, text=skeleton,
            final_answer=verdict.parsed, accepted=verdict.correct, status=verdict.status,
            reason=verdict.reason, n_chars=len(skeleton),
        ))
    return instances, traces, stats


def build_chunk(chunk: Chunk, config: BuildConfig, run_id: str, root: Path,
                commit: bool = True, taken: frozenset[str] = frozenset()) -> ChunkResult:
    """One unit of fan-out work: rows for a task x level x index range, written as shards;
    puzzles in `taken` are redrawn. `commit=False` under the writer lock: releasing it commits
    every chunk in one snapshot."""
    instances, traces, stats = instance_rows(chunk.task, chunk.level, chunk.indices,
                                             config.split, config.seed, taken)
    t0 = time.perf_counter()
    name = chunk.shard_run_id(run_id, config)
    # a rerun that stores nothing (every index exhausted) still replaces what the first run wrote
    earlier = (root / shard_path("instances", chunk.task, chunk.level, name, chunk.part)).exists()
    shards = [
        write_shard(root, "instances", instances, task=chunk.task, level=chunk.level,
                    run_id=name, part=chunk.part, commit=False),
        write_shard(root, "traces", traces, task=chunk.task, level=chunk.level,
                    run_id=name, part=chunk.part, commit=commit),
    ] if instances or earlier else []
    stats["seconds"]["write"] = time.perf_counter() - t0
    return ChunkResult(
        task=chunk.task, level=chunk.level, instances=len(instances),
        traces_accepted=sum(t.accepted for t in traces), verdicts=stats["verdicts"],
        effort_sum=stats["effort"], steps_sum=stats["steps"], skeleton_chars_sum=stats["chars"],
        attempts_sum=stats["attempts"], rejections=stats["rejections"], seconds=stats["seconds"],
        shards=shards, failed=stats["failed"], exhausted=stats["exhausted"], redrawn=stats["redrawn"],
        ids=[(r.index, r.id) for r in instances],
    )


def taken_ids(config: BuildConfig, root: Path, chunks: list[Chunk]) -> frozenset[str]:
    """Puzzles a build must not draw again: every stored instance (any split, any seed) except
    the rows of the indices it is about to (re)build. Splits stay disjoint whichever was built
    first, and a split holds each puzzle once."""
    from storage.shards import table_files

    files = table_files(root, "instances")
    if not files:
        return frozenset()
    table = arrow_dataset(files).to_table(
        columns=["id", "split", "global_seed", "task", "level", "index"])
    planned = {(c.task, c.level, i) for c in chunks for i in c.indices}
    out = set()
    for id_, split, seed, task, level, index in zip(*(table[c].to_pylist() for c in table.column_names)):
        if not (split == config.split and seed == config.seed and (task, level, index) in planned):
            out.add(id_)
    return frozenset(out)


def redraw_repeats(results: list[ChunkResult], chunks: list[Chunk], taken: frozenset[str],
                   rerun) -> list[ChunkResult]:
    """Chunks run in parallel, so two of them may draw the same puzzle. In task, level, index
    order, a chunk holding a puzzle of an earlier chunk is rerun (`rerun(chunk, avoid)`, which
    rewrites its shards under the same name) avoiding every earlier chunk's puzzles: one ordered
    pass leaves no puzzle drawn twice."""
    order = {n: i for i, n in enumerate(generators.names())}
    by_cell = {(c.task, c.level, i): c for c in chunks for i in c.indices}
    positions = sorted((i for i in range(len(results)) if results[i].ids), key=lambda i: (
        order[results[i].task], results[i].level, results[i].ids[0][0]))
    earlier: set[str] = set()
    for pos in positions:
        r = results[pos]
        if any(id_ in earlier for _, id_ in r.ids):
            results[pos] = r = rerun(by_cell[(r.task, r.level, r.ids[0][0])], taken | frozenset(earlier))
        earlier.update(id_ for _, id_ in r.ids)
    return results


def summarize(results: list[ChunkResult]) -> list[dict]:
    """Per task and level: counts, acceptance, effort, and seconds per instance by stage."""
    cells: dict[tuple[str, int], dict] = {}
    for r in results:
        cell = cells.setdefault((r.task, r.level), {
            "task": r.task, "level": r.level, "instances": 0, "accepted": 0, "effort": 0,
            "steps": 0, "skeleton_chars": 0, "attempts": 0, "verifier_errors": 0, "seconds": {}})
        cell["instances"] += r.instances
        cell["accepted"] += r.traces_accepted
        cell["effort"] += r.effort_sum
        cell["steps"] += r.steps_sum
        cell["skeleton_chars"] += r.skeleton_chars_sum
        cell["attempts"] += r.attempts_sum
        cell["verifier_errors"] += r.verdicts.get("verifier_error", 0)
        for k, v in r.seconds.items():
            cell["seconds"][k] = cell["seconds"].get(k, 0.0) + v
    out = []
    for (task, level), c in sorted(cells.items(), key=lambda kv: (generators.names().index(kv[0][0]), kv[0][1])):
        n = max(c["instances"], 1)
        out.append({
            "task": task, "level": level, "instances": c["instances"],
            "accepted": c["accepted"], "verifier_errors": c["verifier_errors"],
            "mean_effort": c["effort"] / n, "mean_steps": c["steps"] / n,
            "mean_skeleton_chars": c["skeleton_chars"] / n, "mean_attempts": c["attempts"] / n,
            "seconds_per_instance": {k: v / n for k, v in sorted(c["seconds"].items())},
        })
    return out
