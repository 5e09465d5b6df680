"""The learning demonstration: does a small policy trained by AHPO (and its baselines) answer
instances it never saw better than a constant answer per task? Real trainer, real verifiers,
held-out evaluation, several seeds, on CPU.

Setting (why, in bench/RESULTS_training.md):
- tasks h_index and count_hills_and_valleys at level 1: short states (about 35 characters), seven
  distinct answers each, the most common one right for only about a quarter to a third of the
  instances, so a constant answer is a weak but honest floor and memorisation cannot pass for
  learning;
- `data.prompt_format: state` (the task's name and its state as compact JSON): the whole instance
  fits the tiny policy, which reads characters;
- 4,000 training instances per task (built after the 300 held-out `val` instances per task, so the
  training build redraws any puzzle the val split holds: the two are disjoint);
- tiny Qwen2-architecture policy (2 layers, hidden 128, 312K parameters), answer-only expert
  replies (`\\boxed{N}`), 800 steps of 16 prompts, lr 1e-3 with 50 warm-up steps and cosine decay,
  n_on = 4, R_hat = 1, 10 new tokens; sft_then_grpo has 100 SFT steps first;
- greedy accuracy on the 300 held-out instances per task at the end (and every 200 steps).

    .venv/bin/python bench/learning_demo.py                      # 5 methods x 3 seeds, 2 at a time
    .venv/bin/python bench/learning_demo.py --methods ahpo --seeds 0   # one run

Each run is its own process with one torch thread; results go to --out (one JSON per run, with
its per-step metrics and held-out curve) and the table to stdout and <out>/table.md. About 3-4 CPU minutes per run on the project's machine.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TASKS = ["h_index", "count_hills_and_valleys"]
METHODS = ["sft", "grpo", "sft_then_grpo", "static_ahpo", "ahpo"]


def build_store(data: Path, train_per_level: int, val_per_level: int) -> None:
    """The held-out split first, then the training split (which redraws puzzles val holds)."""
    helix = [sys.executable, "-m", "cli.main", "generate", "--tasks", *TASKS, "--levels", "1",
             "--seed", "0", "--data-root", str(data)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    for split, per_level, chunk in (("val", val_per_level, val_per_level),
                                    ("train", train_per_level, 1000)):
        subprocess.run([*helix, "--split", split, "--per-level", str(per_level), "--chunk-size",
                        str(chunk)], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def data_config(data: Path, split: str) -> dict:
    return {"data_root": str(data), "tasks": TASKS, "levels": [1], "split": split,
            "expert_format": "answer_only", "prompt_format": "state", "max_prompt_tokens": 128,
            "truncation_side": "left"}


def held_out(data: Path, per_task: int):
    from training.config import DataConfig
    from training.data import load_prompts

    by_task = collections.defaultdict(list)
    for p in load_prompts(DataConfig(**data_config(data, "val"))):
        by_task[p.task].append(p)
    return [p for t in TASKS for p in by_task[t][:per_task]]


def constant_baseline(train, val) -> dict:
    """The most common training answer of each task, judged on the held-out instances."""
    from verifiers.registry import verify

    out = {}
    for task in TASKS:
        answer = collections.Counter(p.expert for p in train if p.task == task).most_common(1)[0][0]
        cases = [p for p in val if p.task == task]
        out[task] = {"answer": answer,
                     "accuracy": sum(verify(task, p.initial_state, answer).correct for p in cases) / len(cases)}
    return out


def greedy_accuracy(trainer, prompts, max_new_tokens: int) -> dict:
    from training.evaluation import evaluate_prompts

    verdicts = evaluate_prompts(trainer, prompts, max_new_tokens=max_new_tokens)
    out = {}
    for task in TASKS:
        mine = [v for v in verdicts if v.task == task]
        out[task] = {"accuracy": sum(v.greedy_correct for v in mine) / len(mine),
                     "boxed": sum("\\boxed{" in v.greedy for v in mine) / len(mine),
                     "answers": collections.Counter(v.greedy for v in mine).most_common(4)}
    return out


def one_run(args) -> dict:
    """One method and seed: train, evaluate on the held-out instances, return the numbers."""
    import torch

    torch.set_num_threads(1)
    from training.config import TrainConfig
    from training.data import load_prompts
    from training.trainer import Trainer

    started, cpu0 = time.perf_counter(), time.process_time()
    data = Path(args.data)
    cfg = TrainConfig.model_validate({
        "name": f"demo-{args.method}", "seed": args.seed, "steps": args.steps,
        "prompts_per_step": args.prompts_per_step, "output_dir": tempfile.mkdtemp(prefix="helix-demo-"),
        "policy": {"tiny": {"layers": 2, "hidden": 128, "heads": 4, "seed": args.seed}},
        "data": data_config(data, "train"),
        "rollout": {"n_on": 4, "max_new_tokens": args.max_new_tokens, "temperature": 1.0},
        "reward": {"workers": 0},
        "algo": {"algorithm": args.method, "r_hat": 1, "sft_steps": args.sft_steps},
        "optim": {"lr": args.lr, "grad_clip": 1.0, "schedule": "cosine", "warmup_steps": 50}})
    train = load_prompts(cfg.data)
    val = held_out(data, args.val_per_task)
    assert not {p.id for p in val} & {p.id for p in train}, "a held-out instance is a training prompt"
    trainer = Trainer(cfg, prompts=train)
    steps, curve = [], []
    for k in range(args.steps):
        m = trainer.step()
        steps.append({key: m[key] for key in ("step", "phase", "reward_mean", "gate_on_fraction", "loss", "lr")})
        if args.eval_every and (k + 1) % args.eval_every == 0 and k + 1 < args.steps:
            acc = greedy_accuracy(trainer, val, args.max_new_tokens)
            curve.append({"step": k + 1, **{t: v["accuracy"] for t, v in acc.items()}})
            print(f"{args.method} seed {args.seed} step {k + 1}: "
                  + " ".join(f"{t} {v['accuracy']:.3f}" for t, v in acc.items()), flush=True)
    final = greedy_accuracy(trainer, val, args.max_new_tokens)
    trainer.close()
    last = steps[-50:]
    return {"method": args.method, "seed": args.seed, "train_prompts": len(train), "held_out": len(val),
            "constant": constant_baseline(train, val), "final": final, "curve": curve,
            "train_reward_last50": statistics.mean(r["reward_mean"] for r in last),
            "gate_on_last50": statistics.mean(r["gate_on_fraction"] for r in last),
            "wall_s": time.perf_counter() - started, "cpu_s": time.process_time() - cpu0,
            "steps": steps}


def table(results: list[dict]) -> str:
    const = results[0]["constant"]
    lines = ["| method | " + " | ".join(TASKS) + " | train reward (last 50 steps) | gate on (last 50) | CPU s per run |",
             "|---" * (len(TASKS) + 4) + "|",
             "| constant (most common training answer) | " + " | ".join(
                 f"{const[t]['accuracy']:.3f} (`{const[t]['answer']}`)" for t in TASKS) + " | | | |"]
    by_method = collections.defaultdict(list)
    for r in results:
        by_method[r["method"]].append(r)
    for method in [m for m in METHODS if m in by_method] + [m for m in by_method if m not in METHODS]:
        runs = by_method[method]
        cells = []
        for t in TASKS:
            xs = [r["final"][t]["accuracy"] for r in runs]
            spread = statistics.stdev(xs) if len(xs) > 1 else 0.0
            cells.append(f"{statistics.mean(xs):.3f} ± {spread:.3f} [{min(xs):.3f}, {max(xs):.3f}]")
        lines.append(f"| {method} ({len(runs)} seeds) | " + " | ".join(cells)
                     + f" | {statistics.mean(r['train_reward_last50'] for r in runs):.2f}"
                     + f" | {statistics.mean(r['gate_on_last50'] for r in runs):.2f}"
                     + f" | {statistics.mean(r['cpu_s'] for r in runs):.0f} |")
    return "\n".join(lines)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--methods", default=",".join(METHODS))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--jobs", type=int, default=2, help="runs at once (one torch thread each)")
    p.add_argument("--steps", type=int, default=800)
    p.add_argument("--prompts-per-step", type=int, default=16)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--sft-steps", type=int, default=100, help="sft_then_grpo: SFT steps first")
    p.add_argument("--max-new-tokens", type=int, default=10)
    p.add_argument("--eval-every", type=int, default=200)
    p.add_argument("--train-per-level", type=int, default=4000)
    p.add_argument("--val-per-task", type=int, default=300)
    p.add_argument("--data", help="the store (built there when empty; default: a temporary folder)")
    p.add_argument("--out", help="folder for one JSON per run and table.md (default: a temporary folder)")
    # one run (the children)
    p.add_argument("--method", help=argparse.SUPPRESS)
    p.add_argument("--seed", type=int, help=argparse.SUPPRESS)
    p.add_argument("--result", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.method:
        Path(args.result).write_text(json.dumps(one_run(args)))
        return
    out = Path(args.out or tempfile.mkdtemp(prefix="helix-demo-out-"))
    out.mkdir(parents=True, exist_ok=True)
    print(f"runs write to {out}", flush=True)
    data = Path(args.data or tempfile.mkdtemp(prefix="helix-demo-data-"))
    if not (data / "instances").exists():
        build_store(data, args.train_per_level, args.val_per_task)
    runs = [(m, int(s)) for m in args.methods.split(",") for s in args.seeds.split(",")]
    pending, active, results = list(runs), [], []
    while pending or active:
        while pending and len(active) < args.jobs:
            method, seed = pending.pop(0)
            result = out / f"{method}_s{seed}.json"
            cmd = [sys.executable, __file__, "--data", str(data), "--method", method, "--seed", str(seed),
                   "--result", str(result), *_forwarded(args)]
            active.append((method, seed, result, subprocess.Popen(cmd, cwd=ROOT)))
        time.sleep(2)
        for item in list(active):
            method, seed, result, proc = item
            if proc.poll() is not None:
                active.remove(item)
                if proc.returncode != 0:
                    raise SystemExit(f"{method} seed {seed} failed (exit {proc.returncode})")
                results.append(json.loads(result.read_text()))
                r = results[-1]
                print(f"{method} seed {seed}: " + ", ".join(
                    f"{t} {r['final'][t]['accuracy']:.3f}" for t in TASKS)
                    + f" ({r['cpu_s']:.0f} CPU s)", flush=True)
    text = table(results)
    (out / "table.md").write_text(text + "\n")
    print(text)


def _forwarded(args) -> list[str]:
    """The settings every child run takes (so one run reproduces its row of the table)."""
    return ["--steps", str(args.steps), "--prompts-per-step", str(args.prompts_per_step), "--lr", str(args.lr),
            "--sft-steps", str(args.sft_steps), "--max-new-tokens", str(args.max_new_tokens),
            "--eval-every", str(args.eval_every), "--val-per-task", str(args.val_per_task)]


if __name__ == "__main__":
    main()
