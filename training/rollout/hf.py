"""Rollouts with a Hugging Face model (CPU or GPU), in-process or inside a Ray actor.

All prompts x n samples of a call decode together, in batches bounded by `max_batch_tokens`
(rows x (prompt + new tokens), i.e. the KV cache). A text model decodes in helix's own loop:

- prompts are left-padded; each row's positions start at 0 on its first real token, so the
  positions and hence the log-probabilities equal the trainer's recomputation of the same row;
- a static KV cache (preallocated, written in place), prefilled in chunks;
- decoding attention reads the cache once per key-value head (grouped-query attention without
  repeating the cache per query head, which is what makes padded batches slow in transformers'
  default path), under one explicit boolean mask;
- on a GPU each decoding step is replayed as a captured CUDA graph (a step of a 24-layer model is
  hundreds of small kernels: launching them one by one is what made per-prompt decoding ~100
  tokens/s); when capture fails the loop runs eagerly and says why once.

Vision-language models (multimodal positions come from the pictures) use transformers'
`generate` on the same left-padded batches.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import Iterable

import torch
from torch import Tensor

from training.losses import token_logprobs
from training.policy import is_vision_model, vision_token_ids
from training.rollout.base import Sample, Sampling, Vision, model_inputs

log = logging.getLogger(__name__)
GROUPED = "helix_grouped"


def grouped_attention(module, query: Tensor, key: Tensor, value: Tensor, attention_mask: Tensor | None,
                      scaling: float | None = None, dropout: float = 0.0, **kwargs):
    """Attention of a decoding step ([B, H, 1, D] queries) against the whole cache, each key-value
    head read once for its group of query heads; prefill chunks go to transformers' SDPA path."""
    if query.shape[2] > 1:
        from transformers.integrations.sdpa_attention import sdpa_attention_forward

        return sdpa_attention_forward(module, query, key, value, attention_mask, scaling=scaling,
                                      dropout=dropout, **kwargs)
    b, h, q, d = query.shape
    kvh, length = key.shape[1], key.shape[2]
    g = h // kvh
    scale = scaling if scaling is not None else d ** -0.5
    scores = torch.matmul(query.reshape(b, kvh, g * q, d), key.transpose(-1, -2)).float() * scale
    if attention_mask is not None:  # [B, 1, 1, L] bool: the keys each row may read
        scores = scores.masked_fill(~attention_mask.view(b, 1, 1, length), float("-inf"))
    probs = torch.softmax(scores, dim=-1).to(value.dtype)
    out = torch.matmul(probs, value)  # [B, KVH, G, D]
    return out.reshape(b, h, q, d).transpose(1, 2).contiguous(), None


def _register_attention() -> None:
    from transformers import AttentionInterface

    AttentionInterface.register(GROUPED, grouped_attention)


class StaticKV:
    """The KV cache transformers' attention layers write through `update`: preallocated
    [B, KVH, L, D] per layer on first use, written in place at `positions` (a device tensor the
    decoder sets before each forward: the cache slots of this forward's tokens)."""

    def __init__(self, length: int):
        self.length = length
        self.keys: dict[int, Tensor] = {}
        self.values: dict[int, Tensor] = {}
        self.positions: Tensor | None = None
        self.seen = 0  # for transformers versions that ask (never inside a captured graph)

    def update(self, key: Tensor, value: Tensor, layer_idx: int, *args, **kwargs):
        if layer_idx not in self.keys:
            b, kvh, _, d = key.shape
            self.keys[layer_idx] = key.new_zeros(b, kvh, self.length, d)
            self.values[layer_idx] = value.new_zeros(b, kvh, self.length, value.shape[-1])
        self.keys[layer_idx].index_copy_(2, self.positions, key)
        self.values[layer_idx].index_copy_(2, self.positions, value)
        return self.keys[layer_idx], self.values[layer_idx]

    def get_seq_length(self, layer_idx: int = 0) -> int:
        return self.seen


@contextmanager
def _attention(model, name: str):
    """Use attention implementation `name` for the duration (the trainer may share this model
    and must keep its own)."""
    before = model.config._attn_implementation
    model.config._attn_implementation = name
    try:
        yield
    finally:
        model.config._attn_implementation = before


def _sample(logits: Tensor, sampling: Sampling, suppress: Tensor | None, gen: torch.Generator):
    """(token, log p at the sampling temperature) per row; suppressed tokens and top-p shape the
    draw, the log-probability is that of the plain tempered distribution (what the trainer
    recomputes). Greedy (temperature 0): the most likely allowed token, no draw."""
    if sampling.greedy:
        logp = torch.log_softmax(logits.float(), dim=-1)
        z = logp if suppress is None else logp.index_fill(-1, suppress, float("-inf"))
        tok = z.argmax(dim=-1)  # ties: the lowest id, so the same weights give the same reply
        return tok, logp.gather(-1, tok.unsqueeze(1)).squeeze(1)
    z = logits.float() / sampling.temperature
    logp = torch.log_softmax(z, dim=-1)
    if suppress is not None:
        z[:, suppress] = float("-inf")
    if sampling.top_p < 1.0:
        sorted_z, idx = torch.sort(z, dim=-1, descending=True)
        cum = torch.softmax(sorted_z, dim=-1).cumsum(-1)
        drop = cum - torch.softmax(sorted_z, dim=-1) >= sampling.top_p  # keep the smallest head >= p
        sorted_z = sorted_z.masked_fill(drop, float("-inf"))
        z = torch.full_like(z, float("-inf")).scatter(-1, idx, sorted_z)
    tok = torch.multinomial(torch.softmax(z, dim=-1), 1, generator=gen).squeeze(1)
    return tok, logp.gather(-1, tok.unsqueeze(1)).squeeze(1)


class Decoder:
    """helix's decoding loop for text models (see the module docstring)."""

    def __init__(self, model, pad_id: int, stop_ids: list[int], suppress: list[int] | None,
                 cuda_graphs: bool, prefill_tokens: int = 32768):
        _register_attention()
        self.model, self.pad_id, self.cuda_graphs = model, pad_id, cuda_graphs
        self.prefill_tokens = prefill_tokens
        self.graph_failure: str | None = None
        device = next(model.parameters()).device
        self.stops = torch.tensor(stop_ids, device=device)
        self.suppress = torch.tensor(suppress, device=device) if suppress else None

    @torch.no_grad()
    def run(self, prompts: list[list[int]], sampling: Sampling, gen: torch.Generator
            ) -> tuple[Tensor, Tensor, Tensor]:
        """Tokens [B, new], log-probs [B, new] and the number of steps taken, for prompts
        (one row each)."""
        model = self.model
        device = self.stops.device
        b, width, new = len(prompts), max(len(p) for p in prompts), sampling.max_new_tokens
        length = width + new
        ids = torch.full((b, width), self.pad_id, dtype=torch.long)
        valid = torch.zeros(b, length, dtype=torch.bool)
        start = torch.zeros(b, dtype=torch.long)
        for k, p in enumerate(prompts):
            ids[k, width - len(p):] = torch.tensor(p)
            valid[k, width - len(p): width] = True
            start[k] = width - len(p)
        ids, valid, start = ids.to(device), valid.to(device), start.to(device)
        pos = (torch.arange(width, device=device).unsqueeze(0) - start.unsqueeze(1)).clamp(min=0)
        cache = StaticKV(length)
        keys = torch.arange(length, device=device)
        with _attention(model, GROUPED):
            # prefill in chunks of positions; a pad query may read itself (never a row of -inf)
            step = max(1, self.prefill_tokens // b)
            last = None
            for s in range(0, width, step):
                e = min(width, s + step)
                q = torch.arange(s, e, device=device)
                mask = (valid.unsqueeze(1) & (keys.view(1, 1, -1) <= q.view(1, -1, 1))) | (
                    keys.view(1, 1, -1) == q.view(1, -1, 1))
                cache.positions, cache.seen = q, s
                last = model(input_ids=ids[:, s:e], position_ids=pos[:, s:e], attention_mask=mask.unsqueeze(1),
                             past_key_values=cache, use_cache=True, logits_to_keep=1).logits[:, -1]
            # decoding state: static buffers a captured graph reads
            tok_buf = torch.full((b, 1), self.pad_id, dtype=torch.long, device=device)
            pos_buf = (pos[:, -1:] + 1).clone()
            slot = torch.tensor([width], device=device)
            mask_buf = valid.view(b, 1, 1, length).clone()
            cache.positions, cache.seen = slot, width

            def forward():
                return model(input_ids=tok_buf, position_ids=pos_buf, attention_mask=mask_buf,
                             past_key_values=cache, use_cache=True).logits[:, -1]

            graph, out_buf = self._capture(forward) if device.type == "cuda" and self.cuda_graphs else (None, None)
            tokens = torch.full((b, new), self.pad_id, dtype=torch.long, device=device)
            lps = torch.zeros(b, new, device=device)
            done = torch.zeros(b, dtype=torch.bool, device=device)
            logits, steps = last, 0
            for t in range(new):
                tok, lp = _sample(logits, sampling, self.suppress, gen)
                tok = torch.where(done, torch.full_like(tok, self.pad_id), tok)
                tokens[:, t], lps[:, t] = tok, lp
                done |= torch.isin(tok, self.stops)
                steps = t + 1
                if t == new - 1 or ((t + 1) % 16 == 0 and bool(done.all())):
                    break
                # the next step reads its own key (slot width + t) and those before it
                tok_buf.copy_(tok.unsqueeze(1))
                mask_buf[:, 0, 0, width + t] = True
                slot.fill_(width + t)
                cache.seen = width + t
                if graph is not None:
                    graph.replay()
                    logits = out_buf
                else:
                    logits = forward()
                pos_buf.add_(1)
        return tokens[:, :steps], lps[:, :steps], torch.tensor(steps)

    def _capture(self, forward):
        """(graph, its output buffer) of one decoding step, or (None, None) with the reason
        logged once. Warm-up runs write the next slot of the cache; the first real step writes
        it again."""
        try:
            stream = torch.cuda.Stream()
            stream.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(stream):
                for _ in range(2):
                    forward()
            torch.cuda.current_stream().wait_stream(stream)
            graph = torch.cuda.CUDAGraph()
            with torch.cuda.graph(graph):
                out = forward()
            return graph, out
        except Exception as exc:  # noqa: BLE001 (any capture failure: decode eagerly instead)
            if self.graph_failure is None:
                log.warning("CUDA graph capture failed, decoding eagerly: %s", exc)
            self.graph_failure = f"{type(exc).__name__}: {exc}"[:300]
            torch.cuda.synchronize()
            return None, None


class HFBackend:
    shared = False  # each rank holds its own (in-process) engine

    def __init__(self, model, tokenizer, stop_ids: list[int], cuda_graphs: bool = True,
                 max_batch_tokens: int = 524288):
        self.model, self.tokenizer, self.stop_ids = model, tokenizer, stop_ids
        self.max_batch_tokens = max_batch_tokens
        # a reply must not contain picture placeholders: the model would look for pictures there
        self.suppress = vision_token_ids(model.config) or None
        self.vision = is_vision_model(model)
        self.decoder = None if self.vision else Decoder(
            model, tokenizer.pad_token_id, stop_ids, self.suppress, cuda_graphs)

    def _batches(self, rows: list[list[int]], new: int) -> list[list[int]]:
        """Row indices in batches whose rows x (longest prompt + new tokens) fit the budget,
        longest prompts first (similar lengths share a batch: little left padding)."""
        order = sorted(range(len(rows)), key=lambda i: (-len(rows[i]), i))
        batches: list[list[int]] = []
        for i in order:
            if batches and (len(batches[-1]) + 1) * (len(rows[batches[-1][0]]) + new) <= self.max_batch_tokens:
                batches[-1].append(i)
            else:
                batches.append([i])
        return batches

    @torch.no_grad()
    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        was_training = self.model.training
        self.model.eval()
        device = next(self.model.parameters()).device
        rows = [ids for ids in prompts for _ in range(sampling.n)]
        row_vision = [vision[k] if vision else None for k in range(len(prompts)) for _ in range(sampling.n)]
        samples: list[Sample | None] = [None] * len(rows)
        gen = torch.Generator(device=device).manual_seed(sampling.seed)
        try:
            for batch in self._batches(rows, sampling.max_new_tokens):
                if self.decoder is not None:
                    tokens, lps, _ = self.decoder.run([rows[i] for i in batch], sampling, gen)
                else:
                    tokens, lps = self._generate_hf([rows[i] for i in batch], [row_vision[i] for i in batch],
                                                    sampling, device)
                tokens, lps = tokens.cpu(), lps.float().cpu()
                for k, i in enumerate(batch):
                    samples[i] = self._cut(tokens[k], lps[k])
        finally:
            self.model.train(was_training)
        return [samples[k * sampling.n:(k + 1) * sampling.n] for k in range(len(prompts))]

    def _generate_hf(self, rows: list[list[int]], visions: list[Vision | None], sampling: Sampling,
                     device: torch.device) -> tuple[Tensor, Tensor]:
        """transformers' generate on a left-padded batch (vision-language models)."""
        width = max(len(r) for r in rows)
        pad = self.tokenizer.pad_token_id
        ids = torch.tensor([[pad] * (width - len(r)) + r for r in rows], device=device)
        attn = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], device=device)
        pictures = {k: v.to(device) for k, v in model_inputs(visions).items()}
        draw = (dict(do_sample=False) if sampling.greedy else
                dict(do_sample=True, temperature=sampling.temperature, top_p=sampling.top_p, top_k=0))
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(sampling.seed)
            res = self.model.generate(
                input_ids=ids, attention_mask=attn, **pictures, **draw,
                max_new_tokens=sampling.max_new_tokens, eos_token_id=self.stop_ids, pad_token_id=pad,
                suppress_tokens=self.suppress, output_logits=True, return_dict_in_generate=True)
        new = res.sequences[:, width:]
        logits = torch.stack(res.logits, dim=1)  # raw logits, [rows, steps, vocab]
        return new, token_logprobs(logits, new, sampling.temperature or 1.0)

    def _cut(self, ids: Tensor, lp: Tensor) -> Sample:
        ids_l = ids.tolist()
        stop = next((i for i, t in enumerate(ids_l) if t in self.stop_ids), None)
        end = len(ids_l) if stop is None else stop + 1
        return Sample(response_ids=ids_l[:end], logprobs=lp[:end].tolist(), truncated=stop is None)

    def load_weights(self, weights: Iterable[tuple[str, Tensor]]) -> None:
        """Copy (name, tensor) pairs into the engine's parameters in place (their dtype and
        device); every parameter must be given, under the plain model's names (a tied parameter
        under any one of its names)."""
        params = dict(self.model.named_parameters(remove_duplicate=False))
        written = set()
        with torch.no_grad():
            for name, tensor in weights:
                if name not in params:
                    raise KeyError(f"the rollout engine's model has no parameter {name!r}")
                params[name].copy_(tensor)
                written.add(id(params[name]))
        missing = sorted(n for n, p in params.items() if id(p) not in written)
        if missing:
            raise KeyError(f"weights for the rollout engine lack {len(missing)} parameters, "
                           f"e.g. {missing[:3]}")

    def sleep(self) -> None:
        pass

    def wake(self) -> None:
        pass


class HFRolloutWorker:
    """The body of the rollout actor: its own copy of the policy, weights pushed by the trainer."""

    def __init__(self, policy_cfg: dict, device: str = "cpu", threads: int | None = None,
                 dtype: str = "float32", max_batch_tokens: int = 524288):
        from training.config import PolicyConfig
        from training.policy import load_policy, stop_ids

        if threads:
            torch.set_num_threads(threads)
        model, tok = load_policy(PolicyConfig.model_validate(policy_cfg), device, dtype=getattr(torch, dtype),
                                 checkpointing=False)
        self.backend = HFBackend(model, tok, stop_ids(tok), max_batch_tokens=max_batch_tokens)
        self.calls = {"generate": 0, "load_weights": 0}

    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        self.calls["generate"] += 1
        return self.backend.generate(prompts, sampling, vision)

    def load_weights(self, weights: dict[str, torch.Tensor]) -> None:
        self.calls["load_weights"] += 1
        self.backend.load_weights(weights.items())

    def stats(self) -> dict[str, int]:
        return dict(self.calls)

    def ready(self) -> bool:
        return True


class ActorBackend:
    """The trainer's view of an HF rollout actor: one engine for all ranks, which rank 0 drives
    (prompts of the step gathered there, weights pushed once)."""

    shared = True

    def __init__(self, actor):
        self.actor = actor

    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        import ray

        return ray.get(self.actor.generate.remote(prompts, sampling, vision))

    def load_weights(self, weights: Iterable[tuple[str, Tensor]]) -> None:
        import ray

        ray.get(self.actor.load_weights.remote({k: v.detach().to("cpu") for k, v in weights}))

    def sleep(self) -> None:
        pass

    def wake(self) -> None:
        pass


def create_hf_actor(policy_cfg: dict, num_gpus: float = 0.0, threads: int | None = 1,
                    dtype: str = "float32", max_batch_tokens: int = 524288):
    """A rollout actor scheduled outside any placement group: inside Ray Train's group it would
    wait for resources the training workers hold (the known deadlock)."""
    import ray
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    cls = ray.remote(HFRolloutWorker)
    actor = cls.options(num_cpus=1, num_gpus=num_gpus, scheduling_strategy=
                        PlacementGroupSchedulingStrategy(placement_group=None)).remote(
        policy_cfg, "cuda" if num_gpus else "cpu", threads, dtype, max_batch_tokens)
    ray.get(actor.ready.remote())
    return actor
