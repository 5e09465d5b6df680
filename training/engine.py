"""Where the update runs: one process, DDP, or FSDP2 across ranks; mixed precision; full weights
for rollout engines and exports; sharded checkpoints.

The trainer sees one `Engine`: `logprobs(micro_batch)` (autocast or FSDP2's mixed precision
applied), `sync_gradients(bool)` for accumulation, the trainable parameters, and
`rollout_weights()` (adapters merged, shards gathered). Precision, whatever the strategy:
trainable weights, their gradients and the AdamW states stay float32 (master weights); the forward
and backward run in the compute dtype (`policy.dtype`: bfloat16 on GPUs). Pure bfloat16 AdamW is
not offered: at lr 1e-6 most bfloat16 weights do not move at all (an update below half an ulp of
the weight rounds away).
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import torch
import torch.distributed as dist
from torch import Tensor, nn

from training.batching import MicroBatch
from training.lora import LORA_KEYS, LoraLinear
from training.logprobs import linear_logprobs, linear_logprobs_entropy


def resolve_dtype(name: str, device: torch.device) -> torch.dtype:
    """`auto`: bfloat16 on a GPU, float32 elsewhere."""
    if name == "auto":
        return torch.bfloat16 if device.type == "cuda" else torch.float32
    return getattr(torch, name)


def distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


class PolicyLogprobs(nn.Module):
    """The policy as the update needs it: token ids in, per-token log-probabilities of the
    response tokens out, through the decoder stack and `linear_logprobs` (no full logits).
    It is the root module that DDP or FSDP wraps, so their hooks see every forward."""

    def __init__(self, policy: nn.Module, chunk: int):
        super().__init__()
        self.policy = policy
        self.chunk = chunk

    def forward(self, input_ids: Tensor, position_ids: Tensor | None, attention_mask: Tensor | None,
                gather: Tensor, targets: Tensor, temperature: Tensor, with_entropy: bool = False,
                **pictures: Tensor) -> tuple[Tensor, Tensor | None]:
        """`gather` picks the flattened positions whose next token is scored (`targets`), each at
        its own `temperature`; entropies (no gradient) when asked for."""
        # HF convention: the decoder stack is `.model` under the LM head (Qwen2, Qwen2.5-VL, Llama)
        out = self.policy.model(input_ids=input_ids, position_ids=position_ids,
                                attention_mask=attention_mask, use_cache=False, **pictures)
        hidden = out.last_hidden_state.flatten(0, 1).index_select(0, gather)
        head = self.policy.get_output_embeddings()
        if with_entropy:
            return linear_logprobs_entropy(hidden, head.weight, targets, temperature, self.chunk, head.bias)
        return linear_logprobs(hidden, head.weight, targets, temperature, self.chunk, head.bias), None


def shard_units(model: nn.Module) -> list[nn.Module]:
    """The blocks FSDP2 shards one by one (decoder layers, vision blocks): the model's own
    `_no_split_modules` classes, as Hugging Face declares them for sharding."""
    names = set(getattr(model, "_no_split_modules", None) or [])
    units = [m for m in model.modules() if type(m).__name__ in names]
    if not units:
        raise ValueError(f"{type(model).__name__} declares no blocks to shard (_no_split_modules); "
                         "use parallel.strategy: ddp")
    return units


def _full(t: Tensor) -> Tensor:
    """The whole tensor of a possibly sharded (DTensor) parameter: a collective under FSDP2."""
    return t.full_tensor() if hasattr(t, "full_tensor") else t


def rollout_weights(model: nn.Module) -> Iterator[tuple[str, Tensor]]:
    """(name, tensor) of every parameter of the plain model, one at a time: LoRA adapters merged
    into their base weight, FSDP2 shards gathered. A tied parameter comes once, under its first
    name (engines tie it themselves: no 600 MB output matrix sent twice). Under FSDP2 every rank
    must iterate (each tensor is an all-gather)."""
    seen: set[int] = set()
    for mod_name, mod in model.named_modules():
        lora = isinstance(mod, LoraLinear)
        for p_name, p in mod.named_parameters(recurse=False):
            if (lora and p_name in LORA_KEYS) or id(p) in seen:
                continue
            seen.add(id(p))
            with torch.no_grad():
                full = _full(p)
                if lora and p_name == "weight":
                    full = full + mod.scaling * (_full(mod.lora_B).to(full.dtype) @ _full(mod.lora_A).to(full.dtype))
            yield (f"{mod_name}.{p_name}" if mod_name else p_name), full.detach()


class Engine:
    def __init__(self, model: nn.Module, *, strategy: str, world: int, device: torch.device,
                 compute_dtype: torch.dtype, logits_chunk: int, cpu_offload: bool = False,
                 find_unused_parameters: bool = False):
        self.module = model  # the HF model (under FSDP2 its parameters become shards)
        self.device = device
        self.compute_dtype = compute_dtype
        self.strategy = strategy if (world > 1 or strategy == "fsdp") else "single"
        root = PolicyLogprobs(model, logits_chunk)
        self.autocast = compute_dtype != torch.float32 and self.strategy != "fsdp"
        if self.strategy == "fsdp":
            from torch.distributed.fsdp import CPUOffloadPolicy, MixedPrecisionPolicy, OffloadPolicy, fully_shard

            if not distributed():
                raise RuntimeError("parallel.strategy fsdp needs an initialised process group")
            mp = MixedPrecisionPolicy(param_dtype=compute_dtype, reduce_dtype=torch.float32)
            offload = CPUOffloadPolicy() if cpu_offload else OffloadPolicy()
            for unit in shard_units(model):
                fully_shard(unit, mp_policy=mp, offload_policy=offload)
            fully_shard(root, mp_policy=mp, offload_policy=offload)
            self.net: nn.Module = root
        elif self.strategy == "ddp":
            from torch.nn.parallel import DistributedDataParallel

            self.net = DistributedDataParallel(
                root, device_ids=[device.index] if device.type == "cuda" else None,
                find_unused_parameters=find_unused_parameters,
                broadcast_buffers=False)  # buffers (rotary tables) are the same on every rank
        else:
            self.net = root

    def trainable_parameters(self) -> list[nn.Parameter]:
        return [p for p in self.module.parameters() if p.requires_grad]

    def logprobs(self, mb: MicroBatch, temperature: Tensor, pictures: dict[str, Tensor] | None = None,
                 with_entropy: bool = False) -> tuple[Tensor, Tensor | None]:
        mb = mb.to(self.device)
        pics = {k: v.to(self.device) for k, v in (pictures or {}).items()}
        with torch.autocast(self.device.type, dtype=self.compute_dtype, enabled=self.autocast):
            return self.net(mb.input_ids, mb.position_ids, mb.attention_mask, mb.gather, mb.targets,
                            temperature.to(self.device), with_entropy, **pics)

    @contextlib.contextmanager
    def sync_gradients(self, sync: bool):
        """Gradient accumulation: only the last micro-batch's backward reduces across ranks."""
        if self.strategy == "ddp" and not sync:
            with self.net.no_sync():
                yield
        elif self.strategy == "fsdp":
            self.net.set_requires_gradient_sync(sync)
            yield
        else:
            yield

    def clip_grad_norm(self, max_norm: float) -> float:
        norm = torch.nn.utils.clip_grad_norm_(self.trainable_parameters(), max_norm)
        return float(_full(norm))

    def rollout_weights(self) -> Iterator[tuple[str, Tensor]]:
        return rollout_weights(self.module)

    def train(self, mode: bool = True) -> None:
        self.net.train(mode)


def all_reduce(t: Tensor, op: str = "sum") -> Tensor:
    """In place over every rank (a no-op in one process); float64 on the wire where it counts."""
    if distributed():
        backend = dist.get_backend()
        dev = torch.device("cuda", torch.cuda.current_device()) if backend == "nccl" else torch.device("cpu")
        moved = t.to(dev)
        dist.all_reduce(moved, op={"sum": dist.ReduceOp.SUM, "max": dist.ReduceOp.MAX}[op])
        t.copy_(moved.to(t.device))
    return t


def all_gather_objects(obj) -> list:
    if not distributed():
        return [obj]
    out = [None] * dist.get_world_size()
    dist.all_gather_object(out, obj)
    return out


def gather_objects(obj) -> list | None:
    """Every rank's `obj` at rank 0 (in rank order); None on the other ranks."""
    if not distributed():
        return [obj]
    out = [None] * dist.get_world_size() if dist.get_rank() == 0 else None
    dist.gather_object(obj, out, dst=0)
    return out


def scatter_objects(items: list | None):
    """Rank k receives items[k] of rank 0's list (the other ranks pass None)."""
    if not distributed():
        return items[0]
    out = [None]
    dist.scatter_object_list(out, items if dist.get_rank() == 0 else None, src=0)
    return out[0]


def barrier() -> None:
    if distributed():
        dist.barrier()
