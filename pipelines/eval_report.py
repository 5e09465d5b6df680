"""Scoring and reporting of evaluation rows, as plain functions (no Prefect, no Ray).

Published scoring: a task's accuracy is the share of its instances answered correctly, except for
paired tasks (isomorphism), where the unit is the pair (a Yes and a No member built from one G1)
and a pair counts only when both members are right. Category and overall accuracies are the means
of the per-task accuracies (every task weighs the same, whatever its instance count); the same
rule gives accuracy per level. Reports come out as a Markdown table laid out like the paper's
Table 1 (one row per model, text and image columns per category, overall last), JSON, and PNGs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Iterable, Literal

from pydantic import BaseModel, Field

from generators import registry as generators
from common.hashing import stable_hash
from generators.base import CATEGORIES, LEVELS
from storage.catalog import connect
from storage.exchange import (Benchmark, ExchangeError, Member, jsonl_objects, load_benchmark,
                              read_instances)
from storage.objects import save_figure
from storage.schema import EvalRow
from storage.shards import ShardInfo, write_shard
from verifiers.registry import verify

Mode = Literal["image", "text"]
MODES: tuple[Mode, ...] = ("text", "image")
CATEGORY_TITLES = {"algorithms": "Algorithms", "graphs": "Graphs", "puzzles": "Puzzles", "games": "Games"}


class TaskScore(BaseModel):
    task: str
    category: str
    rows: int = Field(description="instances with a row")
    correct: int = Field(description="instances answered correctly")
    units: int = Field(description="scored units: instances, or pairs for paired tasks")
    units_correct: int
    accuracy: float
    by_level: dict[int, float]


class ModeReport(BaseModel):
    model: str
    mode: Mode
    benchmark: str
    rows: int
    members: int = Field(description="benchmark instances in the selection")
    overall: float | None = Field(description="mean of per-task accuracies")
    by_category: dict[str, float]
    by_level: dict[int, float]
    by_category_level: dict[str, dict[int, float]]
    tasks: dict[str, TaskScore]
    statuses: dict[str, int]
    failed_requests: int
    tokens_out_mean: float | None
    latency_mean_s: float | None


# -- pairs -----------------------------------------------------------------------------------

def pair_keys(members: Iterable[Member], states: dict[str, str]) -> dict[str, str]:
    """Pair key per member of a paired task: the state's `pair_id`, else (published files whose
    state lacks it) consecutive members of the task in index order, as the benchmark lays them out."""
    keys: dict[str, str] = {}
    position: dict[str, int] = {}
    for m in sorted(members, key=lambda m: m.index):
        if not generators.get(m.task).paired:
            continue
        k = position.get(m.task, 0)
        position[m.task] = k + 1
        try:
            pair_id = json.loads(states.get(m.id, "{}")).get("pair_id")
        except (json.JSONDecodeError, AttributeError):
            pair_id = None
        keys[m.id] = f"{m.task}:{pair_id}" if pair_id else f"{m.task}#{k // 2}"
    return keys


# -- loading ---------------------------------------------------------------------------------

def load_rows(root: Path, benchmark: str, models: list[str] | None = None,
              prompt_version: str | None = None, sampling: str | None = None) -> list[dict]:
    """One row per (model, mode, instance): a row with a response wins over a failed request,
    then the smallest id (so the choice is deterministic when a rerun wrote another row)."""
    con = connect(root)
    try:
        cursor = con.execute("""
            SELECT model, mode, instance_id, task, category, level, index, pair, correct, status,
                   error, tokens_out, latency_s
            FROM evals
            WHERE benchmark = ? AND (? IS NULL OR list_contains(?, model))
              AND (? IS NULL OR prompt_version = ?) AND (? IS NULL OR sampling = ?)
            QUALIFY row_number() OVER (PARTITION BY model, mode, instance_id
                                       ORDER BY (error = '') DESC, id) = 1
            ORDER BY model, mode, index""",
            [benchmark, models, models, prompt_version, prompt_version, sampling, sampling])
        columns = [d[0] for d in cursor.description]
        return [dict(zip(columns, r)) for r in cursor.fetchall()]
    finally:
        con.close()


# -- scoring ---------------------------------------------------------------------------------

def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _units(rows: list[dict], paired: bool) -> list[bool]:
    if not paired:
        return [bool(r["correct"]) for r in rows]
    pairs: dict[str, list[bool]] = {}
    for r in rows:
        pairs.setdefault(r["pair"] or r["instance_id"], []).append(bool(r["correct"]))
    return [all(v) for v in pairs.values()]


def score_mode(rows: list[dict], *, model: str, mode: Mode, benchmark: Benchmark,
               pair_members: dict[str, int] | None = None) -> ModeReport:
    """Score the rows of one model and mode. `pair_members` (pair key -> members in the
    benchmark) makes a pair with an unanswered member count as wrong."""
    by_task: dict[str, list[dict]] = {}
    for r in rows:
        by_task.setdefault(r["task"], []).append(r)
    tasks: dict[str, TaskScore] = {}
    for name in sorted(by_task, key=lambda n: generators.names().index(n)):
        group = by_task[name]
        paired = generators.get(name).paired
        if paired and pair_members:
            seen: dict[str, int] = {}
            for r in group:
                seen[r["pair"]] = seen.get(r["pair"], 0) + 1
            # a pair only half answered cannot be right
            group = group + [{**group[0], "pair": key, "correct": False, "instance_id": f"missing-{key}"}
                             for key, n in seen.items() if n < pair_members.get(key, n)]
        units = _units(group, paired)
        levels = {}
        for level in LEVELS:
            at = [r for r in group if r["level"] == level]
            if at:
                u = _units(at, paired)
                levels[level] = sum(u) / len(u)
        task_rows = by_task[name]
        tasks[name] = TaskScore(task=name, category=generators.get(name).category, rows=len(task_rows),
                                correct=sum(bool(r["correct"]) for r in task_rows), units=len(units),
                                units_correct=sum(units), accuracy=sum(units) / len(units),
                                by_level=levels)
    by_category = {c: _mean([t.accuracy for t in tasks.values() if t.category == c]) for c in CATEGORIES}
    by_category_level = {
        c: {lv: acc for lv in LEVELS
            if (acc := _mean([t.by_level[lv] for t in tasks.values()
                              if t.category == c and lv in t.by_level])) is not None}
        for c in CATEGORIES}
    by_level = {lv: acc for lv in LEVELS
                if (acc := _mean([t.by_level[lv] for t in tasks.values() if lv in t.by_level])) is not None}
    statuses: dict[str, int] = {}
    for r in rows:
        statuses[r["status"]] = statuses.get(r["status"], 0) + 1
    tokens = [r["tokens_out"] for r in rows if r.get("tokens_out") is not None]
    latency = [r["latency_s"] for r in rows if r.get("latency_s") is not None]
    return ModeReport(
        model=model, mode=mode, benchmark=benchmark.name, rows=len(rows),
        members=len(benchmark.members), overall=_mean([t.accuracy for t in tasks.values()]),
        by_category={c: v for c, v in by_category.items() if v is not None},
        by_level=by_level, by_category_level={c: v for c, v in by_category_level.items() if v},
        tasks=tasks, statuses=statuses, failed_requests=sum(bool(r.get("error")) for r in rows),
        tokens_out_mean=_mean(tokens), latency_mean_s=_mean(latency))


def benchmark_pairs(root: Path, benchmark: Benchmark) -> dict[str, int]:
    paired = [m for m in benchmark.members if generators.get(m.task).paired]
    states = {k: v["initial_state"] for k, v in
              read_instances(root, [m.id for m in paired], ["id", "initial_state"]).items()}
    sizes: dict[str, int] = {}
    for key in pair_keys(paired, states).values():
        sizes[key] = sizes.get(key, 0) + 1
    return sizes


def report(root: Path, benchmark: str | None, models: list[str] | None = None,
           prompt_version: str | None = None, sampling: str | None = None) -> list[ModeReport]:
    """Reports per model and mode from the store (models in the order given, modes text, image)."""
    bench = load_benchmark(root, benchmark)
    rows = load_rows(root, bench.name, models, prompt_version, sampling)
    found = sorted({r["model"] for r in rows})
    if models:
        missing = [m for m in models if m not in found]
        if missing:
            raise ExchangeError(f"no evaluation rows for model {missing[0]!r} on benchmark "
                                f"{bench.name!r} (models with rows: {', '.join(found) or 'none'})")
    sizes = benchmark_pairs(root, bench)
    out = []
    for model in models or found:
        for mode in MODES:
            selected = [r for r in rows if r["model"] == model and r["mode"] == mode]
            if selected:
                out.append(score_mode(selected, model=model, mode=mode, benchmark=bench,
                                      pair_members=sizes))
    return out


# -- rendering -------------------------------------------------------------------------------

def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def table1(reports: list[ModeReport]) -> str:
    """Accuracy (%) per category and overall, text and image side by side, one row per model."""
    head = ["Model"]
    for c in CATEGORIES:
        head += [f"{CATEGORY_TITLES[c]} txt", f"{CATEGORY_TITLES[c]} img"]
    head += ["Overall txt", "Overall img"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" + "--:|" * (len(head) - 1)]
    for model in dict.fromkeys(r.model for r in reports):
        mine = {r.mode: r for r in reports if r.model == model}
        cells = [model]
        for c in CATEGORIES:
            cells += [_pct(mine[m].by_category.get(c)) if m in mine else "-" for m in MODES]
        cells += [_pct(mine[m].overall) if m in mine else "-" for m in MODES]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def level_table(reports: list[ModeReport]) -> str:
    lines = ["| Model | Mode | " + " | ".join(f"L{lv}" for lv in LEVELS) + " |",
             "|---|---|" + "--:|" * len(LEVELS)]
    for r in reports:
        lines.append(f"| {r.model} | {r.mode} | " + " | ".join(_pct(r.by_level.get(lv)) for lv in LEVELS) + " |")
    return "\n".join(lines)


def task_table(reports: list[ModeReport]) -> str:
    columns = [(r.model, r.mode) for r in reports]
    lines = ["| Task | Category | " + " | ".join(f"{m} {mode}" for m, mode in columns) + " |",
             "|---|---|" + "--:|" * len(columns)]
    names = [n for n in generators.names() if any(n in r.tasks for r in reports)]
    for name in names:
        cells = []
        for r in reports:
            t = r.tasks.get(name)
            cells.append("-" if t is None else f"{_pct(t.accuracy)} ({t.units_correct}/{t.units})")
        lines.append(f"| {name} | {generators.get(name).category} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def markdown(reports: list[ModeReport]) -> str:
    if not reports:
        return "No evaluation rows.\n"
    bench = reports[0].benchmark
    notes = []
    for r in reports:
        notes.append(f"- {r.model} ({r.mode}): {r.rows} rows of {r.members} benchmark instances; "
                     f"statuses {dict(sorted(r.statuses.items()))}; {r.failed_requests} failed requests")
    return (f"# Evaluation on `{bench}`\n\nAccuracy in %. Overall and category scores are means of "
            f"per-task accuracies; isomorphism is scored by pairs (both members right).\n\n"
            f"{table1(reports)}\n\n## Accuracy per level\n\n{level_table(reports)}\n\n"
            f"## Accuracy per task (correct units / units)\n\n{task_table(reports)}\n\n"
            + "\n".join(notes) + "\n")


def plots(reports: list[ModeReport], folder: Path, stem: str) -> list[Path]:
    """Accuracy vs level per category (one panel per model and mode), and the image-minus-text gap."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    if not reports:
        return paths
    fig, axes = plt.subplots(1, len(reports), figsize=(4 * len(reports), 3.4), squeeze=False,
                             sharey=True, constrained_layout=True)
    for ax, r in zip(axes[0], reports):
        for c, levels in r.by_category_level.items():
            xs = sorted(levels)
            ax.plot(xs, [100 * levels[x] for x in xs], marker="o", label=CATEGORY_TITLES[c])
        ax.set_title(f"{r.model} ({r.mode})", fontsize=9)
        ax.set_xlabel("level")
        ax.set_xticks(list(LEVELS))
        ax.set_ylim(-3, 103)
    axes[0][0].set_ylabel("accuracy (%)")
    axes[0][-1].legend(fontsize=7)
    path = folder / f"{stem}-levels.png"
    save_figure(fig, path, dpi=90)
    plt.close(fig)
    paths.append(path)

    models = list(dict.fromkeys(r.model for r in reports))
    fig, ax = plt.subplots(figsize=(max(5, 1.6 * len(models) + 3), 3.4), constrained_layout=True)
    groups = list(CATEGORIES) + ["overall"]
    width = 0.8 / max(len(models), 1)
    for k, model in enumerate(models):
        mine = {r.mode: r for r in reports if r.model == model}
        gaps = []
        for g in groups:
            if "image" in mine and "text" in mine:
                get = (lambda r: r.overall) if g == "overall" else (lambda r, g=g: r.by_category.get(g))
                a, b = get(mine["image"]), get(mine["text"])
                gaps.append(100 * (a - b) if a is not None and b is not None else 0.0)
            else:
                gaps.append(0.0)
        ax.bar([i + k * width for i in range(len(groups))], gaps, width, label=model)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_xticks([i + width * (len(models) - 1) / 2 for i in range(len(groups))],
                  [CATEGORY_TITLES.get(g, "Overall") for g in groups])
    ax.set_ylabel("image - text accuracy (points)")
    ax.set_title("Image vs text-only gap")
    ax.legend(fontsize=7)
    path = folder / f"{stem}-gap.png"
    save_figure(fig, path, dpi=90)
    plt.close(fig)
    paths.append(path)
    return paths


# -- scoring predictions made elsewhere ------------------------------------------------------

class Prediction(BaseModel):
    index: int
    response: str


def read_predictions(path: Path) -> list[Prediction]:
    """JSONL of {"index", "response"} ("prediction" is accepted for "response"); errors name the line."""
    if not path.exists():
        raise ExchangeError(f"{path}: no such file")
    out, seen = [], {}
    for n, record in jsonl_objects(path):
        response = record.get("response", record.get("prediction"))
        if "index" not in record or response is None:
            missing = "index" if "index" not in record else "response"
            raise ExchangeError(f"{path.name} line {n}: missing {missing!r}")
        try:
            index = int(record["index"])
        except (TypeError, ValueError):
            raise ExchangeError(f"{path.name} line {n}: index {record['index']!r} is not an integer") from None
        if index in seen:
            raise ExchangeError(f"{path.name} line {n}: index {index} already given on line {seen[index]}")
        seen[index] = n
        out.append(Prediction(index=index, response=response if isinstance(response, str) else str(response)))
    return out


def eval_id(benchmark: str, model: str, mode: str, prompt_version: str, sampling: str,
            instance_id: str, outcome: str) -> str:
    return stable_hash("eval", benchmark, model, mode, prompt_version, sampling, instance_id, outcome)


def score_predictions(root: Path, path: Path, benchmark: str | None, model: str, mode: Mode,
                      store: bool = True) -> tuple[list[EvalRow], list[ShardInfo]]:
    """Judge a file of responses against a stored benchmark with helix's verifiers."""
    bench = load_benchmark(root, benchmark)
    predictions = read_predictions(path)
    by_index = {m.index: m for m in bench.members}
    for p in predictions:
        if p.index not in by_index:
            raise ExchangeError(f"{path.name}: index {p.index} is not in benchmark {bench.name!r} "
                                f"(indices {min(by_index)}..{max(by_index)})")
    members = [by_index[p.index] for p in predictions]
    paired = [m for m in bench.members if generators.get(m.task).paired]
    states = {k: v["initial_state"] for k, v in read_instances(
        root, [m.id for m in members + paired], ["id", "initial_state"]).items()}
    missing = [m for m in members if m.id not in states]
    if missing:
        raise ExchangeError(f"benchmark {bench.name!r}: index {missing[0].index} is not in the store")
    pairs = pair_keys(paired, states)
    rows = []
    for p, m in zip(predictions, members):
        verdict = verify(m.task, states[m.id], p.response)
        rows.append(EvalRow(
            id=eval_id(bench.name, model, mode, "external", "", m.id, p.response),
            benchmark=bench.name, model=model, mode=mode, source="file", prompt_version="external",
            sampling="", instance_id=m.id, task=m.task, category=generators.get(m.task).category,
            level=m.level, index=m.index, pair=pairs.get(m.id, ""), response=p.response,
            parsed=verdict.parsed, correct=verdict.correct, status=verdict.status,
            reason=verdict.reason, finish_reason="", tokens_in=None, tokens_out=None,
            latency_s=None, attempts=0, error=""))
    shards = write_eval_rows(root, rows, f"score-{stable_hash('score', [r.id for r in rows], digest_size=6)}") \
        if store else []
    return rows, shards


def write_eval_rows(root: Path, rows: list[EvalRow], run: str) -> list[ShardInfo]:
    groups: dict[tuple[str, int], list[EvalRow]] = {}
    for r in rows:
        groups.setdefault((r.task, r.level), []).append(r)
    return [write_shard(root, "evals", group, task=task, level=level, run_id=run, part=0)
            for (task, level), group in sorted(groups.items())]


def rows_as_dicts(rows: list[EvalRow]) -> list[dict]:
    keep = ("model", "mode", "instance_id", "task", "category", "level", "index", "pair", "correct",
            "status", "error", "tokens_out", "latency_s")
    return [{k: getattr(r, k) for k in keep} for r in rows]
