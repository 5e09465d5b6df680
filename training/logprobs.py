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


def _logits(h: Tensor, w: Tensor, bias: Tensor | None, temperature: Tensor) -> Tensor:
    """Logits of a chunk over its per-token temperatures, in float32 at least."""
    z = h @ w.T
    if bias is not None:
        z = z + bias.to(z.dtype)
    z = z.float() if z.dtype in (torch.float16, torch.bfloat16) else z
    return z / temperature.to(z.dtype).unsqueeze(-1)


def _temperatures(temperature: float | Tensor, n: int, device: torch.device) -> Tensor:
    """One temperature per token: rollout tokens are scored at the sampling temperature, expert
    tokens at 1, and both can share one forward."""
    if isinstance(temperature, Tensor):
        if temperature.shape != (n,):
            raise ValueError(f"temperature has shape {tuple(temperature.shape)}, expected ({n},)")
        return temperature.to(device=device, dtype=torch.float64)
    return torch.full((n,), float(temperature), dtype=torch.float64, device=device)


class _LinearLogprobs(torch.autograd.Function):
    @staticmethod
    def forward(ctx, hidden: Tensor, weight: Tensor, bias: Tensor | None, targets: Tensor,
                temperature: Tensor, chunk: int) -> Tensor:
        cdt = _compute_dtype(hidden)
        w = weight.to(cdt)
        out = torch.empty(hidden.shape[0], dtype=torch.float32 if cdt != torch.float64 else cdt,
                          device=hidden.device)
        lse = torch.empty_like(out)
        for s in range(0, hidden.shape[0], chunk):
            z = _logits(hidden[s:s + chunk].to(cdt), w, bias, temperature[s:s + chunk])
            lse[s:s + chunk] = torch.logsumexp(z, dim=-1)
            out[s:s + chunk] = z.gather(-1, targets[s:s + chunk].unsqueeze(-1)).squeeze(-1) - lse[s:s + chunk]
        ctx.save_for_backward(hidden, weight, bias, targets, lse, temperature)
        ctx.chunk, ctx.cdt = chunk, cdt
        return out

    @staticmethod
    def backward(ctx, grad_out: Tensor):
        hidden, weight, bias, targets, lse, temperature = ctx.saved_tensors
        chunk, cdt = ctx.chunk, ctx.cdt
        w = weight.to(cdt)
        need_h, need_w = ctx.needs_input_grad[0], ctx.needs_input_grad[1]
        need_b = bias is not None and ctx.needs_input_grad[2]
        grad_h = torch.empty_like(hidden) if need_h else None
        acc = torch.float32 if cdt != torch.float64 else cdt
        grad_w = torch.zeros(weight.shape, dtype=acc, device=weight.device) if need_w else None
        grad_b = torch.zeros(bias.shape, dtype=acc, device=bias.device) if need_b else None
        for s in range(0, hidden.shape[0], chunk):
            h = hidden[s:s + chunk].to(cdt)
            t = temperature[s:s + chunk]
            z = _logits(h, w, bias, t)
            # d log p / d z = onehot - softmax, times the incoming gradient and the 1/T of z
            g = -torch.exp(z - lse[s:s + chunk].unsqueeze(-1))
            g.scatter_add_(-1, targets[s:s + chunk].unsqueeze(-1),
                           torch.ones_like(targets[s:s + chunk], dtype=g.dtype).unsqueeze(-1))
            g.mul_((grad_out[s:s + chunk].to(g.dtype) / t.to(g.dtype)).unsqueeze(-1))
            gc = g.to(cdt)
            if need_h:
                grad_h[s:s + chunk] = (gc @ w).to(hidden.dtype)
            if need_w:
                grad_w += (gc.T @ h).to(acc)
            if need_b:
                grad_b += g.sum(0).to(acc)
        return (grad_h, grad_w.to(weight.dtype) if need_w else None,
                grad_b.to(bias.dtype) if need_b else None, None, None, None)


def linear_logprobs(hidden: Tensor, weight: Tensor, targets: Tensor, temperature: float | Tensor = 1.0,
                    chunk: int = 2048, bias: Tensor | None = None) -> Tensor:
    """log softmax(hidden @ weight.T / temperature)[targets], for hidden [M, H], weight [V, H],
    targets [M], temperature a number or one per token [M] -> [M] (float32, or float64 for
    float64 inputs), never holding more than `chunk` x V logits at once, in forward or backward."""
    if hidden.shape[0] == 0:  # still a node of the graph, so every parameter gets a (zero) gradient
        return (hidden @ weight[:1].T).sum(-1).float()
    temps = _temperatures(temperature, hidden.shape[0], hidden.device)
    return _LinearLogprobs.apply(hidden, weight, bias, targets, temps, int(chunk))


@torch.no_grad()
def linear_logprobs_entropy(hidden: Tensor, weight: Tensor, targets: Tensor,
                            temperature: float | Tensor = 1.0, chunk: int = 2048,
                            bias: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """(log-probabilities, entropies) from one walk over the chunks; no gradient (the old
    log-probability pass, where the entropy of the sampling policy is a free by-product)."""
    cdt = _compute_dtype(hidden)
    w = weight.to(cdt)
    temps = _temperatures(temperature, hidden.shape[0], hidden.device)
    out_dt = torch.float32 if cdt != torch.float64 else cdt
    lp = torch.empty(hidden.shape[0], dtype=out_dt, device=hidden.device)
    ent = torch.empty_like(lp)
    for s in range(0, hidden.shape[0], chunk):
        logp = torch.log_softmax(_logits(hidden[s:s + chunk].to(cdt), w, bias, temps[s:s + chunk]), dim=-1)
        lp[s:s + chunk] = logp.gather(-1, targets[s:s + chunk].unsqueeze(-1)).squeeze(-1)
        ent[s:s + chunk] = -(logp.exp() * logp).sum(-1)
    return lp, ent
