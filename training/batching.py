"""Micro-batches by token budget, and the model inputs of one micro-batch.

The update never puts a rank's whole share of a step through one forward: its rows (rollouts and
expert traces) are binned into micro-batches of at most `budget` tokens, each one forward and
backward, gradients accumulated. Two layouts:

- padded: rows sorted by length, so a micro-batch holds rows of similar length and little padding.
  Text rows are right-padded and need no attention mask at all: under a causal mask a real token
  never sees the padding after it, so attention runs as plain causal attention (SDPA's flash
  kernel) and the padded positions, never scored, are simply ignored. Rows with pictures keep
  their mask (multimodal positions are computed from it).
- packed: the sequences end to end in one row whose position ids restart at 0 for each sequence;
  transformers then keeps attention within each sequence. No token is padding, but only a
  variable-length kernel (flash_attention_2) makes that cheap: with SDPA the block mask is dense
  and a micro-batch of N tokens pays N^2 attention, so the trainer packs only with flash attention.

Pure functions of token ids: no model, no process group.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import torch
from torch import Tensor


def plan_micro_batches(lengths: Sequence[int], budget: int, padded: bool = False) -> list[list[int]]:
    """Row indices grouped so that each group's tokens fit `budget`: the sum of lengths when
    packed (first-fit decreasing), rows x longest row when padded (longest first, in order).
    A row longer than the budget gets a group of its own. Deterministic; every index once."""
    if budget < 1:
        raise ValueError("the micro-batch budget must be at least one token")
    order = sorted(range(len(lengths)), key=lambda i: (-lengths[i], i))
    groups: list[list[int]] = []
    if padded:
        for i in order:
            if groups and (len(groups[-1]) + 1) * lengths[groups[-1][0]] <= budget:
                groups[-1].append(i)
            else:
                groups.append([i])
        return groups
    room: list[int] = []
    for i in order:
        for g, free in enumerate(room):
            if lengths[i] <= free:
                groups[g].append(i)
                room[g] -= lengths[i]
                break
        else:
            groups.append([i])
            room.append(budget - lengths[i])
    return groups


@dataclass
class MicroBatch:
    """One forward's inputs. `gather` indexes the flattened [rows * length] hidden states at the
    positions whose next token is a response token; `targets` are those tokens; `lengths` the
    response length of each row in order (split the flat result by it)."""

    input_ids: Tensor
    position_ids: Tensor | None
    attention_mask: Tensor | None
    gather: Tensor
    targets: Tensor
    lengths: list[int]

    def to(self, device: torch.device) -> "MicroBatch":
        move = (lambda t: None if t is None else t.to(device, non_blocking=True))
        return MicroBatch(move(self.input_ids), move(self.position_ids), move(self.attention_mask),
                          move(self.gather), move(self.targets), self.lengths)


def packed(prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]]) -> MicroBatch:
    """All sequences end to end in one row, positions restarting at each."""
    ids: list[int] = []
    pos: list[int] = []
    gather: list[int] = []
    targets: list[int] = []
    for p, r in zip(prompts, responses):
        start = len(ids)
        seq = list(p) + list(r)
        ids += seq
        pos += range(len(seq))
        # the hidden state at position t predicts token t + 1
        gather += range(start + len(p) - 1, start + len(seq) - 1)
        targets += r
    return MicroBatch(torch.tensor([ids]), torch.tensor([pos]), None, torch.tensor(gather, dtype=torch.long),
                      torch.tensor(targets, dtype=torch.long), [len(r) for r in responses])


def padded(prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]], pad_id: int,
           mask: bool = True) -> MicroBatch:
    """Right-padded rows (positions 0.. in every row, as in generation), with an attention mask
    or, `mask=False`, without one (plain causal attention: exact for every real token)."""
    seqs = [list(p) + list(r) for p, r in zip(prompts, responses)]
    width = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), width), pad_id, dtype=torch.long)
    attn = torch.zeros_like(ids)
    gather: list[int] = []
    targets: list[int] = []
    for b, (s, p, r) in enumerate(zip(seqs, prompts, responses)):
        ids[b, : len(s)] = torch.tensor(s)
        attn[b, : len(s)] = 1
        gather += range(b * width + len(p) - 1, b * width + len(s) - 1)
        targets += r
    return MicroBatch(ids, None, attn if mask else None, torch.tensor(gather, dtype=torch.long),
                      torch.tensor(targets, dtype=torch.long), [len(r) for r in responses])


def split_rows(flat: Tensor, lengths: Sequence[int]) -> Tensor:
    """The flat per-token values of a micro-batch as [rows, longest] (zeros past each row's end)."""
    out = flat.new_zeros(len(lengths), max(lengths, default=0))
    if flat.numel():
        rows = torch.repeat_interleave(torch.arange(len(lengths), device=flat.device),
                                       torch.tensor(lengths, device=flat.device))
        cols = torch.cat([torch.arange(n, device=flat.device) for n in lengths])
        out = out.index_put((rows, cols), flat)
    return out


def row_mask(lengths: Sequence[int], device: torch.device | str = "cpu") -> Tensor:
    width = max(lengths, default=0)
    return torch.arange(width, device=device).unsqueeze(0) < torch.tensor(lengths, device=device).unsqueeze(1)
