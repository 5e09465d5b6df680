"""The loss identities: what AHPO must reduce to at its corners, and what must not change it."""

import pytest
import torch

from training.losses import (Counts, ahpo_loss, count_tokens, group_advantages, luffy_shaped,
                             success_gate)

G, N, T, E, TE = 3, 5, 7, 3, 9


def _batch(seed=0, rewards=None, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    rollout = (torch.rand(G * N, T, generator=g, dtype=dtype) * -3).requires_grad_()
    old = rollout.detach() + 0.05 * torch.randn(G * N, T, generator=g, dtype=dtype)
    rmask = torch.ones(G * N, T)
    for i in range(G * N):  # ragged lengths
        rmask[i, 2 + i % (T - 2):] = 0
    expert = (torch.rand(E, TE, generator=g, dtype=dtype) * -3).requires_grad_()
    emask = torch.ones(E, TE)
    emask[1, 5:] = 0
    if rewards is None:
        rewards = torch.tensor([[1, 0, 0, 0, 0], [1, 1, 0, 1, 0], [0, 0, 0, 0, 0.]])
    return dict(rollout_logprobs=rollout, rollout_old_logprobs=old, rollout_mask=rmask,
                expert_logprobs=expert, expert_mask=emask), rewards


def _loss(batch, rewards, gate_mode="adaptive", **kw):
    adv = group_advantages(rewards).reshape(-1)
    gate = success_gate(rewards, r_hat=2, mode=gate_mode)
    return ahpo_loss(advantages=adv, expert_gate=gate, **batch, **kw)


def _grads(out, batch):
    return torch.autograd.grad(out.loss, [batch["rollout_logprobs"], batch["expert_logprobs"]],
                               allow_unused=True)


def test_gate_table_r_hat_2_n_on_5():
    for k in range(6):
        rewards = torch.tensor([[1.0] * k + [0.0] * (5 - k)])
        assert bool(success_gate(rewards, r_hat=2)[0]) == (k < 2), k
    assert success_gate(torch.tensor([[0.5] * 5]), r_hat=2).item()  # partial is not success
    assert success_gate(torch.ones(2, 5), 2, "on").all() and not success_gate(torch.zeros(2, 5), 2, "off").any()


def test_advantages_normalise_per_group_and_flat_groups_are_zero():
    adv = group_advantages(torch.tensor([[1, 0, 0, 0, 0.], [0, 0, 0, 0, 0.], [1, 1, 1, 1, 1.]]))
    assert torch.isfinite(adv).all()
    assert torch.allclose(adv[0].mean(), torch.tensor(0.0), atol=1e-6)
    assert torch.allclose(adv[0].std(unbiased=False), torch.tensor(1.0), atol=1e-5)
    assert (adv[1:] == 0).all()


@pytest.mark.parametrize("normaliser", ["tokens", "separate", "constant"])
def test_all_rewards_zero_is_exactly_sft(normaliser):
    batch, _ = _batch()
    out = _loss(batch, torch.zeros(G, N), normaliser=normaliser, constant_length=16)
    g_roll, g_exp = _grads(out, batch)
    assert (g_roll == 0).all()
    nll = -(batch["expert_logprobs"] * batch["expert_mask"]).sum()
    z = {"tokens": batch["rollout_mask"].sum() + batch["expert_mask"].sum(),
         "separate": batch["expert_mask"].sum(), "constant": 16 * (G * N + E)}[normaliser]
    (sft,) = torch.autograd.grad(nll / z, batch["expert_logprobs"])
    assert torch.equal(g_exp, sft)
    if normaliser == "separate":  # the plain SFT token mean, bit for bit
        (mean,) = torch.autograd.grad(-(batch["expert_logprobs"][batch["expert_mask"] > 0]).mean(),
                                      batch["expert_logprobs"])
        assert torch.allclose(g_exp, mean, rtol=1e-6, atol=0)


def test_gate_off_is_exactly_grpo():
    batch, rewards = _batch()
    out = _loss(batch, rewards, gate_mode="off")
    g_roll, g_exp = _grads(out, batch)
    assert (g_exp == 0).all()
    # independent GRPO: token-level clipped surrogate, mean over the rollout tokens
    r, m = rewards, batch["rollout_mask"]
    std = r.std(1, unbiased=False, keepdim=True)
    adv = torch.nan_to_num((r - r.mean(1, keepdim=True)) / std).reshape(-1, 1)  # flat group: 0
    ratio = torch.exp(batch["rollout_logprobs"] - batch["rollout_old_logprobs"])
    obj = torch.minimum(ratio * adv, ratio.clamp(0.8, 1.2) * adv)
    (ref,) = torch.autograd.grad(-(obj * m).sum() / m.sum(), batch["rollout_logprobs"])
    assert torch.allclose(g_roll, ref, rtol=1e-5, atol=1e-8)


def test_all_rewards_one_gives_zero_gradient():
    batch, _ = _batch()
    out = _loss(batch, torch.ones(G, N))
    assert all((g == 0).all() for g in _grads(out, batch))
    assert out.loss.item() == 0.0


def test_clipped_tokens_get_no_gradient():
    batch, rewards = _batch()
    old = batch["rollout_logprobs"].detach().clone()
    old[:, :3] -= 1.0  # ratio e > 1.2 on the first three tokens of every row
    old[:, 3:] += 1.0  # ratio 1/e < 0.8 on the others
    batch["rollout_old_logprobs"] = old
    adv = group_advantages(rewards).reshape(-1, 1)
    out = _loss(batch, rewards, gate_mode="off")
    g, _ = _grads(out, batch)
    m = batch["rollout_mask"] > 0
    clipped = m & (((adv > 0) & (torch.arange(T) < 3)) | ((adv < 0) & (torch.arange(T) >= 3)))
    free = m & ~clipped & (adv != 0)
    assert clipped.any() and free.any()
    assert (g[clipped] == 0).all() and (g[free] != 0).all()
    assert torch.isclose(out.clip_fraction, clipped.sum() / m.sum())


def test_padding_changes_nothing():
    batch, rewards = _batch()
    out = _loss(batch, rewards)
    grads = _grads(out, batch)
    padded = {}
    for key, fill in (("rollout_logprobs", float("nan")), ("rollout_old_logprobs", float("-inf")),
                      ("expert_logprobs", float("nan"))):
        t = batch[key].detach()
        extra = torch.full((t.shape[0], 4), fill)
        padded[key] = torch.cat([t, extra], 1).requires_grad_(key != "rollout_old_logprobs")
    for key in ("rollout_mask", "expert_mask"):
        padded[key] = torch.cat([batch[key], torch.zeros(batch[key].shape[0], 4)], 1)
    # garbage rows of a prompt without a trace are masked too
    out_p = _loss(padded, rewards)
    grads_p = torch.autograd.grad(out_p.loss, [padded["rollout_logprobs"], padded["expert_logprobs"]])
    assert torch.equal(out.loss, out_p.loss)
    assert torch.equal(grads[0], grads_p[0][:, :T]) and (grads_p[0][:, T:] == 0).all()
    assert torch.equal(grads[1], grads_p[1][:, :TE]) and (grads_p[1][:, TE:] == 0).all()


@pytest.mark.parametrize("normaliser", ["tokens", "separate", "constant"])
def test_two_data_parallel_ranks_sum_to_the_full_batch_gradient(normaliser):
    batch, rewards = _batch(seed=3)
    full = _loss(batch, rewards, normaliser=normaliser)
    g_full = _grads(full, batch)
    adv = group_advantages(rewards).reshape(-1)
    gate = success_gate(rewards, 2)
    # rank 0 holds group 0 (and its expert row), rank 1 groups 1-2; counts are all-reduced
    parts = [(slice(0, N), slice(0, 1)), (slice(N, G * N), slice(1, E))]
    counts = [count_tokens(batch["rollout_mask"][r], batch["expert_mask"][e], gate[e]) for r, e in parts]
    total = counts[0] + counts[1]
    g_sum = [torch.zeros_like(batch["rollout_logprobs"]), torch.zeros_like(batch["expert_logprobs"])]
    for r, e in parts:
        out = ahpo_loss(rollout_logprobs=batch["rollout_logprobs"][r],
                        rollout_old_logprobs=batch["rollout_old_logprobs"][r],
                        rollout_mask=batch["rollout_mask"][r], advantages=adv[r],
                        expert_logprobs=batch["expert_logprobs"][e], expert_mask=batch["expert_mask"][e],
                        expert_gate=gate[e], normaliser=normaliser, global_counts=total)
        for acc, g in zip(g_sum, _grads(out, batch)):
            acc += g
    assert torch.allclose(g_sum[0], g_full[0], rtol=1e-6, atol=1e-9)
    assert torch.allclose(g_sum[1], g_full[1], rtol=1e-6, atol=1e-9)
    assert torch.equal(Counts.from_tensor(total.as_tensor()).as_tensor(), total.as_tensor())


@pytest.mark.parametrize("expert_term", ["nll", "luffy"])
def test_gradcheck_float64(expert_term):
    batch, rewards = _batch(seed=1, dtype=torch.float64)
    adv = group_advantages(rewards).reshape(-1).double()
    gate = success_gate(rewards, 2)

    def f(roll, exp):
        return ahpo_loss(rollout_logprobs=roll, rollout_old_logprobs=batch["rollout_old_logprobs"],
                         rollout_mask=batch["rollout_mask"], advantages=adv, expert_logprobs=exp,
                         expert_mask=batch["expert_mask"], expert_gate=gate, expert_term=expert_term,
                         expert_advantages=torch.ones(E, dtype=torch.float64)).loss

    assert torch.autograd.gradcheck(f, (batch["rollout_logprobs"], batch["expert_logprobs"]))


def test_luffy_shaping_gradient():
    lp = torch.log(torch.tensor([[0.01, 0.5, 0.9]], dtype=torch.float64)).requires_grad_()
    (g,) = torch.autograd.grad(luffy_shaped(lp, torch.tensor([2.0], dtype=torch.float64)).sum(), lp)
    p = lp.detach().exp()
    assert torch.allclose(g, -2.0 * 0.1 * p / (p + 0.1) ** 2)  # d/dlogp of p/(p+g) = g p/(p+g)^2
