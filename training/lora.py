"""LoRA in plain torch: low-rank adapters on the language model's linear layers, for policies too
large to fine-tune fully on one GPU.

`LoraLinear` keeps the wrapped layer's own `weight` and `bias` parameters (frozen), so the model's
state-dict names are unchanged and `merged_state_dict` can hand any engine (the HF rollout actor,
vLLM, `save_pretrained`) the plain weights W + (alpha / r) B A under the names it knows. B starts at
zero, so the adapted model starts as exactly the base model. The vision tower stays frozen unless
asked for (MM-HELIX trains the language model; the pictures are read as they are).
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from training.config import LoraConfig

LORA_KEYS = ("lora_A", "lora_B")


class LoraLinear(nn.Linear):
    """y = x W^T + b + (alpha / r) * dropout(x) A^T B^T, with W and b frozen."""

    def __init__(self, base: nn.Linear, rank: int, alpha: float, dropout: float):
        nn.Module.__init__(self)
        self.in_features, self.out_features = base.in_features, base.out_features
        self.weight, self.bias = base.weight, base.bias  # the same Parameters: no copy
        self.weight.requires_grad_(False)
        if self.bias is not None:
            self.bias.requires_grad_(False)
        # adapters are trained: float32 whatever the frozen base is stored in (master weights)
        dtype, device = torch.float32, base.weight.device
        self.lora_A = nn.Parameter(torch.empty(rank, self.in_features, dtype=dtype, device=device))
        self.lora_B = nn.Parameter(torch.zeros(self.out_features, rank, dtype=dtype, device=device))
        nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))  # as nn.Linear initialises weights
        self.scaling = alpha / rank
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        # under autocast both matmuls run in its dtype; otherwise in the input's
        a, b = self.lora_A.to(x.dtype), self.lora_B.to(x.dtype)
        return F.linear(x, self.weight, self.bias) + self.scaling * F.linear(F.linear(self.dropout(x), a), b)

    def merged_weight(self) -> torch.Tensor:
        return self.weight + (self.scaling * (self.lora_B @ self.lora_A)).to(self.weight.dtype)


def _targets(model: nn.Module, cfg: LoraConfig) -> list[str]:
    wanted = set(cfg.targets)
    names = []
    for name, module in model.named_modules():
        if not isinstance(module, nn.Linear) or isinstance(module, LoraLinear):
            continue
        if name.rsplit(".", 1)[-1] not in wanted:
            continue
        if not cfg.include_vision and ".visual." in f".{name}.":
            continue
        names.append(name)
    return names


def apply_lora(model: nn.Module, cfg: LoraConfig) -> list[str]:
    """Wrap the target layers in place and freeze every other parameter; returns the wrapped names.
    The adapters' initial values come from torch's global RNG (seed it first)."""
    names = _targets(model, cfg)
    if not names:
        raise ValueError(f"lora.targets {cfg.targets} match no linear layer of the policy")
    for p in model.parameters():
        p.requires_grad_(False)
    for name in names:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, LoraLinear(getattr(parent, child), cfg.rank, cfg.alpha, cfg.dropout))
    return names


def merged_state_dict(model: nn.Module) -> dict[str, torch.Tensor]:
    """The base model's state dict with every adapter merged in (no `lora_*` entries)."""
    state = {k: v for k, v in model.state_dict().items() if k.rsplit(".", 1)[-1] not in LORA_KEYS}
    with torch.no_grad():
        for name, module in model.named_modules():
            if isinstance(module, LoraLinear):
                state[f"{name}.weight"] = module.merged_weight().detach()
    return state


def trainable_parameters(model: nn.Module) -> list[nn.Parameter]:
    return [p for p in model.parameters() if p.requires_grad]
