"""Held-out evaluation during training: how well the policy answers instances it never trains on.

Plain functions first:

- `held_out_sets(cfg, training)`: the prompts to evaluate, loaded once per run. The `eval.split`
  instances (default `val`) of the training prompts' tasks and levels, formatted exactly as the
  training prompts are (variant, prompt format, truncation), capped at `eval.per_task_level` per
  task and level by a seeded draw (a fixed, task-balanced set), and never an instance the run
  trains on (ids are hashes of the puzzle, so a puzzle stored in both splits is dropped). With
  `eval.benchmark`, a capped subset of that stored benchmark is a second set, reported apart.
- `evaluate_prompts(trainer, prompts, ...)`: greedy replies (argmax decoding, one per prompt)
  and, with `pass_k`, k samples per prompt at `eval.temperature`, from the trainer's rollout
  engine, judged by the reward's own verifiers (the trainer's reward pool).
- `summarise(verdicts)`: counts and accuracies per (source, task, level, category); `overall`.

`Evaluator` is the glue the training loop calls (training/ray_job.py): it evaluates at step 0,
every `eval.every` steps and at the end, writes `evals.jsonl` and one `train_evals` shard per
evaluation, and keeps the best policy by `eval.best_metric` as `checkpoints/best` (a checkpoint
like the step ones, written by `Trainer.save`) with `best.json` beside the run.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common.hashing import stable_hash
from storage.errors import OperatorError
from training.config import TrainConfig
from training.data import Prompt

if TYPE_CHECKING:
    from training.trainer import Trainer

log = logging.getLogger(__name__)

EVALS_FILE = "evals.jsonl"
BEST_FILE = "best.json"
BEST_DIR = "best"  # under checkpoints/


class EvalSetError(OperatorError, ValueError):
    """The held-out set cannot be built (reported in one line: the operator builds the data)."""


@dataclass
class EvalSet:
    name: str  # the split ("val") or "benchmark:<name>"
    prompts: list[Prompt]


@dataclass
class Verdict:
    """One prompt's evaluation: its greedy reply judged, and how many of its k samples are right."""

    id: str
    source: str
    task: str
    level: int
    category: str
    greedy: str  # the reply text
    greedy_correct: bool
    greedy_tokens: int
    greedy_truncated: bool
    k: int = 0
    k_correct: int = 0


# -- the held-out prompts ---------------------------------------------------------------------

def cap_per_task_level(prompts: list[Prompt], cap: int, seed: int) -> list[Prompt]:
    """At most `cap` prompts of each (task, level), drawn with a seed of their own: the same store
    gives the same set whatever else changes, and a new instance joins a cell only by the draw."""
    cells: dict[tuple[str, int], list[Prompt]] = defaultdict(list)
    for p in sorted(prompts, key=lambda p: (p.task, p.level, p.id)):
        cells[(p.task, p.level)].append(p)
    out = []
    for (task, level), members in sorted(cells.items()):
        rng = random.Random(stable_hash("eval-draw", seed, task, level))
        out += sorted(rng.sample(members, min(cap, len(members))), key=lambda p: p.id)
    return out


def held_out_sets(cfg: TrainConfig, training: list[Prompt]) -> list[EvalSet]:
    """The run's evaluation sets (see the module docstring). Empty when the run trains on no store
    instance (only external QA sets): there is no split to hold out then."""
    from training.data import load_store_prompts

    ev = cfg.eval
    store = [p for p in training if p.source == "helix"]
    if not store:
        return []
    if ev.split == cfg.data.split:
        raise EvalSetError(f"eval.split {ev.split} is the training split (data.split): the held-out "
                           "accuracy would be measured on training prompts; evaluate on val")
    tasks = ev.tasks or sorted({p.task for p in store})
    levels = ev.levels or cfg.data.levels
    trained = {p.id for p in training}

    def load(split: str) -> list[Prompt]:
        data = cfg.data.model_copy(update={"split": split, "tasks": tasks, "levels": levels,
                                           "max_prompts": None, "external": []})
        return [p for p in load_store_prompts(data) if p.id not in trained]

    where = f"the store under {cfg.data.data_root!r}"
    if cfg.data.release:
        where += f" (release {cfg.data.release})"
    held = cap_per_task_level(load(ev.split), ev.per_task_level, ev.seed)
    if not held:
        build = (f"`helix generate --split val --tasks {' '.join(tasks)} --levels "
                 f"{' '.join(map(str, levels))} --per-level {ev.per_task_level}`"
                 if ev.split == "val" else "`helix benchmark build`")
        raise EvalSetError(f"no held-out instances for evaluation: {where} has no {ev.split} instances "
                           f"of {', '.join(tasks)} at levels {', '.join(map(str, levels))} that the run does "
                           f"not train on; build them with {build}, or set eval.every: 0")
    sets = [EvalSet(ev.split, held)]
    if ev.benchmark:
        from storage.exchange import load_benchmark
        from storage.shards import resolve_root

        members = set(load_benchmark(resolve_root(cfg.data.data_root), ev.benchmark).ids())
        bench = cap_per_task_level([p for p in load("benchmark") if p.id in members],
                                   ev.benchmark_per_task_level, ev.seed)
        if not bench:
            raise EvalSetError(f"benchmark {ev.benchmark!r} has no instances of {', '.join(tasks)} at "
                               f"levels {', '.join(map(str, levels))} in {where}")
        sets.append(EvalSet(f"benchmark:{ev.benchmark}", bench))
    return sets


# -- generating and judging -------------------------------------------------------------------

def _generate(trainer: Trainer, prompts: list[Prompt], sampling):
    """The engine's groups for `prompts`. The engine is woken but not put back to sleep: after an
    evaluation it is where it was after the last weight push (awake, current weights), and a
    colocated vLLM engine discards its weights when it sleeps (level 2); the next step's generate
    sends it to sleep as usual."""
    encoded = [trainer._encode(p) for p in prompts]
    visions = [v for _, v in encoded]
    engine = trainer.rollout
    engine.wake()
    return engine.generate([ids for ids, _ in encoded], sampling,
                           visions if any(v is not None for v in visions) else None)


def evaluate_prompts(trainer: Trainer, prompts: list[Prompt], *, pass_k: int = 0,
                     temperature: float = 1.0, max_new_tokens: int | None = None,
                     seed: int = 0) -> list[Verdict]:
    """Judge the policy's greedy reply to each prompt and, with `pass_k`, k samples each at
    `temperature`. Uses this rank's view of the rollout engine: call it where that engine may
    be driven (any rank with its own engine; rank 0 of a shared one)."""
    from training.rollout.base import Sampling

    if not prompts:
        return []
    new = max_new_tokens or trainer.cfg.rollout.max_new_tokens
    decode = trainer.tok.decode
    greedy = [g[0] for g in _generate(trainer, prompts, Sampling(n=1, temperature=0, max_new_tokens=new))]
    texts = [decode(s.response_ids, skip_special_tokens=True) for s in greedy]
    rewards, _ = trainer.rewards.score(list(zip(prompts, texts)))
    right = [0] * len(prompts)
    if pass_k:
        sampled = _generate(trainer, prompts, Sampling(
            n=pass_k, temperature=temperature, max_new_tokens=new,
            seed=int(stable_hash("eval-samples", seed), 16) % 2**31))
        flat, _ = trainer.rewards.score([(p, decode(s.response_ids, skip_special_tokens=True))
                                         for p, g in zip(prompts, sampled) for s in g])
        right = [int(sum(flat[k * pass_k:(k + 1) * pass_k])) for k in range(len(prompts))]
    return [Verdict(id=p.id, source=p.source, task=p.task, level=p.level, category=p.category, greedy=t,
                    greedy_correct=r == 1.0, greedy_tokens=len(s.response_ids), greedy_truncated=s.truncated,
                    k=pass_k, k_correct=c)
            for p, t, r, s, c in zip(prompts, texts, rewards, greedy, right)]


def summarise(verdicts: list[Verdict]) -> list[dict[str, Any]]:
    """Counts and accuracies per (source, task, level, category), in that order."""
    cells: dict[tuple, list[Verdict]] = defaultdict(list)
    for v in verdicts:
        cells[(v.source, v.task, v.level, v.category)].append(v)
    out = []
    for (source, task, level, category), vs in sorted(cells.items()):
        n, k = len(vs), vs[0].k
        row = {"source": source, "task": task, "level": level, "category": category, "prompts": n,
               "greedy_correct": sum(v.greedy_correct for v in vs),
               "greedy_truncated": sum(v.greedy_truncated for v in vs),
               "greedy_len_mean": sum(v.greedy_tokens for v in vs) / n, "pass_k": k,
               "pass_k_correct": None, "pass_at_k": None, "sample_accuracy": None}
        row["greedy_accuracy"] = row["greedy_correct"] / n
        if k:
            row["pass_k_correct"] = sum(v.k_correct > 0 for v in vs)
            row["pass_at_k"] = row["pass_k_correct"] / n
            row["sample_accuracy"] = sum(v.k_correct for v in vs) / (n * k)
        out.append(row)
    return out


def overall(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """One evaluation set's numbers over all its prompts (from its `summarise` rows)."""
    n = sum(r["prompts"] for r in rows)
    k = max((r["pass_k"] for r in rows), default=0)
    out = {"prompts": n, "greedy": sum(r["greedy_correct"] for r in rows) / n if n else 0.0,
           "pass_k": k, "pass_at_k": None, "sample_accuracy": None}
    if k and n:
        out["pass_at_k"] = sum(r["pass_k_correct"] for r in rows) / n
        out["sample_accuracy"] = sum(r["sample_accuracy"] * r["prompts"] for r in rows) / n
    return out


# -- the loop's evaluator -----------------------------------------------------------------------

class Evaluator:
    """Evaluations of one run (called by every rank of `run_training`).

    Ranks: with a shared engine (`trainer.driver_only`: a Ray actor or vLLM driven by rank 0)
    rank 0 evaluates every prompt and the other ranks wait in the gather that follows; with an
    engine per rank (in-process HF, DDP or FSDP2) each rank judges its share of the prompts. Rank
    0 then writes the rows and decides whether the policy is the best so far; the best
    checkpoint is saved by every rank (a collective under FSDP2), so no rank waits alone."""

    def __init__(self, cfg: TrainConfig, trainer: Trainer, tracker=None):
        self.cfg, self.trainer = cfg, trainer
        self.tracker = tracker  # rank 0's TensorBoard / MLflow (training/tracking.py), or None
        self.rank, self.world = trainer.rank, trainer.world
        self.sets = held_out_sets(cfg, trainer.mixture.prompts)
        self.run_dir = cfg.run_dir()
        self.best: dict[str, Any] | None = None
        self.last: dict[str, Any] = {}
        self.evaluated: set[int] = set()
        self.seconds = 0.0  # wall time of this run's evaluations, best checkpoints included
        if self.rank == 0 and trainer.step_no > 0:
            self.best = read_best(self.run_dir, cfg.eval.best_metric)  # a resumed run keeps its best
        if self.rank == 0 and self.sets:
            log.info("evaluation sets: %s",
                     ", ".join(f"{s.name} ({len(s.prompts)} prompts)" for s in self.sets))
        elif self.rank == 0:
            log.warning("no held-out evaluation: the run trains on no store instance (external QA sets "
                        "have no held-out split)")

    def due(self, step: int) -> bool:
        if not self.sets or step in self.evaluated:
            return False
        if step == 0:
            return self.cfg.eval.at_start
        return step % self.cfg.eval.every == 0 or step == self.cfg.steps

    def maybe_run(self) -> dict[str, Any] | None:
        """Evaluate if this step is due (every rank calls it at the same point)."""
        step = self.trainer.step_no
        return self.run(step) if self.due(step) else None

    def run(self, step: int) -> dict[str, Any] | None:
        """One evaluation of every set; the summary on rank 0 (None elsewhere)."""
        from training.engine import all_gather_objects, gather_objects

        ev, trainer = self.cfg.eval, self.trainer
        started = time.perf_counter()
        shared = trainer.driver_only
        if not shared:
            # an in-process engine copy is built on first use with a weight push that is a
            # collective under FSDP2: every rank builds its own now, whatever its share
            trainer.rollout  # noqa: B018
        mine: list[tuple[str, list[Verdict]]] = []
        for s in self.sets:
            share = (s.prompts if self.rank == 0 else []) if shared else s.prompts[self.rank::self.world]
            mine.append((s.name, evaluate_prompts(trainer, share, pass_k=ev.pass_k, temperature=ev.temperature,
                                                  max_new_tokens=ev.max_new_tokens, seed=ev.seed)))
        ranks = gather_objects(mine)
        self.evaluated.add(step)
        summary, improved = None, False
        if self.rank == 0:
            seconds = time.perf_counter() - started
            verdicts = {name: [v for r in ranks for n, vs in r if n == name for v in vs] for name, _ in mine}
            summary = self._record(step, verdicts, seconds)
            improved = self._improved(summary)
        if all_gather_objects(improved)[0]:  # rank 0's decision, known to every rank
            self._save_best(step, summary)
        self.seconds += time.perf_counter() - started
        return summary

    def _record(self, step: int, verdicts: dict[str, list[Verdict]], seconds: float) -> dict[str, Any]:
        from storage.shards import resolve_root, write_shard

        cfg, run_id = self.cfg, self.cfg.run_id()
        rows, sets = [], {}
        for name, vs in verdicts.items():
            groups = summarise(vs)
            sets[name] = overall(groups)
            for g in groups:
                key = stable_hash("train_eval", run_id, step, name, g["source"], g["task"], g["level"])
                rows.append({"id": key, "run_id": run_id, "config_hash": cfg.config_hash(), "step": step,
                             "eval_set": name, **g, "eval_seconds": seconds,
                             "temperature": cfg.eval.temperature if g["pass_k"] else None})
        with open(self.run_dir / EVALS_FILE, "a") as handle:
            handle.writelines(json.dumps(r) + "\n" for r in rows)
        write_shard(resolve_root(cfg.data.data_root), "train_evals", rows, task=run_id, level=0,
                    run_id=run_id, part=step)
        self.last = {"step": step, "seconds": seconds, "sets": sets}
        if self.tracker is not None:  # eval/<set>/greedy, eval/<set>/greedy_by_task/<task>, ...
            self.tracker.log(step, {
                name: {**{k: v for k, v in total.items() if k not in ("pass_k", "prompts")},
                       "greedy_by_task": _by_task(verdicts[name])} for name, total in sets.items()},
                prefix="eval")
        split = sets[cfg.eval.split]
        log.info("eval step %d (%.1f s): %s greedy %.3f%s", step, seconds, cfg.eval.split, split["greedy"],
                 "" if split["pass_at_k"] is None else f", pass@{split['pass_k']} {split['pass_at_k']:.3f}")
        return self.last

    def _improved(self, summary: dict[str, Any]) -> bool:
        """Strictly better than the best so far (a tie keeps the earlier, less trained policy)."""
        value = metric_value(summary, self.cfg.eval)
        return self.best is None or value > self.best["value"]

    def _save_best(self, step: int, summary: dict[str, Any] | None) -> None:
        from storage.shards import write_json_atomic

        cfg = self.cfg
        self.trainer.save(self.run_dir / "checkpoints" / BEST_DIR)
        if self.rank != 0:
            return
        step_ckpt = self.run_dir / "checkpoints" / f"step-{step:06d}"
        self.best = {"run_id": cfg.run_id(), "step": step, "metric": cfg.eval.best_metric,
                     "eval_set": cfg.eval.split, "value": metric_value(summary, cfg.eval),
                     "checkpoint": str(self.run_dir / "checkpoints" / BEST_DIR),
                     # the step checkpoint holding the same weights, when one was written at that step
                     "step_checkpoint": step_ckpt.name if step and step_ckpt.is_dir() else None}
        # written after the checkpoint: a crash between the two leaves a best folder at least as
        # good as best.json says, never a best.json without its folder
        write_json_atomic(self.run_dir / BEST_FILE, self.best)


def _by_task(verdicts: list[Verdict]) -> dict[str, float]:
    cells: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for v in verdicts:
        cells[v.task][0] += v.greedy_correct
        cells[v.task][1] += 1
    return {task: c / n for task, (c, n) in sorted(cells.items())}


def metric_value(summary: dict[str, Any], ev) -> float:
    split = summary["sets"][ev.split]
    return float(split["greedy"] if ev.best_metric == "greedy" else split["pass_at_k"])


def read_best(run_dir: Path, metric: str) -> dict[str, Any] | None:
    """The best so far of a resumed run (None when there is none, or its checkpoint is gone)."""
    path = run_dir / BEST_FILE
    if not path.exists() or not (run_dir / "checkpoints" / BEST_DIR / "state.pt").exists():
        return None
    best = json.loads(path.read_text())
    return best if best.get("metric") == metric else None


def read_evals(run_dir: Path) -> list[dict[str, Any]]:
    """The run's evaluation rows from `evals.jsonl` (a resumed run's re-evaluations replace the
    earlier rows of the same step and group)."""
    path = Path(run_dir) / EVALS_FILE
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()] if path.exists() else []
    return list({r["id"]: r for r in rows}.values())


def curves(rows: list[dict[str, Any]]) -> dict[str, dict[str, list[tuple[int, float]]]]:
    """Per evaluation set, `greedy` / `pass_at_k` overall and `greedy/<task>` per task, as
    (step, accuracy) series sorted by step."""
    by: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for r in rows:
        by[(r["eval_set"], r["step"])].append(r)
    out: dict[str, dict[str, list[tuple[int, float]]]] = defaultdict(lambda: defaultdict(list))
    for (name, step), group in sorted(by.items(), key=lambda kv: (kv[0][0], kv[0][1])):
        total = overall(group)
        out[name]["greedy"].append((step, total["greedy"]))
        if total["pass_at_k"] is not None:
            out[name][f"pass@{total['pass_k']}"].append((step, total["pass_at_k"]))
        tasks: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for r in group:
            tasks[r["task"]][0] += r["greedy_correct"]
            tasks[r["task"]][1] += r["prompts"]
        for task, (c, n) in sorted(tasks.items()):
            out[name][f"greedy/{task}"].append((step, c / n))
    return {k: dict(v) for k, v in out.items()}
