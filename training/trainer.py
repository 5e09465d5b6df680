"""One training step of AHPO (and its baselines), checkpoints with exact resume, step metrics.

A step: take the next prompts (global batch, this rank's share), sample N_on rollouts each, judge
them, gate each group, recompute the old log-probabilities with the current weights, then one or
more optimizer steps on the single normalised loss, then push the weights to the rollout engine.
The trainer runs the same way in one process (tests, local mode) and as a Ray Train worker.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
import torch.distributed as dist

from generators.base import stable_hash
from training.config import TrainConfig
from training.data import (Cursor, Mixture, Prompt, encode_image_prompt, encode_prompt, encode_reply,
                           load_prompts)
from training.lora import apply_lora, has_lora, merged_state_dict, trainable_parameters
from training.losses import (Counts, ahpo_loss, count_tokens, group_advantages, success_gate,
                             token_entropy, token_logprobs)
from training.policy import (is_vision_model, load_image_processor, load_policy, stop_ids,
                             vision_token_ids)
from training.reward import RewardPool
from training.rollout.base import RolloutBackend, Sample, Sampling, Vision, model_inputs
from training.rollout.hf import HFBackend

GATE_MODE = {"ahpo": "adaptive", "grpo": "off", "static_ahpo": "on", "sft": "on", "luffy": "on"}


@dataclass
class Row:
    """One sequence of the update batch: a rollout or an expert trace."""

    prompt_ids: list[int]
    response_ids: list[int]
    advantage: float = 0.0
    gate: bool = True
    group: int = 0
    vision: Vision | None = None  # the prompt's pictures (image variant)


def sequence_logprobs(model, rows: list[Row], pad_id: int, temperature: float = 1.0,
                      with_entropy: bool = False) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Per-token log p of each row's response under `model`: ([B, T], mask [B, T], entropy).

    Sequences are right-padded (positions 0.. for every row, as in generation). T is the longest
    response; position t of row b is response token t, predicted by the logits one step earlier.
    """
    device = next(model.parameters()).device
    full = [r.prompt_ids + r.response_ids for r in rows]
    length = max(len(f) for f in full)
    ids = torch.full((len(rows), length), pad_id, dtype=torch.long, device=device)
    attn = torch.zeros_like(ids)
    for b, f in enumerate(full):
        ids[b, : len(f)] = torch.tensor(f, device=device)
        attn[b, : len(f)] = 1
    pictures = {k: v.to(device) for k, v in model_inputs([r.vision for r in rows]).items()}
    logits = model(input_ids=ids, attention_mask=attn, use_cache=False, **pictures).logits
    t_max = max(len(r.response_ids) for r in rows)
    starts = torch.tensor([len(r.prompt_ids) for r in rows], device=device)
    pos = (starts.unsqueeze(1) - 1 + torch.arange(t_max, device=device)).clamp(max=length - 2)
    mask = torch.arange(t_max, device=device).unsqueeze(0) < torch.tensor(
        [len(r.response_ids) for r in rows], device=device).unsqueeze(1)
    pred = logits.gather(1, pos.unsqueeze(-1).expand(-1, -1, logits.shape[-1]))
    targets = ids.gather(1, (pos + 1).clamp(max=length - 1))
    lp = token_logprobs(pred, targets, temperature)
    ent = token_entropy(pred.detach(), temperature) if with_entropy else None
    return lp, mask, ent


class Trainer:
    def __init__(self, cfg: TrainConfig, *, rank: int = 0, world: int = 1,
                 rollout: RolloutBackend | None = None, prompts: list[Prompt] | None = None,
                 device: str | None = None):
        self.cfg, self.rank, self.world = cfg, rank, world
        self.device = torch.device(device or ("cuda" if cfg.use_gpu and torch.cuda.is_available() else "cpu"))
        torch.manual_seed(cfg.seed)
        self.model, self.tok = load_policy(cfg.policy, self.device)
        if cfg.lora.rank:
            apply_lora(self.model, cfg.lora)  # adapters drawn from the seeded global RNG
            if cfg.policy.gradient_checkpointing:  # frozen embeddings: let gradients reach the blocks
                self.model.enable_input_require_grads()
        self.images = None
        if cfg.data.variant == "image":
            if not is_vision_model(self.model):
                raise ValueError(f"data.variant: image, but the policy ({cfg.policy.path or 'tiny'}) "
                                 "has no vision tower")
            self.images = load_image_processor(cfg.policy, cfg.data.image_min_pixels,
                                               cfg.data.image_max_pixels)
        self.module = self.model  # unwrapped (generation, checkpoints)
        if world > 1:
            import ray.train.torch

            # a rank whose share of a step has no picture leaves the vision tower unused
            kwargs = {"find_unused_parameters": True} if self.images is not None else None
            self.model = ray.train.torch.prepare_model(self.model, move_to_device=False,
                                                       parallel_strategy_kwargs=kwargs)
        self.model.train()
        self.optim = torch.optim.AdamW(trainable_parameters(self.module), lr=cfg.optim.lr,
                                       betas=cfg.optim.betas, weight_decay=cfg.optim.weight_decay)
        self.stops = stop_ids(self.tok)
        self.placeholders = set(vision_token_ids(self.module.config))
        # in-process HF rollouts share the trainer's module: nothing to sync
        self.rollout = rollout or HFBackend(self.module, self.tok, self.stops)
        self.shares_weights = rollout is None
        self.mixture = Mixture(prompts if prompts is not None else load_prompts(cfg.data), cfg.seed)
        self.rewards = RewardPool(cfg.reward.workers, cfg.reward.timeout_s)
        self.step_no = 0
        self.cursor = Cursor()
        self.gate_stats: dict[str, float] = {"groups": 0, "gate_on": 0, "successes": 0, "rollouts": 0}
        self._encoded: dict[str, tuple[list[int], Vision | None]] = {}
        if cfg.resume_from:
            self.load(Path(cfg.resume_from))

    # -- one step -------------------------------------------------------------------------------

    def phase(self) -> str:
        a = self.cfg.algo
        if a.algorithm == "sft_then_grpo":
            return "sft" if self.step_no < a.sft_steps else "grpo"
        return a.algorithm

    def _encode(self, p: Prompt) -> tuple[list[int], Vision | None]:
        """Prompt ids and, for a prompt with pictures, its preprocessed pictures (cached)."""
        if p.id not in self._encoded:
            data = self.cfg.data
            if p.images and self.images is not None:
                self._encoded[p.id] = encode_image_prompt(
                    self.tok, self.images, self.module.config.image_token_id, p,
                    data.max_prompt_tokens, data.truncation_side)
            else:
                self._encoded[p.id] = (encode_prompt(self.tok, p, data.max_prompt_tokens,
                                                     data.truncation_side), None)
        return self._encoded[p.id]

    def _rollout_weights(self) -> dict[str, torch.Tensor]:
        """What a separate rollout engine loads: plain weights (adapters merged in)."""
        return merged_state_dict(self.module) if has_lora(self.module) else self.module.state_dict()

    def step(self) -> dict[str, Any]:
        cfg, phase = self.cfg, self.phase()
        t_start = time.perf_counter()
        batch, next_cursor = self.mixture.take(self.cursor, cfg.prompts_per_step)
        local = batch[self.rank:: self.world]
        encoded = [self._encode(p) for p in local]
        prompt_ids = [ids for ids, _ in encoded]
        visions = [v for _, v in encoded]
        step_seed = int(stable_hash("rollout", cfg.seed, self.step_no, self.rank), 16) % 2**31

        t0 = time.perf_counter()
        self.rollout.wake()
        groups = self.rollout.generate(prompt_ids, Sampling(
            n=cfg.rollout.n_on, temperature=cfg.rollout.temperature, top_p=cfg.rollout.top_p,
            max_new_tokens=cfg.rollout.max_new_tokens, seed=step_seed),
            visions if any(v is not None for v in visions) else None)
        self.rollout.sleep()
        if self.placeholders:
            self._cut_placeholders(groups)
        t_generate = time.perf_counter() - t0

        t0 = time.perf_counter()
        texts = [(p, self.tok.decode(s.response_ids, skip_special_tokens=True))
                 for p, g in zip(local, groups) for s in g]
        flat, rstats = self.rewards.score(texts)
        rewards = torch.tensor(flat, dtype=torch.float32).reshape(len(local), cfg.rollout.n_on)
        t_reward = time.perf_counter() - t0

        rollout_rows, expert_rows, gates = self._rows(phase, local, encoded, groups, rewards)

        t0 = time.perf_counter()
        losses = self._update(phase, rollout_rows, expert_rows)
        t_update = time.perf_counter() - t0

        t0 = time.perf_counter()
        if not self.shares_weights:
            self.rollout.load_weights(self._rollout_weights())
        t_sync = time.perf_counter() - t0

        self.cursor = next_cursor
        self.step_no += 1
        n_gen = sum(len(s.response_ids) for g in groups for s in g)
        metrics = self._metrics(phase, local, groups, rewards, gates, rstats, losses)
        metrics.update(t_generate=t_generate, t_reward=t_reward, t_update=t_update, t_sync=t_sync,
                       tokens_per_s=(n_gen + losses["tokens_trained"]) / max(time.perf_counter() - t_start, 1e-9),
                       mfu=self._mfu(n_gen, losses["tokens_trained"], time.perf_counter() - t_start))
        return metrics

    def _cut_placeholders(self, groups: list[list[Sample]]) -> None:
        """An engine that let a picture placeholder into a reply (the backends suppress them):
        end the reply before it, as truncated, so the recomputation never looks for a picture."""
        for group in groups:
            for s in group:
                cut = next((k for k, t in enumerate(s.response_ids) if t in self.placeholders), None)
                if cut is not None:
                    s.response_ids, s.logprobs, s.truncated = s.response_ids[:cut], s.logprobs[:cut], True

    def _rows(self, phase: str, local: list[Prompt], encoded: list[tuple[list[int], Vision | None]],
              groups: list[list[Sample]], rewards: torch.Tensor):
        """Rollout and expert rows with advantages and gates, per the phase's algorithm."""
        cfg = self.cfg
        gate_mode = GATE_MODE["grpo" if phase == "grpo" else phase]
        gates = success_gate(rewards, cfg.algo.r_hat, gate_mode)
        rollout_rows: list[Row] = []
        expert_rows: list[Row] = []
        for g, (p, (ids, vision), group) in enumerate(zip(local, encoded, groups)):
            has_expert = p.expert is not None
            gates[g] = bool(gates[g]) and has_expert  # no trace, no off-policy term
            if phase == "luffy" and has_expert:
                # the trace replaces the last rollout and joins the group's advantage (reward 1)
                r = torch.cat([rewards[g, :-1], torch.ones(1)])
                adv = group_advantages(r.unsqueeze(0))[0]
                kept = group[:-1]
                expert_rows.append(Row(ids, encode_reply(self.tok, p.expert), float(adv[-1]), True, g, vision))
            else:
                adv = group_advantages(rewards[g].unsqueeze(0))[0]
                kept = group
                if has_expert and phase != "luffy" and bool(gates[g]):
                    expert_rows.append(Row(ids, encode_reply(self.tok, p.expert), 0.0, True, g, vision))
            if phase != "sft":  # SFT generates only to measure reward
                rollout_rows += [Row(ids, s.response_ids, float(a), True, g, vision)
                                 for s, a in zip(kept, adv.tolist()) if s.response_ids]
        return rollout_rows, expert_rows, gates

    def _update(self, phase: str, rollout_rows: list[Row], expert_rows: list[Row]) -> dict[str, float]:
        cfg, pad = self.cfg, self.tok.pad_token_id
        temp = cfg.rollout.temperature
        n_groups = 1 + max([r.group for r in rollout_rows + expert_rows], default=0)
        parts = max(1, cfg.optim.minibatches)
        split = []  # groups stay whole within a minibatch (their advantages belong together)
        for m in range(parts):
            rows = [r for r in rollout_rows if r.group * parts // n_groups == m]
            split.append((rows, [r for r in expert_rows if r.group * parts // n_groups == m]))
        # old log-probs: recomputed here with the weights that sampled (engines differ numerically),
        # batched exactly as the update batches them, so the first epoch's ratio is exactly 1
        with torch.no_grad():
            olds = [sequence_logprobs(self.module, rows, pad, temp)[0] if rows else None
                    for rows, _ in split]
        acc: dict[str, float] = defaultdict(float)
        for _ in range(cfg.optim.update_epochs):
            for (rows, e_rows), old in zip(split, olds):
                out, ent = self._minibatch(phase, rows, old, e_rows)
                self.optim.zero_grad(set_to_none=True)
                (out.loss * self.world).backward()  # DDP averages; the loss is already a global sum share
                grad_norm = torch.nn.utils.clip_grad_norm_(trainable_parameters(self.module), cfg.optim.grad_clip)
                self.optim.step()
                acc["loss"] += float(out.loss.detach()) / parts
                acc["loss_rollout"] += float(out.rollout_part) / parts
                acc["loss_expert"] += float(out.expert_part) / parts
                acc["z_rollout"] += float(out.z_rollout) / parts
                acc["z_expert"] += float(out.z_expert) / parts
                acc["clip_fraction"] += float(out.clip_fraction) / parts
                acc["rollout_tokens"] += float(out.rollout_tokens)
                acc["expert_tokens"] += float(out.expert_tokens)
                acc["grad_norm"] = float(grad_norm)
                acc["entropy"] += ent / parts
        epochs = cfg.optim.update_epochs
        for k in ("loss", "loss_rollout", "loss_expert", "z_rollout", "z_expert", "clip_fraction",
                  "entropy", "rollout_tokens", "expert_tokens"):
            acc[k] /= epochs
        acc["tokens_trained"] = (acc["rollout_tokens"] + acc["expert_tokens"]) * epochs
        return dict(acc)

    def _minibatch(self, phase: str, rows: list[Row], old: torch.Tensor | None, experts: list[Row]):
        cfg, pad, temp = self.cfg, self.tok.pad_token_id, self.cfg.rollout.temperature
        # an empty side still runs one masked dummy row: under DDP every rank must use the model
        dummy = Row([pad], [pad], 0.0, False)
        r_lp, r_mask, r_ent = sequence_logprobs(self.model, rows or [dummy], pad, temp, with_entropy=True)
        if not rows:
            r_mask = torch.zeros_like(r_mask)
        r_old = old if old is not None else torch.zeros_like(r_lp)
        e_lp, e_mask, _ = sequence_logprobs(self.model, experts or [dummy], pad, 1.0)
        e_gate = torch.tensor([r.gate for r in experts] or [False], device=e_lp.device)
        adv = torch.tensor([r.advantage for r in rows] or [0.0], device=r_lp.device)
        counts = count_tokens(r_mask, e_mask, e_gate)
        if dist.is_available() and dist.is_initialized():
            total = counts.as_tensor().to(r_lp.device)
            dist.all_reduce(total)
            counts = Counts.from_tensor(total.cpu())
        out = ahpo_loss(rollout_logprobs=r_lp, rollout_old_logprobs=r_old, rollout_mask=r_mask,
                        advantages=adv, expert_logprobs=e_lp, expert_mask=e_mask, expert_gate=e_gate,
                        clip_eps=cfg.algo.clip_eps, normaliser=cfg.algo.normaliser,
                        constant_length=cfg.algo.constant_length, global_counts=counts,
                        expert_term="luffy" if phase == "luffy" else "nll",
                        expert_advantages=torch.tensor([r.advantage for r in experts] or [0.0]),
                        luffy_gamma=cfg.algo.luffy_gamma)
        m = r_mask.float()
        ent = float((r_ent * m).sum() / m.sum().clamp(min=1)) if rows else 0.0
        return out, ent

    # -- metrics --------------------------------------------------------------------------------

    def _metrics(self, phase, local, groups, rewards, gates, rstats, losses) -> dict[str, Any]:
        successes = (rewards == 1).sum(-1).tolist()
        by_source, by_cat = defaultdict(list), defaultdict(list)
        for p, r in zip(local, rewards.mean(-1).tolist()):
            by_source[p.source].append(r)
            by_cat[p.category].append(r)
        lengths = [len(s.response_ids) for g in groups for s in g]
        self.gate_stats["groups"] += len(local)
        self.gate_stats["gate_on"] += int(gates.sum())
        self.gate_stats["successes"] += int(sum(successes))
        self.gate_stats["rollouts"] += rewards.numel()
        return {
            "step": self.step_no, "phase": phase, "prompts": len(local),
            **{k: losses[k] for k in ("loss", "loss_rollout", "loss_expert", "z_rollout", "z_expert",
                                      "clip_fraction", "entropy", "grad_norm")},
            "rollout_tokens": int(losses["rollout_tokens"]), "expert_tokens": int(losses["expert_tokens"]),
            "gate_on_fraction": float(gates.float().mean()) if len(local) else 0.0,
            "reward_mean": float(rewards.mean()) if rewards.numel() else 0.0,
            "success_hist": json.dumps({str(k): v for k, v in sorted(Counter(successes).items())}),
            "reward_by_source": json.dumps({k: sum(v) / len(v) for k, v in sorted(by_source.items())}),
            "reward_by_category": json.dumps({k: sum(v) / len(v) for k, v in sorted(by_cat.items())}),
            "response_len_mean": sum(lengths) / max(len(lengths), 1),
            "response_len_max": max(lengths, default=0),
            "truncated_fraction": sum(s.truncated for g in groups for s in g) / max(len(lengths), 1),
            "reward_timeouts": rstats.timeouts,
        }

    def _mfu(self, generated: int, trained: float, seconds: float) -> float | None:
        """Model FLOPs utilisation on a GPU: 2N per generated token, 6N (x2 with the old-logprob
        pass: 8N) per trained token, over the device's peak (HELIX_PEAK_TFLOPS, default H100 bf16)."""
        if self.device.type != "cuda":
            return None
        n = sum(p.numel() for p in self.module.parameters())
        peak = float(os.environ.get("HELIX_PEAK_TFLOPS", "989")) * 1e12
        return (2 * n * generated + 8 * n * trained) / max(seconds, 1e-9) / peak

    # -- checkpoints ------------------------------------------------------------------------------

    def save(self, path: Path, hf_export: bool = True) -> Path:
        """Model, optimizer, RNG, data cursor, gate statistics; plus an HF folder for evaluation.
        Written to a temporary folder and renamed, so a killed run never leaves half a checkpoint."""
        tmp = path.with_name(f".{path.name}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        torch.save({
            "config_hash": self.cfg.config_hash(), "step": self.step_no,
            "cursor": self.cursor.model_dump(), "gate_stats": dict(self.gate_stats),
            "model": self.module.state_dict(), "optimizer": self.optim.state_dict(),
            "rng": {"torch": torch.get_rng_state(), "python": random.getstate(),
                    "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None},
        }, tmp / "state.pt")
        if hf_export:  # a plain model folder: adapters merged, the picture preprocessor beside it
            self.module.save_pretrained(tmp / "hf", state_dict=self._rollout_weights())
            self.tok.save_pretrained(tmp / "hf")
            if self.images is not None:
                self.images.save_pretrained(tmp / "hf")
        shutil.rmtree(path, ignore_errors=True)
        os.replace(tmp, path)
        return path

    def load(self, path: Path) -> None:
        state = torch.load(path / "state.pt", map_location=self.device, weights_only=False)
        if state["config_hash"] != self.cfg.config_hash():
            raise ValueError(f"checkpoint {path} was written by config {state['config_hash']}, "
                             f"this run is {self.cfg.config_hash()}")
        self.module.load_state_dict(state["model"])
        self.optim.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"]["torch"])
        random.setstate(state["rng"]["python"])
        if state["rng"]["cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        self.step_no, self.cursor = state["step"], Cursor(**state["cursor"])
        self.gate_stats = state["gate_stats"]
        if not self.shares_weights:
            self.rollout.load_weights(self._rollout_weights())

    def close(self) -> None:
        self.rewards.close()
