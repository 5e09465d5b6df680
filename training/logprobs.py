"""Per-token log-probabilities straight from hidden states, without the full logits tensor.

A policy's last layer maps each hidden state h (H) to V logits (V = 151,936 for Qwen). For the
paper's batch that is hundreds of GB in float32, so the update never builds it: `linear_logprobs`
takes the final hidden states of the response positions and the output projection W, and works
through them in chunks of `chunk` tokens. Forward keeps only log Z (one float per token); backward
recomputes each chunk's logits and writes the gradient of h and W directly:

    log p(y) = (h . w_y) / T - logsumexp_v (h . w_v) / T
    d/dlogits = g * (onehot(y) - softmax(logits / T)) / T

Logits are formed in the compute dtype (bfloat16 under autocast, as the model's own matmuls are)
and turned into probabilities in float32 at least. `linear_entropy` is the same walk without a
gradient (a diagnostic).
"""

from __future__ import annotations

import torch
from torch import Tensor


def _compute_dtype(t: Tensor) -> torch.dtype:
    """The dtype the model's own matmuls run in here: autocast's where it is on."""
    kind = t.device.type
    if torch.is_autocast_enabled(kind):
        return torch.get_autocast_dtype(kind)
    return t.dtype


def _logits(h: Tensor, w: Tensor, bias: Tensor | None, temperature: Tensor | None) -> Tensor:
    """Logits of a chunk over its per-token temperatures (None: all 1), in float32 at least."""
    z = h @ w.T
    z = z.float() if z.dtype in (torch.float16, torch.bfloat16) else z
    if bias is not None:
        z += bias.to(z.dtype)
    if temperature is not None:
        z /= temperature.to(z.dtype).unsqueeze(-1)
    return z


def _temperatures(temperature: float | Tensor, n: int, device: torch.device) -> Tensor | None:
    """One temperature per token (rollout tokens are scored at the sampling temperature, expert
    tokens at 1, and both can share one forward), or None when every one is 1 (no division)."""
    if isinstance(temperature, Tensor):
        if temperature.shape != (n,):
            raise ValueError(f"temperature has shape {tuple(temperature.shape)}, expected ({n},)")
        temperature = temperature.to(device=device, dtype=torch.float64)
        return None if bool((temperature == 1).all()) else temperature
    if float(temperature) == 1.0:
        return None
    return torch.full((n,), float(temperature), dtype=torch.float64, device=device)


class _LinearLogprobs(torch.autograd.Function):
    """Outputs (log-probabilities, entropies); the entropies (empty unless asked for) carry no
    gradient. The chunk's float32 logits are worked on in place: one buffer per chunk."""

    @staticmethod
    def forward(ctx, hidden: Tensor, weight: Tensor, bias: Tensor | None, targets: Tensor,
                temperature: Tensor | None, chunk: int, want_entropy: bool) -> tuple[Tensor, Tensor]:
        cdt = _compute_dtype(hidden)
        w = weight.to(cdt)
        out_dt = torch.float32 if cdt != torch.float64 else cdt
        n = hidden.shape[0]
        out = torch.empty(n, dtype=out_dt, device=hidden.device)
        lse = torch.empty_like(out)
        ent = torch.empty(n if want_entropy else 0, dtype=out_dt, device=hidden.device)
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            z = _logits(hidden[s:e].to(cdt), w, bias, None if temperature is None else temperature[s:e])
            lse[s:e] = torch.logsumexp(z, dim=-1)
            out[s:e] = z.gather(-1, targets[s:e].unsqueeze(-1)).squeeze(-1) - lse[s:e]
            if want_entropy:  # H = -sum p log p, from log p = z - lse
                z -= lse[s:e].unsqueeze(-1)
                ent[s:e] = torch.special.entr(z.exp()).sum(-1)
        ctx.save_for_backward(hidden, weight, bias, targets, lse, temperature)
        ctx.chunk, ctx.cdt = chunk, cdt
        ctx.mark_non_differentiable(ent)
        return out, ent

    @staticmethod
    def backward(ctx, grad_out: Tensor, _grad_ent: Tensor):
        hidden, weight, bias, targets, lse, temperature = ctx.saved_tensors
        chunk, cdt = ctx.chunk, ctx.cdt
        w = weight.to(cdt)
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_b = bias is not None and ctx.needs_input_grad[2]
        grad_h = torch.empty_like(hidden) if need_h else None
        acc = torch.float32 if cdt != torch.float64 else cdt
        grad_w = torch.zeros(weight.shape, dtype=acc, device=weight.device) if need_w else None
        grad_b = torch.zeros(bias.shape, dtype=acc, device=bias.device) if need_b else None
        n = hidden.shape[0]
        for s in range(0, n, chunk):
            e = min(n, s + chunk)
            h = hidden[s:e].to(cdt)
            t = None if temperature is None else temperature[s:e]
            g = _logits(h, w, bias, t)
            # d log p(y) / d z = onehot(y) - softmax(z), times the incoming gradient and 1/T
            g -= lse[s:e].unsqueeze(-1)
            g.exp_().neg_()
            g.scatter_add_(-1, targets[s:e].unsqueeze(-1), torch.ones(e - s, 1, dtype=g.dtype, device=g.device))
            scale = grad_out[s:e].to(g.dtype)
            if t is not None:
                scale = scale / t.to(g.dtype)
            g *= scale.unsqueeze(-1)
            gc = g.to(cdt)
            if need_h:
                grad_h[s:e] = (gc @ w).to(hidden.dtype)
            if need_w:
                grad_w += (gc.T @ h).to(acc)
            if need_b:
                grad_b += g.sum(0).to(acc)
        return (grad_h, grad_w.to(weight.dtype) if need_w else None,
                grad_b.to(bias.dtype) if need_b else None, None, None, None, None)


def linear_logprobs(hidden: Tensor, weight: Tensor, targets: Tensor, temperature: float | Tensor = 1.0,
                    chunk: int = 2048, bias: Tensor | None = None) -> Tensor:
    """log softmax(hidden @ weight.T / temperature)[targets], for hidden [M, H], weight [V, H],
    targets [M], temperature a number or one per token [M] -> [M] (float32, or float64 for
    float64 inputs), never holding more than `chunk` x V logits at once, in forward or backward."""
    return linear_logprobs_entropy(hidden, weight, targets, temperature, chunk, bias, entropy=False)[0]


def linear_logprobs_entropy(hidden: Tensor, weight: Tensor, targets: Tensor,
                            temperature: float | Tensor = 1.0, chunk: int = 2048,
                            bias: Tensor | None = None, entropy: bool = True) -> tuple[Tensor, Tensor]:
    """(log-probabilities, entropies of the tempered distributions) from one walk over the
    chunks; the entropies (a diagnostic) carry no gradient."""
    if hidden.shape[0] == 0:  # still a node of the graph, so every parameter gets a (zero) gradient
        empty = (hidden @ weight[:1].T).sum(-1).float()
        return empty, empty.detach()
    temps = _temperatures(temperature, hidden.shape[0], hidden.device)
    lp, ent = _LinearLogprobs.apply(hidden, weight, bias, targets, temps, int(chunk), entropy)
    return lp, ent
