"""A training run's results as tables and pictures: the logged steps, the held-out evaluation
curves, the run summary's lines. Plain functions over a run folder (steps.jsonl, evals.jsonl):
the `train` flow publishes them as Prefect artifacts, and anyone can call them on a finished run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from storage.objects import save_figure


def read_steps(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "steps.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []
    return list({r["step"]: r for r in rows}.values())  # a resumed run re-logs its steps


def plot_curves(rows: list[dict[str, Any]], out: Path, title: str,
                evals: dict[str, dict[str, list[tuple[int, float]]]] | None = None) -> Path:
    """Reward, gate and loss by step; with `evals` (training.evaluation.curves) one more panel per
    evaluation set: greedy and pass@k accuracy overall (bold) and greedy per task (thin)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    evals = evals or {}
    fig, axes = plt.subplots(1, 3 + len(evals), figsize=(13 + 4.3 * len(evals), 3.6), squeeze=False)
    axes = axes[0]
    steps = [r["step"] for r in rows]
    for ax, key in zip(axes, ("reward_mean", "gate_on_fraction", "loss")):
        ax.plot(steps, [r[key] for r in rows])
        ax.set_title(key)
        ax.set_xlabel("step")
    for ax, (name, series) in zip(axes[3:], sorted(evals.items())):
        for key, points in series.items():
            xs, ys = zip(*points)
            overall = "/" not in key
            ax.plot(xs, ys, marker="o" if overall else None, linewidth=2 if overall else 0.8,
                    alpha=1 if overall else 0.6, label=key.removeprefix("greedy/"))
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(f"held-out accuracy ({name})")
        ax.set_xlabel("step")
        ax.legend(fontsize=6, loc="best")
    fig.suptitle(title)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    save_figure(fig, out, dpi=90)
    plt.close(fig)
    return out


def eval_table(series: dict[str, dict[str, list[tuple[int, float]]]]) -> list[dict[str, Any]]:
    """One row per evaluation set and step: overall greedy / pass@k and greedy per task."""
    table: dict[tuple[str, int], dict[str, Any]] = {}
    for name, by_key in series.items():
        for key, points in by_key.items():
            for step, value in points:
                table.setdefault((name, step), {"set": name, "step": step})[key] = round(value, 4)
    return [table[k] for k in sorted(table)]


def eval_summary(series: dict[str, dict[str, list[tuple[int, float]]]], best: dict[str, Any] | None) -> str:
    """The run summary's held-out lines: first and last accuracy per set, and the best checkpoint."""
    lines = []
    for name, by_key in sorted(series.items()):
        parts = [f"{key} {points[0][1]:.3f} (step {points[0][0]}) -> {points[-1][1]:.3f} (step {points[-1][0]})"
                 for key, points in by_key.items() if "/" not in key]
        lines.append(f"held-out `{name}`: " + ", ".join(parts))
    if best:
        lines.append(f"best checkpoint `{best['checkpoint']}`: step {best['step']}, {best['eval_set']} "
                     f"{best['metric']} {best['value']:.3f}"
                     + (f" (= `{best['step_checkpoint']}`)" if best.get("step_checkpoint") else ""))
    return "\n" + "\n\n".join(lines) + "\n" if lines else ""
