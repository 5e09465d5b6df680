"""The learning-rate schedule: one value per training step (whatever the minibatches and epochs of
a step do), a pure function of the step, so a resumed run continues the same sequence.

Step s (0-based: the update that takes the run from s to s + 1 steps done) runs at lr x factor(s):
- warm-up, s < W: linear from `warmup_start_ratio` at s = 0 towards 1 at s = W;
- then `constant`: 1; `cosine`: m + (1 - m) (1 + cos(pi p)) / 2; `linear`: m + (1 - m) (1 - p),
  with p = (s - W) / (steps - W), so the decay reaches m = `min_lr_ratio` at the end of `steps`
  (the convention of transformers' schedules: the first warm-up step is at the start ratio, the
  last step just above the floor).
"""

from __future__ import annotations

import math

import torch

from training.config import OptimConfig


def lr_factor(step: int, optim: OptimConfig, steps: int) -> float:
    """The multiplier of `optim.lr` for the update of training step `step` (0-based)."""
    warm = optim.warmup_steps
    if step < warm:
        start = optim.warmup_start_ratio
        return start + (1.0 - start) * step / warm
    if optim.schedule == "constant":
        return 1.0
    progress = min(1.0, (step - warm) / max(1, steps - warm))
    floor = optim.min_lr_ratio
    if optim.schedule == "cosine":
        return floor + (1.0 - floor) * 0.5 * (1.0 + math.cos(math.pi * progress))
    return floor + (1.0 - floor) * (1.0 - progress)


def lr_at(step: int, optim: OptimConfig, steps: int) -> float:
    """The learning rate of training step `step` (0-based)."""
    return optim.lr * lr_factor(step, optim, steps)


def make_scheduler(optimizer: torch.optim.Optimizer, optim: OptimConfig,
                   steps: int) -> torch.optim.lr_scheduler.LambdaLR:
    """A torch scheduler over `lr_factor`, stepped once per training step; its state (the step
    count and base lrs) goes into the checkpoint beside the optimizer's."""
    return torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: lr_factor(s, optim, steps))
