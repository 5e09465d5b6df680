"""Log-probabilities from hidden states in chunks (training/logprobs.py) against the plain
full-logits computation: values, gradients of hidden states, weights and bias, per-token
temperatures, chunk edges, entropies; and the micro-batch layouts of training/batching.py."""

import pytest
import torch

from training.batching import packed, padded, plan_micro_batches, row_mask, split_rows
from training.logprobs import linear_logprobs, linear_logprobs_entropy

M, H, V = 37, 12, 53


def _data(seed=0, dtype=torch.float64, bias=False):
    g = torch.Generator().manual_seed(seed)
    hidden = torch.randn(M, H, generator=g, dtype=dtype).requires_grad_()
    weight = torch.randn(V, H, generator=g, dtype=dtype).requires_grad_()
    b = torch.randn(V, generator=g, dtype=dtype).requires_grad_() if bias else None
    targets = torch.randint(0, V, (M,), generator=g)
    temps = 0.5 + torch.rand(M, generator=g, dtype=torch.float64)
    return hidden, weight, b, targets, temps


def _reference(hidden, weight, bias, targets, temps):
    """The textbook computation: all logits, log_softmax, gather."""
    logits = hidden @ weight.T + (0 if bias is None else bias)
    logits = logits / torch.as_tensor(temps, dtype=logits.dtype).reshape(-1, 1)
    logp = torch.log_softmax(logits, dim=-1)
    ent = -(logp.exp() * logp).sum(-1)
    return logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1), ent


@pytest.mark.parametrize("chunk", [1, 5, M, 1000])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("per_token", [False, True])
def test_values_and_gradients_equal_the_full_logits_computation(chunk, bias, per_token):
    hidden, weight, b, targets, temps = _data(bias=bias)
    t = temps if per_token else torch.full((M,), 0.7, dtype=torch.float64)
    coeff = torch.randn(M, generator=torch.Generator().manual_seed(9), dtype=torch.float64)
    want, want_ent = _reference(hidden, weight, b, targets, t)
    got, got_ent = linear_logprobs_entropy(hidden, weight, targets, t if per_token else 0.7, chunk, b)
    assert torch.allclose(got, want, rtol=0, atol=1e-12)
    assert torch.allclose(got_ent, want_ent, rtol=0, atol=1e-12)
    params = [hidden, weight] + ([b] if bias else [])
    g_want = torch.autograd.grad((want * coeff).sum(), params)
    g_got = torch.autograd.grad((got * coeff).sum(), params)
    for w, g in zip(g_want, g_got):
        assert torch.allclose(g, w, rtol=1e-10, atol=1e-12)


def test_temperature_one_skips_nothing_that_matters():
    hidden, weight, _, targets, _ = _data(seed=2)
    want, _ = _reference(hidden, weight, None, targets, torch.ones(M, dtype=torch.float64))
    assert torch.allclose(linear_logprobs(hidden, weight, targets, 1.0, 7), want, atol=1e-12)
    assert torch.allclose(linear_logprobs(hidden, weight, targets, torch.ones(M), 7), want, atol=1e-12)


def test_gradcheck_float64():
    hidden, weight, b, targets, temps = _data(seed=3, bias=True)
    hidden, weight, b = (x.detach()[:6].requires_grad_() if x.shape[0] == M else x.detach().requires_grad_()
                         for x in (hidden, weight, b))
    assert torch.autograd.gradcheck(lambda h, w, bb: linear_logprobs(h, w, targets[:6], temps[:6], 4, bb),
                                    (hidden, weight, b))


def test_float32_logprobs_are_float32_and_frozen_weights_get_no_gradient():
    hidden, weight, _, targets, _ = _data(dtype=torch.float32)
    weight = weight.detach()
    out = linear_logprobs(hidden, weight, targets, 1.0, 8)
    assert out.dtype == torch.float32
    (g,) = torch.autograd.grad(out.sum(), [hidden])
    assert g.shape == hidden.shape


def test_no_tokens_still_reach_every_parameter():
    hidden, weight, _, targets, _ = _data()
    out = linear_logprobs(hidden[:0], weight, targets[:0])
    assert out.shape == (0,)
    gh, gw = torch.autograd.grad(out.sum(), [hidden, weight])
    assert (gh == 0).all() and (gw == 0).all()


def test_bad_temperature_shape_is_refused():
    hidden, weight, _, targets, _ = _data()
    with pytest.raises(ValueError, match="temperature has shape"):
        linear_logprobs(hidden, weight, targets, torch.ones(3))


# -- micro-batches ----------------------------------------------------------------------------


@pytest.mark.parametrize("padded_layout", [False, True])
def test_plans_fit_the_budget_and_hold_every_row_once(padded_layout):
    lengths = [5, 17, 3, 40, 9, 9, 1, 22, 8, 13]
    budget = 30
    plan = plan_micro_batches(lengths, budget, padded=padded_layout)
    assert sorted(i for g in plan for i in g) == list(range(len(lengths)))
    for g in plan:
        cost = len(g) * max(lengths[i] for i in g) if padded_layout else sum(lengths[i] for i in g)
        assert cost <= budget or len(g) == 1  # only a row longer than the budget stands alone
    assert [3] in plan  # the 40-token row
    assert plan == plan_micro_batches(lengths, budget, padded=padded_layout)
    with pytest.raises(ValueError):
        plan_micro_batches(lengths, 0)


def _tiny():
    from training.config import PolicyConfig
    from training.policy import load_policy

    model, tok = load_policy(PolicyConfig())
    return model.eval(), tok


def _separately(model, prompts, responses):
    """Each sequence alone through the plain HF forward: the reference."""
    out = []
    for p, r in zip(prompts, responses):
        ids = torch.tensor([p + r])
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0]
        logp = torch.log_softmax(logits.float(), -1)
        out.append(logp[len(p) - 1: len(p) + len(r) - 1].gather(-1, torch.tensor(r).unsqueeze(-1)).squeeze(-1))
    return out


@pytest.mark.parametrize("layout", ["packed", "padded", "masked"])
def test_every_layout_scores_each_sequence_as_if_it_were_alone(layout):
    from training.engine import PolicyLogprobs

    model, tok = _tiny()
    g = torch.Generator().manual_seed(4)
    prompts = [torch.randint(5, 60, (n,), generator=g).tolist() for n in (7, 3, 12, 5)]
    responses = [torch.randint(5, 60, (n,), generator=g).tolist() for n in (4, 9, 1, 6)]
    mb = (packed(prompts, responses) if layout == "packed"
          else padded(prompts, responses, tok.pad_token_id, mask=layout == "masked"))
    with torch.no_grad():
        lp, _ = PolicyLogprobs(model, 5)(mb.input_ids, mb.position_ids, mb.attention_mask, mb.gather, mb.targets,
                                         torch.ones(len(mb.targets)))
    rows = split_rows(lp, mb.lengths)
    mask = row_mask(mb.lengths)
    for b, want in enumerate(_separately(model, prompts, responses)):
        assert mask[b].sum() == len(want)
        assert torch.allclose(rows[b, : len(want)], want, atol=1e-5)
        assert (rows[b, len(want):] == 0).all()
