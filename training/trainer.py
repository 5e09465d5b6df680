"""One training step of AHPO (and its baselines), checkpoints with exact resume, step metrics.

A step: take the next prompts (global batch, this rank's share), sample N_on rollouts each, judge
them, gate each group, recompute the old log-probabilities with the current weights, then one or
more optimizer steps on the single normalised loss, then push the weights to the rollout engine.
The trainer runs the same way in one process (tests, local mode) and as a Ray Train worker.

Memory is bounded by token budgets, not by the batch: a rank's rows go through the update in
packed micro-batches of `optim.micro_batch_tokens` with gradients accumulated (the normaliser Z
is the whole batch's, summed over ranks), and log-probabilities come from hidden states in
chunks (`training/logprobs.py`), never from full logits. Every number a step reports is of the
global batch (summed over ranks), not of rank 0's share.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch

from common.hashing import stable_hash
from training.algorithms import Algorithm, algorithm_at
from training.batching import MicroBatch, packed, padded, plan_micro_batches, row_mask, split_rows
from training.config import TrainConfig
from training.data import (Cursor, Mixture, Prompt, encode_image_prompt, encode_prompt, encode_reply,
                           load_prompts)
from training.engine import (Engine, PolicyLogprobs, all_gather_objects, all_reduce, barrier,
                             gather_objects, resolve_dtype, scatter_objects)
from training.lora import apply_lora
from training.losses import Counts, ahpo_loss, count_tokens, group_advantages, success_gate
from training.policy import (is_vision_model, load_image_processor, load_policy, stop_ids,
                             vision_token_ids)
from training.reward import RewardPool
from training.rollout.base import RolloutBackend, Sample, Sampling, Vision, model_inputs
from training.rollout.hf import HFBackend
from training.schedule import lr_at, make_scheduler


@dataclass
class Row:
    """One sequence of the update batch: a rollout or an expert trace."""

    prompt_ids: list[int]
    response_ids: list[int]
    advantage: float = 0.0
    gate: bool = True
    group: int = 0
    vision: Vision | None = None  # the prompt's pictures (image variant)
    expert: bool = False
    temperature: float = 1.0  # rollouts are scored at the sampling temperature, traces at 1
    old: torch.Tensor | None = field(default=None, repr=False)  # old log-probs (rollouts)

    def __len__(self) -> int:
        return len(self.prompt_ids) + len(self.response_ids)


def _inputs(rows: list[Row], pad_id: int, layout: str) -> tuple[MicroBatch, dict, torch.Tensor]:
    """A micro-batch's model inputs (`layout`: packed, padded without a mask (text), or padded
    with one (pictures)), its pictures and per-token temperatures."""
    prompts, responses = [r.prompt_ids for r in rows], [r.response_ids for r in rows]
    mb = (packed(prompts, responses) if layout == "packed"
          else padded(prompts, responses, pad_id, mask=layout == "masked"))
    temps = torch.repeat_interleave(torch.tensor([r.temperature for r in rows], dtype=torch.float64),
                                    torch.tensor(mb.lengths))
    return mb, model_inputs([r.vision for r in rows]), temps


def sequence_logprobs(model, rows: list[Row], pad_id: int, temperature: float = 1.0,
                      with_entropy: bool = False, chunk: int = 2048):
    """Per-token log p of each row's response under `model` (an HF model): ([B, T], mask [B, T],
    entropy or None), through the same path as the update (packed rows, chunked logits; padded
    rows for a vision-language model)."""
    device = next(model.parameters()).device
    rows = [Row(r.prompt_ids, r.response_ids, vision=r.vision, temperature=temperature) for r in rows]
    mb, pictures, temps = _inputs(rows, pad_id, _layout(model))
    mb = mb.to(device)
    lp, ent = PolicyLogprobs(model, chunk)(mb.input_ids, mb.position_ids, mb.attention_mask, mb.gather,
                                           mb.targets, temps.to(device), with_entropy,
                                           **{k: v.to(device) for k, v in pictures.items()})
    mask = row_mask(mb.lengths, device)
    return split_rows(lp, mb.lengths), mask, None if ent is None else split_rows(ent, mb.lengths)


def _layout(model) -> str:
    """How rows share a forward: masked padding for vision-language models (their positions are
    computed from the mask), packing where a variable-length attention kernel makes it cheap,
    unmasked right padding otherwise."""
    if is_vision_model(model):
        return "masked"
    return "packed" if model.config._attn_implementation == "flash_attention_2" else "padded"


class Trainer:
    def __init__(self, cfg: TrainConfig, *, rank: int = 0, world: int = 1,
                 rollout: RolloutBackend | None = None, prompts: list[Prompt] | None = None,
                 device: str | torch.device | None = None):
        self.cfg, self.rank, self.world = cfg, rank, world
        self.device = torch.device(device or ("cuda" if cfg.use_gpu and torch.cuda.is_available() else "cpu"))
        torch.manual_seed(cfg.seed)
        self.compute_dtype = resolve_dtype(cfg.policy.dtype, self.device)
        fsdp = cfg.parallel.strategy == "fsdp"
        # trainable weights are float32 masters; a frozen LoRA base is stored in the compute dtype
        # (FSDP2 casts whole groups, so there it stays float32 too)
        storage = self.compute_dtype if cfg.lora.rank and not fsdp else torch.float32
        load_on = torch.device("cpu") if cfg.parallel.cpu_offload else self.device
        self.model, self.tok = load_policy(cfg.policy, load_on, dtype=storage)
        if cfg.lora.rank:
            apply_lora(self.model, cfg.lora)  # adapters drawn from the seeded global RNG, float32
        self.images = None
        if cfg.data.variant == "image":
            if not is_vision_model(self.model):
                raise ValueError(f"data.variant: image, but the policy ({cfg.policy.path or 'tiny'}) "
                                 "has no vision tower")
            self.images = load_image_processor(cfg.policy, cfg.data.image_min_pixels,
                                               cfg.data.image_max_pixels)
        self.layout = _layout(self.model)
        if cfg.policy.compile:
            from training.engine import shard_units

            for block in shard_units(self.model):
                block.compile(dynamic=True)
        self.module = self.model  # the HF model (generation, checkpoints)
        # a rank whose share of a step has no picture leaves the vision tower unused
        self.engine = Engine(self.module, strategy=cfg.parallel.strategy, world=world, device=self.device,
                             compute_dtype=self.compute_dtype, logits_chunk=cfg.optim.logits_chunk,
                             cpu_offload=cfg.parallel.cpu_offload,
                             find_unused_parameters=self.images is not None)
        self.engine.train(True)
        self.optim = torch.optim.AdamW(self.engine.trainable_parameters(), lr=cfg.optim.lr,
                                       betas=cfg.optim.betas, weight_decay=cfg.optim.weight_decay)
        # one learning rate per training step (training/schedule.py), checkpointed with the optimizer
        self.scheduler = make_scheduler(self.optim, cfg.optim, cfg.steps)
        self.stops = stop_ids(self.tok)
        self.placeholders = set(vision_token_ids(self.module.config))
        self.rollout_dtype = resolve_dtype(cfg.rollout.dtype, self.device)
        # in-process HF rollouts read the trainer's own weights when they are what the engine
        # should run (float32, unsharded); otherwise a copy in the rollout dtype, built when first
        # needed and refreshed after every update
        self.shares_weights = rollout is None and (
            self.rollout_dtype == torch.float32 and not fsdp
            and all(p.dtype == torch.float32 for p in self.module.parameters()))
        if self.shares_weights:
            rollout = self._hf_backend(self.module)
        self._rollout = rollout
        # one engine for all ranks (a Ray actor, vLLM): rank 0 drives it for the whole step
        self.driver_only = bool(getattr(rollout, "shared", False)) and world > 1
        self.mixture = Mixture(prompts if prompts is not None else load_prompts(cfg.data), cfg.seed)
        self.rewards = RewardPool(cfg.reward.workers, cfg.reward.timeout_s)
        self.step_no = 0
        self.cursor = Cursor()
        self.gate_stats: dict[str, float] = {"groups": 0, "gate_on": 0, "successes": 0, "rollouts": 0}
        self._encoded: dict[str, tuple[list[int], Vision | None]] = {}
        self._n_params = sum(p.numel() for p in self.module.parameters())
        if cfg.resume_from:
            self.load(Path(cfg.resume_from))
        elif self._rollout is not None and not self.shares_weights:
            self.push_weights()

    def _hf_backend(self, model) -> HFBackend:
        return HFBackend(model, self.tok, self.stops, cuda_graphs=self.cfg.rollout.cuda_graphs,
                         max_batch_tokens=self.cfg.rollout.max_batch_tokens)

    @property
    def rollout(self) -> RolloutBackend:
        """The rollout engine; the in-process copy is built on first use (an update-only caller
        never pays for a second model) and starts from the trainer's current weights."""
        if self._rollout is None:
            engine_model, _ = load_policy(self.cfg.policy, self.device, dtype=self.rollout_dtype,
                                          checkpointing=False)
            self._rollout = self._hf_backend(engine_model)
            self.push_weights()
        return self._rollout

    # -- one step -------------------------------------------------------------------------------

    def phase(self) -> str:
        return algorithm_at(self.cfg.algo, self.step_no).name

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

    def push_weights(self) -> None:
        """The new weights to the rollout engine: streamed tensor by tensor (adapters merged,
        shards gathered), so no second full copy of the model is ever built. Under FSDP2 every
        rank takes part in the gathering; a shared engine receives them from rank 0 only."""
        if self.shares_weights or self._rollout is None:
            return  # a copy not built yet takes the weights when it is
        weights = self.engine.rollout_weights()
        if self.driver_only and self.rank != 0:
            for _ in weights:  # take part in the all-gathers, send nothing
                pass
            return
        self.rollout.load_weights(weights)

    def _generate(self, prompt_ids: list[list[int]], visions: list[Vision | None],
                  sampling: Sampling) -> list[list[Sample]]:
        """This rank's groups. With a shared engine, rank 0 generates the whole step's prompts in
        one call (the engine batches them best) and hands each rank its share."""
        vision = visions if any(v is not None for v in visions) else None
        if not self.driver_only:
            self.rollout.wake()
            try:
                return self.rollout.generate(prompt_ids, sampling, vision)
            finally:
                self.rollout.sleep()
        shares = gather_objects((prompt_ids, visions))
        out = None
        if self.rank == 0:
            flat_ids = [p for ids, _ in shares for p in ids]
            flat_vis = [v for _, vs in shares for v in vs]
            self.rollout.wake()
            try:
                groups = self.rollout.generate(flat_ids, sampling, flat_vis if any(
                    v is not None for v in flat_vis) else None)
            finally:
                self.rollout.sleep()
            out, k = [], 0
            for ids, _ in shares:
                out.append(groups[k:k + len(ids)])
                k += len(ids)
        return scatter_objects(out)

    def step(self) -> dict[str, Any]:
        cfg = self.cfg
        algo = algorithm_at(cfg.algo, self.step_no)
        t_start = time.perf_counter()
        batch, next_cursor = self.mixture.take(self.cursor, cfg.prompts_per_step)
        local = batch[self.rank:: self.world]
        encoded = [self._encode(p) for p in local]
        step_seed = int(stable_hash("rollout", cfg.seed, self.step_no, self.rank), 16) % 2**31

        t0 = time.perf_counter()
        groups = self._generate([ids for ids, _ in encoded], [v for _, v in encoded], Sampling(
            n=cfg.rollout.n_on, temperature=cfg.rollout.temperature, top_p=cfg.rollout.top_p,
            max_new_tokens=cfg.rollout.max_new_tokens, seed=step_seed))
        if self.placeholders:
            self._cut_placeholders(groups)
        t_generate = time.perf_counter() - t0

        t0 = time.perf_counter()
        texts = [(p, self.tok.decode(s.response_ids, skip_special_tokens=True))
                 for p, g in zip(local, groups) for s in g]
        flat, rstats = self.rewards.score(texts)
        rewards = torch.tensor(flat, dtype=torch.float32).reshape(len(local), cfg.rollout.n_on)
        t_reward = time.perf_counter() - t0

        rollout_rows, expert_rows, gates = self._rows(algo, local, encoded, groups, rewards)

        t0 = time.perf_counter()
        lr = self.optim.param_groups[0]["lr"]  # this step's, whatever minibatches and epochs do
        losses = self._update(algo, rollout_rows, expert_rows)
        self.scheduler.step()
        t_update = time.perf_counter() - t0

        t0 = time.perf_counter()
        self.push_weights()
        t_sync = time.perf_counter() - t0

        self.cursor = next_cursor
        self.step_no += 1
        seconds = time.perf_counter() - t_start
        metrics = self._metrics(algo, local, groups, rewards, gates, rstats, losses)
        n_gen = metrics["generated_tokens"]
        metrics.update(
            lr=lr, t_generate=t_generate, t_reward=t_reward, t_update=t_update, t_sync=t_sync,
            # distinct tokens of the step (generated once, traces once) per second of the step
            tokens_per_s=(n_gen + metrics["expert_tokens"]) / max(seconds, 1e-9),
            generate_tokens_per_s=n_gen / max(t_generate, 1e-9),
            update_tokens_per_s=losses["forward_tokens"] / max(t_update, 1e-9),
            mfu=self._mfu(2 * n_gen + losses["flop_tokens"], seconds),
            mfu_update=self._mfu(losses["flop_tokens"], t_update))
        return metrics

    def _cut_placeholders(self, groups: list[list[Sample]]) -> None:
        """An engine that let a picture placeholder into a reply (the backends suppress them):
        end the reply before it, as truncated, so the recomputation never looks for a picture."""
        for group in groups:
            for s in group:
                cut = next((k for k, t in enumerate(s.response_ids) if t in self.placeholders), None)
                if cut is not None:
                    s.response_ids, s.logprobs, s.truncated = s.response_ids[:cut], s.logprobs[:cut], True

    def _rows(self, algo: Algorithm, local: list[Prompt], encoded: list[tuple[list[int], Vision | None]],
              groups: list[list[Sample]], rewards: torch.Tensor):
        """Rollout and expert rows with advantages and gates, as the algorithm defines them."""
        cfg = self.cfg
        temp = cfg.rollout.temperature
        gates = success_gate(rewards, cfg.algo.r_hat, algo.gate)
        rollout_rows: list[Row] = []
        expert_rows: list[Row] = []
        for g, (p, (ids, vision), group) in enumerate(zip(local, encoded, groups)):
            has_expert = p.expert is not None
            gates[g] = bool(gates[g]) and has_expert  # no trace, no off-policy term
            if algo.trace_in_group and has_expert:
                # the trace replaces the last rollout and joins the group's advantage (reward 1)
                r = torch.cat([rewards[g, :-1], torch.ones(1)])
                adv = group_advantages(r.unsqueeze(0))[0]
                kept = group[:-1]
                expert_rows.append(Row(ids, encode_reply(self.tok, p.expert), float(adv[-1]), True, g,
                                       vision, expert=True))
            else:
                adv = group_advantages(rewards[g].unsqueeze(0))[0]
                kept = group
                if has_expert and bool(gates[g]):
                    expert_rows.append(Row(ids, encode_reply(self.tok, p.expert), 0.0, True, g, vision,
                                           expert=True))
            if algo.rollout_term:
                rollout_rows += [Row(ids, s.response_ids, float(a), True, g, vision, temperature=temp)
                                 for s, a in zip(kept, adv.tolist()) if s.response_ids]
        return rollout_rows, expert_rows, gates

    # -- the update -----------------------------------------------------------------------------

    def _micro_batches(self, rows: list[Row]) -> list[list[Row]]:
        """Token-budget micro-batches, as many on every rank (FSDP2 and DDP run collectives in
        each forward): a rank with fewer adds empty ones (one masked token)."""
        plan = [[rows[i] for i in idx] for idx in
                plan_micro_batches([len(r) for r in rows], self.cfg.optim.micro_batch_tokens,
                                   padded=self.layout != "packed")]
        n = int(all_reduce(torch.tensor([len(plan)], dtype=torch.float64), "max").item())
        pad = self.tok.pad_token_id
        plan += [[Row([pad], [pad], gate=False, group=-1, expert=True)] for _ in range(n - len(plan))]
        return [sorted(mb, key=lambda r: r.expert) for mb in plan]  # rollouts first, then traces

    def _forward(self, mb: list[Row], with_entropy: bool = False):
        inputs, pictures, temps = _inputs(mb, self.tok.pad_token_id, self.layout)
        lp, ent = self.engine.logprobs(inputs, temps, pictures, with_entropy)
        return inputs.lengths, lp, ent

    def _update(self, algo: Algorithm, rollout_rows: list[Row], expert_rows: list[Row]) -> dict[str, float]:
        cfg = self.cfg
        n_groups = 1 + max([r.group for r in rollout_rows + expert_rows], default=0)
        parts = max(1, cfg.optim.minibatches)
        minibatches = []  # groups stay whole within a minibatch (their advantages belong together)
        for m in range(parts):
            rows = [r for r in rollout_rows + expert_rows if r.group * parts // n_groups == m]
            plan = self._micro_batches(rows)
            local = count_tokens(*self._masks([r for r in rows if not r.expert],
                                              [r for r in rows if r.expert]))
            counts = Counts.from_tensor(all_reduce(local.as_tensor()))
            minibatches.append((plan, counts))
        acc: dict[str, float] = defaultdict(float)
        # one optimizer step on fresh samples: the policy that sampled is the one being updated,
        # so the old log-probabilities are this forward's own (ratio exactly 1) and the separate
        # no-gradient pass would only repeat them
        fresh = cfg.optim.update_epochs == 1 and parts == 1
        if not fresh:
            # old log-probs recomputed with the weights that sampled (engines differ numerically),
            # in eval mode (no adapter dropout), micro-batched exactly as the update, so the first
            # epoch's ratio is exactly 1; the sampling policy's entropy comes with them
            self.engine.train(False)
            with torch.no_grad():
                for plan, _ in minibatches:
                    for mb in plan:
                        lengths, lp, ent = self._forward(mb, with_entropy=True)
                        acc["forward_tokens"] += sum(len(r) for r in mb)
                        acc["flop_tokens"] += 2 * sum(len(r) for r in mb)
                        for r, piece, e in zip(mb, lp.split(lengths), ent.split(lengths)):
                            if not r.expert:
                                r.old = piece
                                acc["entropy_sum"] += float(e.sum())
                                acc["entropy_tokens"] += len(e)
            self.engine.train(True)
        for epoch in range(cfg.optim.update_epochs):
            for plan, counts in minibatches:
                self.optim.zero_grad(set_to_none=True)
                for k, mb in enumerate(plan):
                    with self.engine.sync_gradients(k == len(plan) - 1):
                        out, ent = self._micro_loss(algo, mb, counts, fresh)
                        # DDP and FSDP2 average gradients over ranks; the loss is already this
                        # rank's share of one global sum
                        (out.loss * self.world).backward()
                    acc["loss"] += float(out.loss.detach())
                    acc["loss_rollout"] += float(out.rollout_part)
                    acc["loss_expert"] += float(out.expert_part)
                    acc["clipped_tokens"] += float(out.clip_fraction) * float(out.rollout_tokens)
                    acc["forward_tokens"] += sum(len(r) for r in mb)
                    acc["flop_tokens"] += 6 * sum(len(r) for r in mb)
                    if ent is not None:
                        acc["entropy_sum"] += float(ent[0])
                        acc["entropy_tokens"] += float(ent[1])
                acc["grad_norm"] = self.engine.clip_grad_norm(cfg.optim.grad_clip)
                self.optim.step()
                acc["rollout_tokens"] += float(counts.rollout_tokens)
                acc["expert_tokens"] += float(counts.expert_tokens)
        epochs = cfg.optim.update_epochs
        reduced = all_reduce(torch.tensor([acc["loss"], acc["loss_rollout"], acc["loss_expert"],
                                           acc["clipped_tokens"], acc["entropy_sum"], acc["entropy_tokens"],
                                           acc["forward_tokens"], acc["flop_tokens"]], dtype=torch.float64))
        loss, l_roll, l_exp, clipped, ent_sum, ent_n, fwd, flop = reduced.tolist()
        z_r, z_e = (self._z(minibatches)) if minibatches else (1.0, 1.0)
        return {"loss": loss / (parts * epochs), "loss_rollout": l_roll / (parts * epochs),
                "loss_expert": l_exp / (parts * epochs), "z_rollout": z_r, "z_expert": z_e,
                "clip_fraction": clipped / max(acc["rollout_tokens"], 1.0),
                "entropy": ent_sum / max(ent_n, 1.0), "grad_norm": acc["grad_norm"],
                "rollout_tokens": acc["rollout_tokens"] / epochs, "expert_tokens": acc["expert_tokens"] / epochs,
                "forward_tokens": fwd, "flop_tokens": flop}

    def _z(self, minibatches) -> tuple[float, float]:
        """The normalisers of the loss as the config defines them, averaged over minibatches."""
        from training.losses import normalisers

        cfg = self.cfg
        zs = [normalisers(c, cfg.algo.normaliser, cfg.algo.constant_length) for _, c in minibatches]
        return (sum(float(z[0]) for z in zs) / len(zs), sum(float(z[1]) for z in zs) / len(zs))

    def _masks(self, rollouts: list[Row], experts: list[Row]):
        r_mask = row_mask([len(r.response_ids) for r in rollouts])
        e_mask = row_mask([len(r.response_ids) for r in experts])
        e_gate = torch.tensor([r.gate for r in experts], dtype=torch.bool)
        return r_mask, e_mask, e_gate

    def _micro_loss(self, algo: Algorithm, mb: list[Row], counts: Counts, fresh: bool):
        """The loss of one micro-batch (its share of the global sum); with `fresh` samples the
        old log-probabilities are this forward's own, detached, and the rollouts' entropy
        (sum, tokens) comes back too."""
        cfg = self.cfg
        rollouts = [r for r in mb if not r.expert]
        experts = [r for r in mb if r.expert]
        lengths, lp, ent = self._forward(mb, with_entropy=fresh)
        n_r = sum(lengths[: len(rollouts)])
        r_lp = split_rows(lp[:n_r], lengths[: len(rollouts)])
        e_lp = split_rows(lp[n_r:], lengths[len(rollouts):])
        dev = lp.device
        if fresh:
            r_old = r_lp.detach()
        elif rollouts:
            r_old = split_rows(torch.cat([r.old for r in rollouts]), lengths[: len(rollouts)]).to(dev)
        else:
            r_old = torch.zeros_like(r_lp)
        r_mask, e_mask, e_gate = (t.to(dev) for t in self._masks(rollouts, experts))
        out = ahpo_loss(
            rollout_logprobs=r_lp, rollout_old_logprobs=r_old, rollout_mask=r_mask,
            advantages=torch.tensor([r.advantage for r in rollouts], device=dev),
            expert_logprobs=e_lp, expert_mask=e_mask, expert_gate=e_gate,
            clip_eps=cfg.algo.clip_eps, normaliser=cfg.algo.normaliser,
            constant_length=cfg.algo.constant_length, global_counts=counts, expert_term=algo.expert_term,
            expert_advantages=torch.tensor([r.advantage for r in experts], device=dev),
            luffy_gamma=cfg.algo.luffy_gamma)
        ent_stats = (float(ent[:n_r].sum()), float(n_r)) if fresh else None
        return out, ent_stats

    # -- metrics --------------------------------------------------------------------------------

    def _metrics(self, algo, local, groups, rewards, gates, rstats, losses) -> dict[str, Any]:
        """The step's numbers over the global batch: every rank's sums gathered and added."""
        successes = (rewards == 1).sum(-1).tolist()
        lengths = [len(s.response_ids) for g in groups for s in g]
        by_source, by_cat = defaultdict(lambda: [0.0, 0]), defaultdict(lambda: [0.0, 0])
        for p, r in zip(local, rewards.mean(-1).tolist()):
            by_source[p.source][0] += r
            by_source[p.source][1] += 1
            by_cat[p.category][0] += r
            by_cat[p.category][1] += 1
        mine = {"prompts": len(local), "groups_gated": int(gates.sum()), "reward_sum": float(rewards.sum()),
                "rollouts": rewards.numel(), "successes": Counter(successes), "len_sum": sum(lengths),
                "len_max": max(lengths, default=0), "truncated": sum(s.truncated for g in groups for s in g),
                "timeouts": rstats.timeouts, "by_source": dict(by_source), "by_cat": dict(by_cat)}
        ranks = all_gather_objects(mine)
        total = {k: sum(r[k] for r in ranks) for k in ("prompts", "groups_gated", "reward_sum", "rollouts",
                                                        "len_sum", "truncated", "timeouts")}
        hist: Counter = sum((r["successes"] for r in ranks), Counter())
        src, cat = defaultdict(lambda: [0.0, 0]), defaultdict(lambda: [0.0, 0])
        for r in ranks:
            for into, key in ((src, "by_source"), (cat, "by_cat")):
                for k, (s, n) in r[key].items():
                    into[k][0] += s
                    into[k][1] += n
        self.gate_stats["groups"] += total["prompts"]
        self.gate_stats["gate_on"] += total["groups_gated"]
        self.gate_stats["successes"] += sum(k * v for k, v in hist.items())
        self.gate_stats["rollouts"] += total["rollouts"]
        n_seq = max(total["rollouts"], 1)
        return {
            "step": self.step_no, "phase": algo.name, "prompts": total["prompts"],
            **{k: losses[k] for k in ("loss", "loss_rollout", "loss_expert", "z_rollout", "z_expert",
                                      "clip_fraction", "entropy", "grad_norm")},
            "rollout_tokens": int(losses["rollout_tokens"]), "expert_tokens": int(losses["expert_tokens"]),
            "generated_tokens": total["len_sum"],
            "gate_on_fraction": total["groups_gated"] / total["prompts"] if total["prompts"] else 0.0,
            "reward_mean": total["reward_sum"] / total["rollouts"] if total["rollouts"] else 0.0,
            "success_hist": json.dumps({str(k): v for k, v in sorted(hist.items())}),
            "reward_by_source": json.dumps({k: s / n for k, (s, n) in sorted(src.items())}),
            "reward_by_category": json.dumps({k: s / n for k, (s, n) in sorted(cat.items())}),
            "response_len_mean": total["len_sum"] / n_seq,
            "response_len_max": max(r["len_max"] for r in ranks),
            "truncated_fraction": total["truncated"] / n_seq,
            "reward_timeouts": total["timeouts"],
        }

    def _mfu(self, flop_tokens: float, seconds: float) -> float | None:
        """Model FLOPs utilisation on GPUs: `flop_tokens` counts 2 per token of a forward
        (generation, the old log-probability pass) and 6 per token of a forward and backward, so
        FLOPs = N x flop_tokens (attention and recomputation not counted), over every rank's peak
        (HELIX_PEAK_TFLOPS per GPU, default 989: H100/H200 dense bfloat16)."""
        if self.device.type != "cuda":
            return None
        peak = float(os.environ.get("HELIX_PEAK_TFLOPS", "989")) * 1e12 * self.world
        return self._n_params * flop_tokens / max(seconds, 1e-9) / peak

    # -- checkpoints ------------------------------------------------------------------------------

    def save(self, path: Path, hf_export: bool = True) -> Path:
        """Model, optimizer, RNG, data cursor, gate statistics; plus an HF folder for evaluation.
        Every rank calls it (FSDP2 shards are saved by their owners through torch.distributed
        .checkpoint; gathering weights for the HF folder is a collective). Written to a temporary
        folder and renamed, so a killed run never leaves half a checkpoint."""
        tmp = path.with_name(f".{path.name}.tmp")
        if self.rank == 0:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir(parents=True)
        barrier()
        meta = {"config_hash": self.cfg.config_hash(), "step": self.step_no,
                "cursor": self.cursor.model_dump(), "gate_stats": dict(self.gate_stats),
                "scheduler": self.scheduler.state_dict(),
                "rng": {"torch": torch.get_rng_state(), "python": random.getstate(),
                        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None}}
        if self.engine.strategy == "fsdp":
            import torch.distributed.checkpoint as dcp
            from torch.distributed.checkpoint.state_dict import get_state_dict

            model_sd, optim_sd = get_state_dict(self.engine.net, self.optim)
            dcp.save({"model": model_sd, "optim": optim_sd}, checkpoint_id=str(tmp / "sharded"))
            if self.rank == 0:
                torch.save(meta, tmp / "state.pt")
        elif self.rank == 0:
            torch.save({**meta, "model": self.module.state_dict(), "optimizer": self.optim.state_dict()},
                       tmp / "state.pt")
        if hf_export:  # a plain model folder: adapters merged, the picture preprocessor beside it
            weights = {k: v.to("cpu") for k, v in self.engine.rollout_weights()}
            if self.rank == 0:
                self.module.save_pretrained(tmp / "hf", state_dict=weights)
                self.tok.save_pretrained(tmp / "hf")
                if self.images is not None:
                    self.images.save_pretrained(tmp / "hf")
        barrier()
        if self.rank == 0:
            shutil.rmtree(path, ignore_errors=True)
            os.replace(tmp, path)
        barrier()
        return path

    def load(self, path: Path) -> None:
        # CPU first: RNG states must stay CPU tensors; load_state_dict copies onto each parameter's device
        state = torch.load(path / "state.pt", map_location="cpu", weights_only=False)
        if state["config_hash"] != self.cfg.config_hash():
            raise ValueError(f"checkpoint {path} was written by config {state['config_hash']}, "
                             f"this run is {self.cfg.config_hash()}")
        if self.engine.strategy == "fsdp":
            import torch.distributed.checkpoint as dcp
            from torch.distributed.checkpoint.state_dict import get_state_dict, set_state_dict

            model_sd, optim_sd = get_state_dict(self.engine.net, self.optim)
            loaded = {"model": model_sd, "optim": optim_sd}
            dcp.load(loaded, checkpoint_id=str(path / "sharded"))
            set_state_dict(self.engine.net, self.optim, model_state_dict=loaded["model"],
                           optim_state_dict=loaded["optim"])
        else:
            self.module.load_state_dict(state["model"])
            self.optim.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng"]["torch"])
        random.setstate(state["rng"]["python"])
        if state["rng"]["cuda"] is not None and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(state["rng"]["cuda"])
        self.step_no, self.cursor = state["step"], Cursor(**state["cursor"])
        self._restore_schedule(state.get("scheduler"))
        self.gate_stats = state["gate_stats"]
        self.push_weights()

    def _restore_schedule(self, saved: dict | None) -> None:
        """The scheduler where the checkpoint left it, and every parameter group at its learning
        rate (a sharded optimizer state need not carry it); a checkpoint without a scheduler
        state continues the schedule from its step."""
        if saved is not None:
            self.scheduler.load_state_dict(saved)
        self.scheduler.last_epoch = self.step_no
        for group in self.optim.param_groups:
            group["lr"] = lr_at(self.step_no, self.cfg.optim, self.cfg.steps)

    def close(self) -> None:
        self.rewards.close()
