"""AHPO and its baselines as pure functions of per-token log-probabilities (arXiv 2510.08540, 3.3).

Nothing here touches a model, an optimizer or a process group: callers pass log-probabilities,
masks and rewards, and get the loss plus the numbers it was computed from. Data parallelism is
handled by passing *global* token counts (`Counts`, summed over ranks) so that each rank's loss is
its share of one global token-level sum; the per-rank gradients then add up to the full-batch one.

Shapes: G prompt groups, N rollouts per group, B = G*N rollout rows, E expert rows, T tokens.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor

GateMode = Literal["adaptive", "on", "off"]
Normaliser = Literal["tokens", "separate", "constant"]
ExpertTerm = Literal["nll", "luffy"]


def group_advantages(rewards: Tensor) -> Tensor:
    """(R_i - mean) / std within each group (last dim), no gradient.

    Population std over the N rollouts of the prompt. A group whose rewards are all equal has no
    learning signal: its advantages are 0 (not NaN), which is what makes "all rewards 0" reduce to
    pure SFT and "all rewards 1" to a zero gradient.
    """
    rewards = rewards.detach().to(torch.float64)
    mean = rewards.mean(dim=-1, keepdim=True)
    std = rewards.std(dim=-1, unbiased=False, keepdim=True)
    centred = rewards - mean
    # compare the spread, not std against an epsilon: tiny but real spreads still normalise
    flat = (rewards.amax(dim=-1, keepdim=True) - rewards.amin(dim=-1, keepdim=True)) == 0
    return torch.where(flat, torch.zeros_like(centred), centred / torch.where(flat, 1.0, std)).float()


def success_gate(rewards: Tensor, r_hat: int, mode: GateMode = "adaptive") -> Tensor:
    """xi per group: True when fewer than `r_hat` rollouts have reward exactly 1.

    `on` (static AHPO, SFT) and `off` (GRPO) force the gate. Partial rewards (0.5) are not successes.
    """
    if mode == "on":
        return torch.ones(rewards.shape[:-1], dtype=torch.bool, device=rewards.device)
    if mode == "off":
        return torch.zeros(rewards.shape[:-1], dtype=torch.bool, device=rewards.device)
    return (rewards == 1).sum(dim=-1) < r_hat


@dataclass(frozen=True)
class Counts:
    """What the normaliser Z is built from; add the ranks' Counts for the global batch."""

    rollout_tokens: Tensor
    expert_tokens: Tensor  # only rows whose gate is on
    rollout_seqs: Tensor
    expert_seqs: Tensor

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(*(a + b for a, b in zip(self.as_tensor(), other.as_tensor())))

    def as_tensor(self) -> Tensor:
        """One float64 vector, e.g. for `dist.all_reduce`."""
        return torch.stack([self.rollout_tokens, self.expert_tokens, self.rollout_seqs,
                            self.expert_seqs]).to(torch.float64)

    @classmethod
    def from_tensor(cls, t: Tensor) -> "Counts":
        return cls(*t.unbind(0))


def count_tokens(rollout_mask: Tensor, expert_mask: Tensor, expert_gate: Tensor) -> Counts:
    rm = rollout_mask.to(torch.float64)
    em = expert_mask.to(torch.float64) * expert_gate.to(torch.float64).unsqueeze(-1)
    return Counts(rollout_tokens=rm.sum(), expert_tokens=em.sum(),
                  rollout_seqs=(rm.sum(-1) > 0).to(torch.float64).sum(),
                  expert_seqs=(em.sum(-1) > 0).to(torch.float64).sum())


def normalisers(counts: Counts, mode: Normaliser = "tokens",
                constant_length: int = 8192) -> tuple[Tensor, Tensor]:
    """(Z_rollout, Z_expert). The paper leaves Z undefined; three readings:

    tokens   : one Z = every counted token of the global batch (default; one token-level mean)
    separate : each term its own token mean (rollout tokens, gated expert tokens)
    constant : Z = constant_length * counted sequences (length-unbiased, as in Dr. GRPO)
    A zero count gives Z = 1: its term is an empty sum anyway.
    """
    if mode == "tokens":
        z = counts.rollout_tokens + counts.expert_tokens
        return z.clamp(min=1), z.clamp(min=1)
    if mode == "separate":
        return counts.rollout_tokens.clamp(min=1), counts.expert_tokens.clamp(min=1)
    if mode == "constant":
        z = constant_length * (counts.rollout_seqs + counts.expert_seqs)
        return z.clamp(min=1), z.clamp(min=1)
    raise ValueError(f"unknown normaliser {mode!r}")


def clipped_surrogate(logprobs: Tensor, old_logprobs: Tensor, advantages: Tensor,
                      clip_eps: float) -> tuple[Tensor, Tensor]:
    """Per-token -min(r A, clip(r) A) with r = exp(logp - old); and where the clip is active.

    `advantages` is per row, broadcast over tokens. Where the clipped branch is selected the token
    has no gradient: that is the point of PPO's trust region, and a test checks it.
    """
    adv = advantages.unsqueeze(-1).to(logprobs.dtype)
    ratio = torch.exp(logprobs - old_logprobs.detach())
    unclipped = ratio * adv
    clipped = torch.clamp(ratio, 1.0 - clip_eps, 1.0 + clip_eps) * adv
    active = ((adv > 0) & (ratio > 1.0 + clip_eps)) | ((adv < 0) & (ratio < 1.0 - clip_eps))
    return -torch.minimum(unclipped, clipped), active


def luffy_shaped(logprobs: Tensor, advantages: Tensor, gamma: float = 0.1) -> Tensor:
    """LUFFY's off-policy token term -A * f(p), f(p) = p / (p + gamma), no clipping.

    The expert trace's behaviour probability is taken as 1, so the ratio is the policy probability
    p itself; the shaping boosts the gradient of low-probability expert tokens.
    """
    p = torch.exp(logprobs)
    return -advantages.unsqueeze(-1).to(logprobs.dtype) * p / (p + gamma)


@dataclass(frozen=True)
class LossOutput:
    loss: Tensor
    rollout_part: Tensor  # the rollout term's contribution to `loss`
    expert_part: Tensor  # the expert term's contribution to `loss`
    z_rollout: Tensor
    z_expert: Tensor
    clip_fraction: Tensor  # of the rollout tokens (local)
    rollout_tokens: Tensor  # local counted tokens
    expert_tokens: Tensor


def ahpo_loss(*, rollout_logprobs: Tensor, rollout_old_logprobs: Tensor, rollout_mask: Tensor,
              advantages: Tensor, expert_logprobs: Tensor, expert_mask: Tensor, expert_gate: Tensor,
              clip_eps: float = 0.2, normaliser: Normaliser = "tokens",
              constant_length: int = 8192, global_counts: Counts | None = None,
              expert_term: ExpertTerm = "nll", expert_advantages: Tensor | None = None,
              luffy_gamma: float = 0.1) -> LossOutput:
    """One token-level sum of xi-gated expert NLL and the rollouts' clipped surrogate, over Z.

        L = [ sum_{rollout tokens} -min(r A, clip(r) A) ] / Z_r
          + [ sum_{expert rows e} xi_e sum_{tokens} -log p ] / Z_e

    `expert_gate` (bool per expert row) is xi of the row's prompt group; prompts without a trace
    simply have no expert row. `global_counts` (summed over data-parallel ranks) sets Z; without it
    Z comes from this batch. `expert_term='luffy'` replaces the NLL by LUFFY's shaped term with
    `expert_advantages` (the trace is then one member of its group's advantage).
    """
    rmask = rollout_mask.to(rollout_logprobs.dtype)
    gate = expert_gate.to(expert_logprobs.dtype).unsqueeze(-1)
    emask = expert_mask.to(expert_logprobs.dtype) * gate
    local = count_tokens(rollout_mask, expert_mask, expert_gate)
    z_r, z_e = normalisers(global_counts if global_counts is not None else local, normaliser,
                           constant_length)

    # padding may hold inf/NaN log-probs: select before any arithmetic, or 0 * NaN leaks into grads
    rollout_logprobs = torch.where(rmask > 0, rollout_logprobs, torch.zeros_like(rollout_logprobs))
    rollout_old_logprobs = torch.where(rmask > 0, rollout_old_logprobs.detach(),
                                       torch.zeros_like(rollout_logprobs))
    expert_logprobs = torch.where(emask > 0, expert_logprobs, torch.zeros_like(expert_logprobs))
    per_token, active = clipped_surrogate(rollout_logprobs, rollout_old_logprobs, advantages, clip_eps)
    rollout_sum = (per_token * rmask).sum()
    if expert_term == "nll":
        expert_tok = -expert_logprobs
    elif expert_term == "luffy":
        if expert_advantages is None:
            raise ValueError("expert_term='luffy' needs expert_advantages")
        expert_tok = luffy_shaped(expert_logprobs, expert_advantages, luffy_gamma)
    else:
        raise ValueError(f"unknown expert term {expert_term!r}")
    expert_sum = (expert_tok * emask).sum()

    rollout_part = rollout_sum / z_r.to(rollout_sum.dtype)
    expert_part = expert_sum / z_e.to(expert_sum.dtype)
    n_r = rmask.sum()
    clip_fraction = (active.to(rmask.dtype) * rmask).sum() / n_r.clamp(min=1)
    return LossOutput(loss=rollout_part + expert_part, rollout_part=rollout_part.detach(),
                      expert_part=expert_part.detach(), z_rollout=z_r, z_expert=z_e,
                      clip_fraction=clip_fraction.detach(), rollout_tokens=local.rollout_tokens,
                      expert_tokens=local.expert_tokens)


def token_logprobs(logits: Tensor, targets: Tensor, temperature: float = 1.0) -> Tensor:
    """log p(target) per position from logits, at the sampling temperature (logits[t] predicts
    targets[t]); log_softmax in float32 at least so recomputed and sampled log-probs agree."""
    logits = logits.float() if logits.dtype in (torch.float16, torch.bfloat16) else logits
    logp = torch.log_softmax(logits / temperature, dim=-1)
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
