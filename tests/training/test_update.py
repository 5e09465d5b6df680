"""The update against references that do not share its code: a whole trainer step against the
paper's equations computed sequence by sequence from full logits; token-budget micro-batches
against one batch (float64); the fresh-sample shortcut against the separate old-log-prob pass;
old log-probabilities in eval mode; the step's numbers."""

import copy
import math

import pytest
import torch

from tests.training.parallel_worker import fixed_batch
from tests.training.test_training import _prompts
from training.algorithms import ALGORITHMS
from training.config import TrainConfig
from training.data import Cursor, encode_reply
from training.trainer import Trainer, sequence_logprobs

R_HAT, N_ON, TEMP = 3, 4, 0.8


def _cfg(tmp_path, **over):
    base = {"steps": 3, "prompts_per_step": 4, "output_dir": str(tmp_path), "seed": 7,
            "data": {"data_root": str(tmp_path / "data")}, "reward": {"workers": 0},
            "rollout": {"n_on": N_ON, "max_new_tokens": 6, "temperature": TEMP},
            "algo": {"r_hat": R_HAT}, "optim": {"lr": 1e-300, "grad_clip": 1e9}}
    for k, v in over.items():
        base[k] = {**base.get(k, {}), **v} if isinstance(v, dict) else v
    return TrainConfig.model_validate(base)


def _float64(trainer: Trainer) -> Trainer:
    trainer.module.double()  # parameters keep their identity: the optimizer still holds them
    return trainer


def _judge(prompt, text):
    """Mixed rewards from the text itself: an even first character is right."""
    return (1.0 if text and ord(text[0]) % 2 == 0 else 0.0), "ok"


class Recorder:
    """The real rollout backend, with what it returned kept for the reference."""

    shared = False

    def __init__(self, inner):
        self.inner, self.groups = inner, None

    def generate(self, prompts, sampling, vision=None):
        self.groups = self.inner.generate(prompts, sampling, vision)
        return self.groups

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _seq_logprobs(model, prompt, response, temperature):
    logits = model(input_ids=torch.tensor([prompt + response])).logits[0]
    logp = torch.log_softmax(logits / temperature, dim=-1)
    pos = torch.arange(len(prompt) - 1, len(prompt) + len(response) - 1)
    return logp[pos, torch.tensor(response)]


def _paper_gradient(model, tok, prompts, encoded, groups, reverse=False):
    """Eq. of AHPO (arXiv 2510.08540, 3.3), token-level, one normaliser Z over all counted tokens,
    first epoch (pi_old = pi, so the ratio is 1 and never clipped), written out per sequence."""
    terms, z = [], 0
    for p, ids, group in zip(prompts, encoded, groups):
        rewards = [_judge(p, tok.decode(s.response_ids, skip_special_tokens=True))[0] for s in group]
        mean = sum(rewards) / len(rewards)
        std = math.sqrt(sum((r - mean) ** 2 for r in rewards) / len(rewards))
        adv = [(r - mean) / std if std > 0 else 0.0 for r in rewards]
        if reverse:
            adv = adv[::-1]
        for s, a in zip(group, adv):
            lp = _seq_logprobs(model, ids, s.response_ids, TEMP)
            ratio = torch.exp(lp - lp.detach())
            terms.append(-(torch.minimum(ratio * a, ratio.clamp(0.8, 1.2) * a)).sum())
            z += len(s.response_ids)
        if sum(r == 1 for r in rewards) < R_HAT and p.expert is not None:  # xi = 1
            reply = encode_reply(tok, p.expert)
            terms.append(-_seq_logprobs(model, ids, reply, 1.0).sum())
            z += len(reply)
    loss = sum(terms) / z
    return torch.autograd.grad(loss, list(model.parameters())), loss


def test_a_step_is_the_papers_loss_and_advantages_belong_to_their_rollouts(tmp_path):
    trainer = _float64(Trainer(_cfg(tmp_path), prompts=_prompts(4)))
    before = copy.deepcopy(trainer.module)
    trainer.rewards.judge_fn = _judge
    trainer._rollout = Recorder(trainer.rollout)
    m = trainer.step()
    prompts = trainer.mixture.take(Cursor(), 4)[0]
    encoded = [trainer._encode(p)[0] for p in prompts]
    groups = trainer.rollout.groups
    rewards = [[_judge(p, trainer.tok.decode(s.response_ids, skip_special_tokens=True))[0] for s in g]
               for p, g in zip(prompts, groups)]
    # the test has power: advantages are non-zero somewhere, and the gate is on and off
    assert any(0 < sum(r) < N_ON for r in rewards)
    assert 0 < m["gate_on_fraction"] < 1, rewards
    want, loss = _paper_gradient(before, trainer.tok, prompts, encoded, groups)
    # float64 throughout; advantages are float32 in the trainer (relative error ~6e-8)
    assert m["loss"] == pytest.approx(float(loss.detach()), rel=1e-6)
    got = [p.grad for p in trainer.module.parameters()]
    for g, w in zip(got, want):  # each tensor within 1e-6 of its own scale
        assert (g - w).abs().max() <= 1e-6 * w.abs().max()
    # advantages attached to the wrong rollouts would give another gradient, and fail above
    reversed_, _ = _paper_gradient(before, trainer.tok, prompts, encoded, groups, reverse=True)
    assert any((g - w).abs().max() > 1e-2 * w.abs().max() for g, w in zip(got, reversed_))


def _grads_after_update(tmp_path, micro, epochs=1):
    cfg = _cfg(tmp_path, optim={"micro_batch_tokens": micro, "update_epochs": epochs})
    trainer = _float64(Trainer(cfg, prompts=_prompts(2)))
    rollouts, experts = fixed_batch(trainer.tok)
    res = trainer._update(ALGORITHMS["ahpo"], rollouts, experts)
    return res, [p.grad.clone() for p in trainer.module.parameters()]


def test_micro_batches_give_the_whole_batch_gradient_in_float64(tmp_path):
    whole, g_whole = _grads_after_update(tmp_path, 100_000)
    split, g_split = _grads_after_update(tmp_path, 16)  # a row or two per micro-batch
    assert whole["loss_rollout"] != 0 and whole["loss_expert"] != 0
    assert split["loss"] == pytest.approx(whole["loss"], rel=1e-12)
    for a, b in zip(g_whole, g_split):
        assert torch.allclose(a, b, rtol=1e-6, atol=1e-12)
    # two epochs recompute the old log-probabilities in a separate pass; with weights that do not
    # move (lr 1e-300) its last epoch's gradient is the fresh-sample gradient
    again, g_again = _grads_after_update(tmp_path, 16, epochs=2)
    assert again["loss"] == pytest.approx(whole["loss"], rel=1e-12)
    for a, b in zip(g_whole, g_again):
        assert torch.allclose(a, b, rtol=1e-6, atol=1e-12)


def test_old_logprobs_are_taken_in_eval_mode(tmp_path):
    cfg = _cfg(tmp_path, lora={"rank": 4, "dropout": 0.5}, optim={"update_epochs": 2})
    trainer = Trainer(cfg, prompts=_prompts(2))
    rollouts, experts = fixed_batch(trainer.tok)
    trainer.module.eval()
    with torch.no_grad():
        want, mask, _ = sequence_logprobs(trainer.module, rollouts, trainer.tok.pad_token_id, TEMP)
    trainer.module.train()
    trainer._update(ALGORITHMS["ahpo"], rollouts, experts)
    for b, r in enumerate(rollouts):  # no dropout: the recomputation is deterministic
        assert torch.allclose(r.old, want[b, : int(mask[b].sum())], atol=1e-6)


def test_step_numbers_count_each_token_once(tmp_path):
    trainer = Trainer(_cfg(tmp_path, optim={"lr": 1e-3}), prompts=_prompts(4))
    trainer._rollout = Recorder(trainer.rollout)
    m = trainer.step()
    generated = sum(len(s.response_ids) for g in trainer.rollout.groups for s in g)
    assert m["generated_tokens"] == generated == m["rollout_tokens"]
    seconds = m["t_generate"] + m["t_reward"] + m["t_update"] + m["t_sync"]
    # distinct tokens (generated once, traces once) over at least the step's phases
    assert m["tokens_per_s"] * seconds <= (generated + m["expert_tokens"]) * 1.0001
    assert m["update_tokens_per_s"] > 0 and m["mfu"] is None  # MFU only on GPUs


def test_gradient_checkpointing_is_on_for_model_folders():
    from training.config import PolicyConfig

    assert PolicyConfig(path="some/folder").checkpointing() is True
    assert PolicyConfig().checkpointing() is False
    assert PolicyConfig(path="x", gradient_checkpointing=False).checkpointing() is False
