"""The trainer around the losses: rollouts, rewards, every algorithm's step, exact resume."""

import json
import time

import pytest
import torch

from training.config import TrainConfig
from training.data import Cursor, Mixture, Prompt, encode_prompt
from training.policy import load_policy, stop_ids
from training.reward import RewardPool
from training.rollout.base import Sampling
from training.rollout.hf import HFBackend
from training.trainer import Row, Trainer, sequence_logprobs


def _prompts(n=4):
    return [Prompt(id=f"q{k}", source="toy", task="toy", category="external", level=0,
                   question=f"{k} + {k} = ?", judge="exact_match", answer=str(2 * k),
                   expert=None if k == 3 else f"\\boxed{{{2 * k}}}") for k in range(n)]


def _cfg(tmp_path, **algo):
    return TrainConfig.model_validate({
        "steps": 3, "prompts_per_step": 4, "output_dir": str(tmp_path), "seed": 7,
        "data": {"data_root": str(tmp_path / "data")}, "reward": {"workers": 0},
        "rollout": {"n_on": 4, "max_new_tokens": 6}, "optim": {"lr": 1e-2}, "algo": algo})


def test_hf_backend_logprobs_equal_the_trainers_recomputation():
    model, tok = load_policy(TrainConfig().policy)
    backend = HFBackend(model, tok, stop_ids(tok))
    prompts = [encode_prompt(tok, p, 256) for p in _prompts(2)]
    groups = backend.generate(prompts, Sampling(n=3, temperature=0.8, max_new_tokens=10, seed=1))
    rows = [Row(p, s.response_ids) for p, g in zip(prompts, groups) for s in g]
    samples = [s for g in groups for s in g]
    with torch.no_grad():
        lp, mask, _ = sequence_logprobs(model, rows, tok.pad_token_id, temperature=0.8)
    for b, s in enumerate(samples):
        assert mask[b].sum() == len(s.response_ids) == len(s.logprobs)
        assert torch.allclose(lp[b, : len(s.logprobs)], torch.tensor(s.logprobs), atol=1e-5)
    again = backend.generate(prompts, Sampling(n=3, temperature=0.8, max_new_tokens=10, seed=1))
    assert [s.response_ids for g in again for s in g] == [s.response_ids for s in samples]


@pytest.mark.parametrize("algorithm", ["ahpo", "grpo", "sft", "sft_then_grpo", "static_ahpo", "luffy"])
def test_every_algorithm_takes_a_step(tmp_path, algorithm):
    trainer = Trainer(_cfg(tmp_path, algorithm=algorithm, sft_steps=1), prompts=_prompts())
    before = [p.detach().clone() for p in trainer.module.parameters()]
    m = trainer.step()
    assert trainer.step_no == 1 and m["prompts"] == 4
    assert m["reward_mean"] == 0.0  # a random policy never writes \boxed{...}
    if algorithm in ("sft", "sft_then_grpo"):
        assert m["loss_rollout"] == 0 and m["rollout_tokens"] == 0 and m["expert_tokens"] > 0
    if algorithm == "grpo":  # all rewards 0 and no trace: nothing to learn from
        assert m["loss"] == 0 and m["gate_on_fraction"] == 0 and m["expert_tokens"] == 0
    if algorithm in ("ahpo", "static_ahpo"):  # q3 has no trace: its gate stays off
        assert m["gate_on_fraction"] == 0.75 and m["loss_expert"] > 0
    if algorithm == "luffy":  # the trace joins the group with reward 1: positive advantage
        assert m["loss_expert"] < 0 and m["loss_rollout"] > 0
    changed = any(not torch.equal(a, b) for a, b in zip(before, trainer.module.parameters()))
    assert changed == (algorithm != "grpo")
    assert trainer.phase() == ("grpo" if algorithm == "sft_then_grpo" else algorithm)


def test_gate_switches_off_when_rollouts_succeed(tmp_path):
    trainer = Trainer(_cfg(tmp_path), prompts=_prompts())
    trainer.rewards.judge_fn = lambda p, r: (1.0, "ok")  # every rollout right
    m = trainer.step()
    assert m["gate_on_fraction"] == 0 and m["expert_tokens"] == 0 and m["loss"] == 0
    assert m["success_hist"] == '{"4": 4}'


def test_resume_reproduces_the_next_loss_exactly(tmp_path):
    cfg = _cfg(tmp_path)
    a = Trainer(cfg, prompts=_prompts(6))
    a.step()
    a.save(tmp_path / "ckpt", hf_export=False)
    want = [a.step(), a.step()]
    b = Trainer(cfg.model_copy(update={"resume_from": str(tmp_path / "ckpt")}), prompts=_prompts(6))
    assert b.step_no == 1 and b.cursor == a.mixture.take(Cursor(), 4)[1]
    got = [b.step(), b.step()]
    for w, g in zip(want, got):
        for key in ("loss", "loss_expert", "loss_rollout", "grad_norm", "z_rollout"):
            assert w[key] == g[key], key
    assert all(torch.equal(x, y) for x, y in zip(a.module.parameters(), b.module.parameters()))
    other = cfg.model_copy(update={"seed": 8, "resume_from": str(tmp_path / "ckpt")})
    with pytest.raises(ValueError, match="written by config"):
        Trainer(other, prompts=_prompts(6))


def test_mixture_is_a_pure_function_of_the_cursor():
    mix = Mixture(_prompts(5), seed=1)
    first, cur = mix.take(Cursor(), 3)
    second, cur2 = mix.take(cur, 3)  # crosses into epoch 1
    assert cur2.epoch == 1 and len({p.id for p in first + second[:2]}) == 5
    assert mix.take(cur, 3) == (second, cur2)


def test_reward_timeout_is_zero_and_counted():
    from tests.training.judges import slow_judge

    pool = RewardPool(workers=2, timeout_s=3.0, judge_fn=slow_judge)
    try:
        started = time.perf_counter()
        rewards, stats = pool.score([(p, "x") for p in _prompts(3)])
        assert rewards == [1.0, 0.0, 1.0] and stats.timeouts == 1
        assert time.perf_counter() - started < 20
        rewards, stats = pool.score([(p, "x") for p in _prompts(1)])  # a fresh pool
        assert rewards == [1.0] and stats.timeouts == 0
    finally:
        pool.close()


def test_exact_match_and_verifier_rewards():
    from training.reward import judge

    p = _prompts(3)[2]
    assert judge(p, "so \\boxed{4}") == (1.0, "ok")
    assert judge(p, "\\boxed{5}")[0] == 0.0 and judge(p, "no answer")[1] == "unparsable"
    v = Prompt(id="x", source="helix", task="h_index", category="algorithms", level=1,
               question="", judge="verifier", initial_state='{"citations": [3, 0, 6, 1, 5]}')
    assert judge(v, "\\boxed{3}")[0] in (0.0, 1.0)  # never raises, whatever the state shape


def test_vllm_absence_is_handled():
    from training.rollout.vllm import VLLMUnavailable, create_vllm_actor, vllm_available

    ok, why = vllm_available()
    if ok:
        pytest.skip("vllm and CUDA present")
    assert why
    with pytest.raises(VLLMUnavailable):
        create_vllm_actor("some/model")
    with pytest.raises(ValueError, match="use_gpu"):
        TrainConfig.model_validate({"rollout": {"backend": "vllm"}})


def test_config_files_and_hash(tmp_path):
    from pathlib import Path

    from training.config import load_config

    example = load_config(Path(__file__).parents[2] / "examples" / "ahpo_tiny.yaml")
    js = tmp_path / "c.json"
    js.write_text(example.model_dump_json())
    again = load_config(js, {"output_dir": "elsewhere"})
    assert again.config_hash() == example.config_hash()  # where it writes is not in the hash
    assert load_config(js, {"algo.r_hat": 3}).config_hash() != example.config_hash()
    with pytest.raises(ValueError):
        load_config(js, {"algo.clip": 0.3})  # unknown field
    for example in (Path(__file__).parents[2] / "examples").glob("*.yaml"):
        load_config(example)  # every shipped example is a valid config


def test_batched_decoding_matches_the_trainer_for_ragged_prompts_and_small_batches():
    """Left-padded prompts of different lengths, top-p, and a budget that splits the rows over
    several decoding batches: every sample's log-probabilities are the trainer's recomputation."""
    model, tok = load_policy(TrainConfig().policy)
    backend = HFBackend(model, tok, stop_ids(tok), max_batch_tokens=60)
    prompts = [p.model_copy(update={"question": "x" * k}) for p, k in zip(_prompts(3), (1, 9, 23))]
    ids = [encode_prompt(tok, p, 256) for p in prompts]
    assert len({len(i) for i in ids}) == 3
    sampling = Sampling(n=4, temperature=0.7, top_p=0.9, max_new_tokens=12, seed=5)
    assert len(backend._batches([i for i in ids for _ in range(4)], 12)) > 1
    groups = backend.generate(ids, sampling)
    rows = [Row(p, s.response_ids) for p, g in zip(ids, groups) for s in g]
    with torch.no_grad():
        lp, mask, _ = sequence_logprobs(model, rows, tok.pad_token_id, temperature=0.7)
    for b, s in enumerate(s for g in groups for s in g):
        assert 1 <= len(s.response_ids) <= 12 and mask[b].sum() == len(s.logprobs)
        assert torch.allclose(lp[b, : len(s.logprobs)], torch.tensor(s.logprobs), atol=1e-5)
        if not s.truncated:
            assert s.response_ids[-1] in stop_ids(tok)


def test_rollout_engine_takes_only_complete_weights():
    model, tok = load_policy(TrainConfig().policy)
    backend = HFBackend(model, tok, stop_ids(tok))
    weights = list(model.named_parameters())
    with pytest.raises(KeyError, match="lack"):
        backend.load_weights(weights[1:])
    with pytest.raises(KeyError, match="no parameter"):
        backend.load_weights([("nope", weights[0][1])])
    backend.load_weights((k, v.detach() * 0) for k, v in model.named_parameters(remove_duplicate=False))
    assert all((p == 0).all() for p in model.parameters())


def test_reward_by_source_and_category_are_mean_rewards():
    """The per-source and per-category rewards are the same kind of number as reward_mean (the
    mean over the source's rollouts); they were n_on times too small (sums of per-prompt means
    divided by prompts x n_on)."""
    import types

    import torch

    from training.rollout.base import Sample
    from training.trainer import Trainer

    n_on = 4
    prompts = [Prompt(id=f"p{k}", source="helix" if k < 2 else "gsm", task="t", category=c,
                      level=1, question="q", judge="exact_match", answer="1")
               for k, c in enumerate(["puzzles", "puzzles", "external"])]
    rewards = torch.tensor([[1.0, 1, 0, 0], [1, 1, 1, 1], [0, 0, 0, 1]])
    groups = [[Sample(response_ids=[1, 2], logprobs=[0.0, 0.0], truncated=False) for _ in range(n_on)]
              for _ in prompts]
    me = types.SimpleNamespace(cfg=types.SimpleNamespace(rollout=types.SimpleNamespace(n_on=n_on)), step_no=1,
                               gate_stats={"groups": 0, "gate_on": 0, "successes": 0, "rollouts": 0})
    losses = {k: 0.0 for k in ("loss", "loss_rollout", "loss_expert", "z_rollout", "z_expert",
                               "clip_fraction", "entropy", "grad_norm", "rollout_tokens", "expert_tokens")}
    m = Trainer._metrics(me, types.SimpleNamespace(name="ahpo"), prompts, groups, rewards,
                         torch.zeros(3, dtype=torch.bool), types.SimpleNamespace(timeouts=0), losses)
    assert m["reward_mean"] == pytest.approx(7 / 12)
    assert json.loads(m["reward_by_source"]) == pytest.approx({"helix": 6 / 8, "gsm": 1 / 4})
    assert json.loads(m["reward_by_category"]) == pytest.approx({"puzzles": 6 / 8, "external": 1 / 4})
