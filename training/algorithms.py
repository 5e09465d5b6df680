"""The algorithms the trainer runs, as data: AHPO and its baselines differ only in how the gate
is set, whether rollouts enter the loss, and which expert term is used. The trainer reads these
fields; it never branches on an algorithm's name (a new variant is one registration).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from training.losses import ExpertTerm, GateMode


@dataclass(frozen=True)
class Algorithm:
    name: str
    gate: GateMode  # adaptive: xi per group from its successes; on: always; off: never
    rollout_term: bool  # False: rollouts are sampled only to measure reward (SFT)
    expert_term: ExpertTerm  # nll: xi-gated negative log-likelihood; luffy: shaped off-policy term
    trace_in_group: bool  # LUFFY: the trace replaces one rollout and shares the group's advantage


ALGORITHMS: dict[str, Algorithm] = {}
# algorithms that switch between registered ones by step: (algo config, step) -> algorithm name
SCHEDULES: dict[str, Callable[[object, int], str]] = {}


def register(algo: Algorithm) -> Algorithm:
    ALGORITHMS[algo.name] = algo
    return algo


register(Algorithm("ahpo", gate="adaptive", rollout_term=True, expert_term="nll", trace_in_group=False))
register(Algorithm("grpo", gate="off", rollout_term=True, expert_term="nll", trace_in_group=False))
register(Algorithm("static_ahpo", gate="on", rollout_term=True, expert_term="nll", trace_in_group=False))
register(Algorithm("sft", gate="on", rollout_term=False, expert_term="nll", trace_in_group=False))
register(Algorithm("luffy", gate="on", rollout_term=True, expert_term="luffy", trace_in_group=True))
SCHEDULES["sft_then_grpo"] = lambda algo, step: "sft" if step < algo.sft_steps else "grpo"


def algorithm_at(algo_cfg, step: int) -> Algorithm:
    """The algorithm in force at `step` (0-based) for an `AlgoConfig`."""
    name = algo_cfg.algorithm
    if name in SCHEDULES:
        name = SCHEDULES[name](algo_cfg, step)
    return ALGORITHMS[name]
