"""Data parallelism is invisible in the numbers: two Ray Train workers (gloo, CPU) with DDP or
FSDP2 compute the same gradients and report the same loss as one process with the whole batch;
FSDP2 checkpoints are saved sharded and resume to the same weights."""

from pathlib import Path

import pytest
import torch

from tests.training import parallel_worker

ROOT = Path(__file__).resolve().parents[2]


def _single(tmp_path):
    out = tmp_path / "single.pt"
    parallel_worker.update(parallel_worker.config(str(tmp_path / "one"), "ddp"), str(out))
    return torch.load(out, weights_only=False)


@pytest.fixture(scope="module")
def ray_cluster():
    import ray

    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(ROOT), "OMP_NUM_THREADS": "1"}})
    yield
    ray.shutdown()


def _two_workers(tmp_path, strategy):
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    out = tmp_path / f"two-{strategy}.pt"
    TorchTrainer(parallel_worker.ray_worker,
                 train_loop_config={"train": parallel_worker.config(str(tmp_path / strategy), strategy),
                                    "out": str(out)},
                 scaling_config=ScalingConfig(num_workers=2, use_gpu=False),
                 run_config=RunConfig(name=f"dp-{strategy}", storage_path=str(tmp_path / "ray"))).fit()
    return torch.load(out, weights_only=False)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["ddp", "fsdp"])
def test_two_gloo_workers_give_the_update_of_one_process(tmp_path, ray_cluster, strategy):
    one = _single(tmp_path)
    two = _two_workers(tmp_path, strategy)
    for key in ("loss", "loss_rollout", "loss_expert", "rollout_tokens", "expert_tokens", "z_rollout", "grad_norm"):
        assert two["result"][key] == pytest.approx(one["result"][key], rel=1e-5, abs=1e-7), key
    assert one["result"]["loss_rollout"] != 0 and one["result"]["loss_expert"] != 0
    assert one["grads"].keys() == two["grads"].keys()
    for name, g in one["grads"].items():
        assert torch.allclose(two["grads"][name], g, rtol=1e-4, atol=1e-7), name
    for name, w in one["weights"].items():  # after one AdamW step from the same start
        assert torch.allclose(two["weights"][name], w, atol=2e-5), name
    if strategy == "fsdp":  # the sharded checkpoint resumes to the weights it saved
        assert all(torch.equal(two["resumed"][k], v) for k, v in two["weights"].items())


@pytest.mark.slow
def test_a_shared_rollout_actor_is_driven_by_rank_zero(tmp_path, ray_cluster):
    """Two training ranks, one HF rollout actor: rank 0 sends it the whole step's prompts in one
    call and pushes the weights once a step; the logged numbers are of the whole batch."""
    import json

    from training.config import TrainConfig
    from training.ray_job import run_job

    qa = tmp_path / "qa.jsonl"
    qa.write_text("".join(json.dumps({"question": f"{k} + {k} = ?", "answer": str(2 * k)}) + "\n" for k in range(8)))
    cfg = TrainConfig.model_validate({
        "name": "shared", "steps": 2, "prompts_per_step": 4, "num_workers": 2, "checkpoint_every": 2,
        "log_every": 1, "output_dir": str(tmp_path / "runs"), "reward": {"workers": 0},
        "data": {"data_root": str(tmp_path / "data"), "external": [{"path": str(qa)}]},
        "rollout": {"n_on": 2, "max_new_tokens": 4, "actor": True}, "optim": {"lr": 1e-2}})
    result = run_job(cfg)
    assert result["steps"] == 2
    assert result["rollout_engine"] == {"generate": 2, "load_weights": 3}  # start + once per step
    steps = [json.loads(line) for line in (cfg.run_dir() / "steps.jsonl").read_text().splitlines()]
    assert [s["prompts"] for s in steps] == [4, 4]  # both ranks' shares, not rank 0's
    assert all(s["generated_tokens"] == s["rollout_tokens"] > 0 for s in steps)
