"""The learning demonstration (not a test): GRPO, SFT, static AHPO and AHPO on the tiny policy
under sparse reward, on a small fixed prompt set from real tasks, on CPU.

A random tiny policy never writes a verifiable answer, so GRPO's groups are all-zero and carry no
signal; the expert term teaches the answer format and the answers; AHPO's gate should switch off
for prompts the policy starts solving. Writes bench/learning_demo.png and prints a summary table.

    .venv/bin/python bench/learning_demo.py --steps 150
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
TASKS = ["h_index", "count_hills_and_valleys", "best_time_to_buy_and_sell_stock", "trapping_rain_water"]


def build_store(root: Path) -> None:
    from flows.build import BuildConfig, build_chunk, plan_chunks

    cfg = BuildConfig(tasks=TASKS, levels=[1], per_level=2, seed=11, data_root=str(root), chunk_size=2)
    for chunk in plan_chunks(cfg):
        build_chunk(chunk, cfg, cfg.run_id(), root)


def run(algorithm: str, steps: int, root: Path, out: Path) -> list[dict]:
    from training.config import TrainConfig
    from training.trainer import Trainer

    cfg = TrainConfig.model_validate({
        "name": f"demo-{algorithm}", "seed": 0, "steps": steps, "prompts_per_step": 4,
        "output_dir": str(out),
        "data": {"data_root": str(root), "tasks": TASKS, "levels": [1], "max_prompts": 8,
                 "expert_format": "answer_only", "max_prompt_tokens": 96, "truncation_side": "left"},
        "rollout": {"n_on": 5, "max_new_tokens": 10, "temperature": 1.0},
        "reward": {"workers": 0}, "algo": {"algorithm": algorithm, "r_hat": 2},
        "optim": {"lr": 3e-3, "grad_clip": 1.0}})
    trainer = Trainer(cfg)
    rows = []
    started = time.perf_counter()
    for _ in range(steps):
        m = trainer.step()
        rows.append({k: m[k] for k in ("step", "reward_mean", "gate_on_fraction", "loss",
                                       "expert_tokens", "rollout_tokens", "entropy")})
        if m["step"] % 25 == 0:
            print(f"{algorithm:>12} step {m['step']:4d} reward {m['reward_mean']:.2f} "
                  f"gate {m['gate_on_fraction']:.2f} ({time.perf_counter() - started:.0f} s)", flush=True)
    trainer.close()
    return rows


def smooth(values: list[float], k: int = 10) -> list[float]:
    return [sum(values[max(0, i - k + 1): i + 1]) / len(values[max(0, i - k + 1): i + 1])
            for i in range(len(values))]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--steps", type=int, default=150)
    p.add_argument("--algorithms", default="grpo,sft,static_ahpo,ahpo")
    p.add_argument("--out", default=str(HERE / "learning_demo.png"))
    args = p.parse_args()
    torch.set_num_threads(1)  # the machine is shared; one thread is as fast for a model this size
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves: dict[str, list[dict]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "data"
        build_store(root)
        for algorithm in args.algorithms.split(","):
            t0 = time.perf_counter()
            curves[algorithm] = run(algorithm, args.steps, root, Path(tmp) / "runs")
            print(f"{algorithm}: {time.perf_counter() - t0:.0f} s", flush=True)
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 4))
    for name, rows in curves.items():
        ax1.plot([r["step"] for r in rows], smooth([r["reward_mean"] for r in rows]), label=name)
        if name in ("ahpo", "static_ahpo"):
            ax2.plot([r["step"] for r in rows], smooth([r["gate_on_fraction"] for r in rows]), label=name)
    ax1.set(title="mean reward (10-step moving average)", xlabel="step", ylim=(-0.02, 1.02))
    ax2.set(title="gate-on fraction", xlabel="step", ylim=(-0.02, 1.02))
    ax1.legend()
    ax2.legend()
    fig.tight_layout()
    fig.savefig(args.out, dpi=90)
    summary = {name: {"first20_reward": sum(r["reward_mean"] for r in rows[:20]) / 20,
                      "last20_reward": sum(r["reward_mean"] for r in rows[-20:]) / 20,
                      "last20_gate_on": sum(r["gate_on_fraction"] for r in rows[-20:]) / 20}
               for name, rows in curves.items()}
    print(json.dumps(summary, indent=1))
    (Path(args.out).with_suffix(".json")).write_text(json.dumps({"summary": summary, "curves": curves}))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
