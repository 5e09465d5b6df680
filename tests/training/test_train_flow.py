"""The `train` flow end to end: real Prefect (test server), Ray Train local mode, HF rollouts in a
Ray actor with weights pushed each step, verifier rewards, train_steps in the store, checkpoints."""

import json

import pytest
from prefect.testing.utilities import prefect_test_harness

from storage.catalog import query
from training.config import TrainConfig

pytestmark = pytest.mark.slow


def test_train_flow_runs_ray_train_with_a_rollout_actor(tmp_path):
    import ray
    import torch

    from flows.train import train
    from training.config import PolicyConfig
    from training.data import Prompt, encode_prompt
    from training.policy import load_policy, stop_ids
    from training.rollout.base import Sampling
    from training.rollout.hf import HFBackend

    cfg = TrainConfig.model_validate({
        "name": "flowtest", "steps": 2, "prompts_per_step": 2, "output_dir": str(tmp_path / "runs"),
        "checkpoint_every": 1, "log_every": 1,
        "data": {"data_root": str(tmp_path / "data"), "tasks": ["h_index"], "levels": [1],
                 "ensure_per_level": 2, "expert_format": "answer_only", "max_prompt_tokens": 64,
                 "truncation_side": "left"},
        "rollout": {"n_on": 3, "max_new_tokens": 6, "actor": True}, "reward": {"workers": 0},
        "optim": {"lr": 1e-2}})
    with prefect_test_harness(server_startup_timeout=120):
        result = train(cfg)
    assert not ray.is_initialized()
    assert result["steps"] == 2 and result["logged_steps"] == 2
    assert result["last"]["t_sync"] > 0  # weights really travelled to the actor
    _, rows = query(tmp_path / "data", "select step, gate_on_fraction, expert_tokens > 0, algorithm "
                                       "from train_steps order by step")
    assert rows == [(1, 1.0, True, "ahpo"), (2, 1.0, True, "ahpo")]
    assert (tmp_path / "runs" / cfg.run_id() / "curves.png").stat().st_size > 0
    # the checkpoint's HF folder is what an evaluation loads (here with the HF backend directly)
    hf = f"{result['checkpoint']}/hf"
    model, tok = load_policy(PolicyConfig(path=hf))
    state = torch.load(f"{result['checkpoint']}/state.pt", weights_only=False)
    assert all(torch.equal(v, state["model"][k]) for k, v in model.state_dict().items())
    p = Prompt(id="x", source="t", task="t", category="t", level=0, question="1+1?", judge="exact_match")
    out = HFBackend(model, tok, stop_ids(tok)).generate([encode_prompt(tok, p, 64)],
                                                        Sampling(n=2, max_new_tokens=4))
    assert len(out[0]) == 2
    assert json.loads((tmp_path / "runs" / cfg.run_id() / "result.json").read_text())["steps"] == 2


def test_helix_train_rejects_bad_configs(tmp_path, capsys):
    from cli.main import main

    bad = tmp_path / "bad.yaml"
    bad.write_text("algo: {algorithm: ppo}\n")
    assert main(["train", "--config", str(bad)]) == 2
    assert "algorithm" in capsys.readouterr().err
    assert main(["train", "--config", str(tmp_path / "missing.yaml")]) == 2
    assert main(["train", "--config", str(bad), "--set", "nokey"]) == 2


@pytest.mark.parametrize("text, message", [
    ("", "bad.yaml is empty: name at least the policy and the data"),
    ("# only a comment\n", "bad.yaml is empty"),
    ("policy: {model: tiny\nsteps: 3\n", "bad.yaml line 2, column 6: not valid YAML"),
    ("data: {tasks: [not_a_task]}\n", "unknown task 'not_a_task' (see `helix tasks`)"),
    ("data: {levels: [1, 9]}\n", "levels must be within 1..5, got 9"),
    ("steps: [1]\n", "steps"),
])
def test_bad_training_configs_are_one_line_before_anything_starts(tmp_path, capsys, text, message):
    from cli.main import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    assert main(["train", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_helix_data_root_is_honoured_by_train_as_by_every_command(tmp_path, monkeypatch):
    import argparse

    from cli.train import train_config

    config = tmp_path / "c.yaml"
    config.write_text("data: {data_root: from-the-file}\nsteps: 1\n")
    args = argparse.Namespace(config=str(config), set=None)
    monkeypatch.delenv("HELIX_DATA_ROOT", raising=False)
    assert train_config(args).data.data_root == "from-the-file"
    monkeypatch.setenv("HELIX_DATA_ROOT", str(tmp_path / "env"))
    assert train_config(args).data.data_root == str(tmp_path / "env")
    args.set = [f"data.data_root={tmp_path / 'set'}"]
    assert train_config(args).data.data_root == str(tmp_path / "set")


def test_the_default_batch_is_sized_to_the_machine():
    assert TrainConfig().prompts_per_step == 8  # CPU: 128 prompts x 5 rollouts would take it down
    assert TrainConfig(use_gpu=True).prompts_per_step == 128  # the paper's batch
    assert TrainConfig(prompts_per_step=3).prompts_per_step == 3
    assert TrainConfig().config_hash() == TrainConfig(prompts_per_step=8).config_hash()


def test_a_run_that_dies_before_its_first_checkpoint_leaves_no_folder(tmp_path):
    from training.ray_job import run_folder

    run = tmp_path / "runs" / "demo-abc"
    with pytest.raises(MemoryError):
        with run_folder(run):
            (run / "steps.jsonl").write_text('{"step": 1}\n')
            raise MemoryError("the trainer ran out of memory")
    assert not run.exists()
    # killed outright (nothing ran the exit): the next start of the same run clears the debris
    run.mkdir(parents=True)
    (run / "steps.jsonl").write_text('{"step": 1}\n')
    with run_folder(run):
        assert list(run.iterdir()) == []
        (run / "checkpoints" / "step-000002").mkdir(parents=True)
        (run / "steps.jsonl").write_text('{"step": 2}\n')
    with pytest.raises(KeyboardInterrupt):  # a run with a checkpoint stays: resume reads it
        with run_folder(run):
            raise KeyboardInterrupt
    assert (run / "checkpoints" / "step-000002").is_dir() and (run / "steps.jsonl").exists()
