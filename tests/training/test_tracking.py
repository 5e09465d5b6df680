"""Learning-rate schedule (pure function, torch scheduler, exact across resume), TensorBoard event
files read back by TensorBoard's own reader, run.json (code, data and versions of a run), MLflow to
a local store, and bad settings as one-line errors."""

from __future__ import annotations

import importlib.util
import json
import math
import shutil
import subprocess
from datetime import datetime, timezone

import pytest
import torch

from pipelines.build import BuildConfig, build_chunk, plan_chunks
from training.config import OptimConfig, TrackingConfig, TrainConfig
from training.data import Prompt
from training.schedule import lr_at, make_scheduler
from training.tracking import REPO, Tracker, TrackingError, git_state, scalars

# the eval helper's held-out evaluation needs val instances; these runs measure tracking only
NO_EVAL = {"eval": {"every": 0}} if "eval" in TrainConfig.model_fields else {}


def _reference(step: int, lr: float, steps: int, schedule: str, warmup: int, start: float, floor: float) -> float:
    """The schedule written out independently: warm-up line, then the decay curve over the rest."""
    if step < warmup:
        return lr * start + (lr - lr * start) * (step / warmup)
    if schedule == "constant":
        return lr
    t, span = step - warmup, steps - warmup
    if schedule == "cosine":
        return lr * floor + (lr - lr * floor) * (math.cos(math.pi * t / span) + 1) / 2
    return lr * floor + (lr - lr * floor) * (span - t) / span


@pytest.mark.parametrize("schedule, warmup, start, floor", [
    ("constant", 0, 0.0, 0.0), ("constant", 4, 0.0, 0.0), ("cosine", 0, 0.0, 0.1), ("cosine", 5, 0.2, 0.0),
    ("linear", 3, 0.0, 0.25), ("linear", 0, 0.0, 0.0)])
def test_lr_at_follows_the_reference_formula_and_drives_the_optimizer(schedule, warmup, start, floor):
    steps, lr = 20, 3e-4
    optim = OptimConfig(lr=lr, schedule=schedule, warmup_steps=warmup, warmup_start_ratio=start,
                        min_lr_ratio=floor)
    want = [_reference(s, lr, steps, schedule, warmup, start, floor) for s in range(steps)]
    assert [lr_at(s, optim, steps) for s in range(steps)] == pytest.approx(want, rel=1e-12, abs=1e-18)
    # the torch scheduler the trainer steps once per training step gives the same values
    param = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([param], lr=lr)
    sched = make_scheduler(opt, optim, steps)
    seen = []
    for _ in range(steps):
        seen.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    assert seen == pytest.approx(want, rel=1e-12, abs=1e-18)
    if warmup:
        assert seen[0] == pytest.approx(lr * start, abs=1e-18) and seen[warmup] == pytest.approx(lr)
    if schedule == "cosine" and not warmup:  # torch's own cosine annealing, as a second reference
        ref_opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
        ref = torch.optim.lr_scheduler.CosineAnnealingLR(ref_opt, T_max=steps, eta_min=lr * floor)
        torch_seq = []
        for _ in range(steps):
            torch_seq.append(ref_opt.param_groups[0]["lr"])
            ref_opt.step()
            ref.step()
        assert seen == pytest.approx(torch_seq, rel=1e-9)


def _prompts(n=6):
    return [Prompt(id=f"q{k}", source="toy", task="toy", category="external", level=0, question=f"{k}+{k}=?",
                   judge="exact_match", answer=str(2 * k), expert=f"\\boxed{{{2 * k}}}") for k in range(n)]


def test_a_resumed_run_continues_the_exact_lr_sequence(tmp_path):
    from training.trainer import Trainer

    cfg = TrainConfig.model_validate({
        "steps": 4, "prompts_per_step": 2, "output_dir": str(tmp_path), "seed": 1,
        "data": {"data_root": str(tmp_path / "data")}, "reward": {"workers": 0},
        "rollout": {"n_on": 2, "max_new_tokens": 4},
        "optim": {"lr": 1e-2, "schedule": "cosine", "warmup_steps": 2, "min_lr_ratio": 0.1}})
    a = Trainer(cfg, prompts=_prompts())
    before = [p.detach().clone() for p in a.module.parameters()]
    got = [a.step()["lr"]]
    # warm-up from 0: the first update moves nothing (the lr really reaches the optimizer)
    assert all(torch.equal(x, y) for x, y in zip(before, a.module.parameters()))
    got += [a.step()["lr"]]
    a.save(tmp_path / "ckpt", hf_export=False)
    got += [a.step()["lr"] for _ in range(2)]
    assert got == pytest.approx([lr_at(s, cfg.optim, 4) for s in range(4)], rel=1e-12)
    assert got[:3] == pytest.approx([0, 5e-3, 1e-2]) and 1e-3 < got[3] < 1e-2  # the floor is at step 4
    b = Trainer(cfg.model_copy(update={"resume_from": str(tmp_path / "ckpt")}), prompts=_prompts())
    resumed = [b.step()["lr"] for _ in range(2)]
    assert resumed == got[2:]
    assert b.scheduler.state_dict()["last_epoch"] == a.scheduler.state_dict()["last_epoch"] == 4
    assert all(torch.equal(x, y) for x, y in zip(a.module.parameters(), b.module.parameters()))
    a.close(), b.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    build = BuildConfig(tasks=["h_index"], levels=[1], per_level=3, data_root=str(root))
    for chunk in plan_chunks(build):
        build_chunk(chunk, build, build.run_id(), root)
    return root


def _git(*args):
    return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_a_tiny_run_writes_tensorboard_scalars_and_its_run_json(store, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from generators import registry
    from training.ray_job import run_training

    cfg = TrainConfig.model_validate({
        "name": "tracked", "steps": 3, "prompts_per_step": 2, "output_dir": str(tmp_path / "runs"), "seed": 3,
        "checkpoint_every": 2, "log_every": 2, **NO_EVAL,
        "data": {"data_root": str(store), "tasks": ["h_index"], "levels": [1], "expert_format": "answer_only",
                 "max_prompt_tokens": 64, "truncation_side": "left"},
        "rollout": {"n_on": 2, "max_new_tokens": 4}, "reward": {"workers": 0},
        "optim": {"lr": 1e-2, "schedule": "linear", "warmup_steps": 1, "warmup_start_ratio": 0.5}})
    run_training(cfg)
    run = cfg.run_dir()
    rows = [json.loads(line) for line in (run / "steps.jsonl").read_text().splitlines()]
    assert [r["lr"] for r in rows] == pytest.approx([5e-3, 1e-2, 5e-3])  # warm-up, then linear to 0 at 3

    # the run resumes from step 2 and logs step 3 again: TensorBoard keeps one value per step
    first_start = json.loads((run / "run.json").read_text())
    current = (store / "_store" / "CURRENT").read_text().split()  # the run's own train_steps move it
    run_training(cfg.model_copy(update={"resume_from": str(run / "checkpoints" / "step-000002")}))
    acc = EventAccumulator(str(run / "tensorboard"))
    acc.Reload()
    tags = set(acc.Tags()["scalars"])
    assert {"loss", "lr", "reward_mean", "gate_on_fraction", "t_update", "reward_by_source/helix",
            "reward_by_category/algorithms", "success_hist/0"} <= tags
    assert not {"step", "phase", "mfu"} & tags  # the x axis, text, None on CPU
    rows = {r["step"]: r for r in map(json.loads, (run / "steps.jsonl").read_text().splitlines())}
    for tag in ("loss", "lr", "reward_mean", "expert_tokens"):
        events = acc.Scalars(tag)
        assert [e.step for e in events] == [1, 2, 3], tag
        assert [e.value for e in events] == pytest.approx([rows[s][tag] for s in (1, 2, 3)], rel=1e-6), tag
    assert [e.value for e in acc.Scalars("reward_by_source/helix")] == pytest.approx(
        [json.loads(rows[s]["reward_by_source"])["helix"] for s in (1, 2, 3)])

    meta = json.loads((run / "run.json").read_text())
    assert meta["config"] == json.loads(cfg.model_copy(update={"resume_from": meta["resume_from"]}).model_dump_json())
    assert meta["config_hash"] == cfg.config_hash() and meta["run_id"] == cfg.run_id()
    assert meta["start_step"] == 2 and meta["resume_from"].endswith("step-000002")
    assert meta["earlier_starts"] == [{k: first_start[k] for k in meta["earlier_starts"][0]}]
    assert meta["earlier_starts"][0]["start_step"] == 0
    assert meta["data"]["ledger"] == {"seq": int(current[0]), "sha256": current[1]}
    assert meta["data"]["release"] is None
    assert meta["tasks"] == {"h_index": registry.get("h_index").version}
    assert meta["versions"]["torch"] == torch.__version__ and meta["versions"]["python"]
    started = datetime.fromisoformat(meta["started_at"])
    assert started.tzinfo == timezone.utc and abs((datetime.now(timezone.utc) - started).total_seconds()) < 600
    if shutil.which("git") is None or not (REPO / ".git").exists():
        pytest.skip("no git checkout here: the commit check does not apply")
    assert meta["git"] == {"commit": _git("rev-parse", "HEAD"),
                           "dirty": bool(_git("--no-optional-locks", "status", "--porcelain"))}


def test_run_metadata_without_git_and_with_a_release(store, tmp_path, monkeypatch):
    from storage.maintenance import create_release, writer_lock
    from training.tracking import data_state

    monkeypatch.delenv("HELIX_GIT_COMMIT", raising=False)
    monkeypatch.delenv("HELIX_GIT_DIRTY", raising=False)
    assert git_state(tmp_path) == {"commit": None, "dirty": None}  # not a checkout: nulls, no crash
    monkeypatch.setenv("PATH", str(tmp_path))  # no git at all
    assert git_state() == {"commit": None, "dirty": None}
    # a cluster job's working_dir has no .git: the submitter passes what its checkout said
    monkeypatch.setenv("HELIX_GIT_COMMIT", "0" * 40)
    monkeypatch.setenv("HELIX_GIT_DIRTY", "false")
    assert git_state(tmp_path) == {"commit": "0" * 40, "dirty": False}
    with writer_lock(store):
        manifest = create_release(store, "tracked-v1")
    cfg = TrainConfig.model_validate({"data": {"data_root": str(store), "release": "tracked-v1"}})
    state = data_state(cfg)
    assert (state["release"], state["release_snapshot"]) == ("tracked-v1", manifest["snapshot"])
    assert "ledger" not in state  # the release, not the moving store, names the data


def test_scalars_expand_json_metrics_and_skip_text():
    got = scalars({"step": 4, "loss": 0.5, "phase": "ahpo", "mfu": None, "tokens": 12,
                   "reward_by_source": '{"helix": 0.25, "gsm": 1}', "success_hist": '{"0": 3}'}, "train")
    assert got == {"train/loss": 0.5, "train/tokens": 12.0, "train/reward_by_source/helix": 0.25,
                   "train/reward_by_source/gsm": 1.0, "train/success_hist/0": 3.0}


def test_mlflow_logs_the_config_the_facts_and_the_metrics_to_a_local_store(tmp_path):
    if importlib.util.find_spec("mlflow") is None:
        pytest.skip("mlflow is not installed (optional extra: pip install -e '.[mlflow]')")
    from mlflow.tracking import MlflowClient

    from training.tracking import start_tracking

    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    cfg = TrainConfig.model_validate({
        "name": "ml", "output_dir": str(tmp_path / "runs"), "data": {"data_root": str(tmp_path / "data")},
        "optim": {"schedule": "cosine", "warmup_steps": 2},
        "tracking": {"tensorboard": False, "mlflow": {"tracking_uri": uri, "experiment": "helix-test"}}})
    cfg.run_dir().mkdir(parents=True)
    tracker = start_tracking(cfg, ["h_index"])
    assert tracker.writer is None and not (cfg.run_dir() / "tensorboard").exists()
    tracker.log(1, {"step": 1, "loss": 0.75, "reward_by_source": '{"helix": 0.5}'})
    tracker.log(1, {"greedy": 0.25}, prefix="eval")
    tracker.close()
    again = start_tracking(cfg.model_copy(update={"resume_from": "somewhere"}), ["h_index"], start_step=1)
    again.log(2, {"loss": 0.5})  # a resumed run continues its MLflow run
    again.close(failed=True)

    client = MlflowClient(tracking_uri=uri)
    runs = client.search_runs([client.get_experiment_by_name("helix-test").experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.info.run_name == cfg.run_id() and run.info.status == "FAILED"
    params, tags = run.data.params, run.data.tags
    assert params["optim.schedule"] == "cosine" and params["optim.warmup_steps"] == "2"
    assert params["config_hash"] == cfg.config_hash() and "tracking.tensorboard" not in params
    assert tags["helix.run_id"] == cfg.run_id() and tags["helix.tasks"] == json.dumps(
        {"h_index": __import__("generators.registry", fromlist=["get"]).get("h_index").version})
    assert tags.get("mlflow.source.git.commit") == git_state()["commit"]
    history = client.get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(1, 0.75), (2, 0.5)]
    assert run.data.metrics["reward_by_source/helix"] == 0.5 and run.data.metrics["eval/greedy"] == 0.25


@pytest.mark.parametrize("text, message", [
    ("steps: 5\noptim: {warmup_steps: 5}\n", "optim.warmup_steps (5) must be below steps (5)"),
    ("optim: {schedule: exponential}\n", "optim.schedule: Input should be 'constant', 'cosine' or 'linear'"),
    ("optim: {min_lr_ratio: 2}\n", "optim.min-lr-ratio: Input should be less than or equal to 1"),
    ("tracking: {mlflow: {experiment: x}}\n", "tracking.mlflow.tracking-uri: Field required"),
    ("tracking: {wandb: true}\n", "tracking.wandb: Extra inputs are not permitted"),
])
def test_bad_schedule_and_tracking_settings_are_one_line(tmp_path, capsys, text, message):
    from cli.main import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(text)
    assert main(["train", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_a_tracker_that_cannot_start_says_why_in_one_line(tmp_path, monkeypatch):
    cfg = TrackingConfig(mlflow={"tracking_uri": "bogus-scheme://nowhere"})
    if importlib.util.find_spec("mlflow") is not None:
        with pytest.raises(TrackingError, match="^tracking.mlflow: bogus-scheme://nowhere cannot be used") as err:
            Tracker(cfg, tmp_path, name="x")
        assert "\n" not in str(err.value)
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlflow" else real(name, *a))
    with pytest.raises(TrackingError, match=r"mlflow is not installed: pip install -e '\.\[mlflow\]'"):
        Tracker(cfg, tmp_path, name="x")


def test_tracking_settings_are_not_part_of_the_config_hash():
    plain = TrainConfig()
    tracked = TrainConfig.model_validate({"tracking": {"tensorboard": False,
                                                       "mlflow": {"tracking_uri": "sqlite:///m.db"}}})
    assert tracked.config_hash() == plain.config_hash()  # switching tracking on keeps the run resumable
    assert TrainConfig.model_validate({"optim": {"schedule": "cosine"}}).config_hash() != plain.config_hash()


def test_a_submitted_job_carries_the_commit_and_the_tracker_it_needs():
    """A Ray job's working dir travels without .git and installs only the extras it is told:
    the submitter's commit goes in the job's environment, and a configured MLflow adds its extra."""
    import subprocess

    from flows.train import REPO, job_runtime_env
    from training.config import TrainConfig

    env = job_runtime_env(TrainConfig.model_validate(
        {"tracking": {"mlflow": {"tracking_uri": "sqlite:///m.db", "experiment": "x"}}}))
    assert env["pip"] == [".[train,mlflow]"] and ".git" in env["excludes"]
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True).stdout.strip()
    assert env["env_vars"]["HELIX_GIT_COMMIT"] == head
    assert env["env_vars"]["HELIX_GIT_DIRTY"] in ("true", "false")
    assert job_runtime_env(TrainConfig())["pip"] == [".[train]"]
    on_objects = TrainConfig.model_validate({"data": {"data_root": "s3://bucket/helix"}, "use_gpu": True})
    assert job_runtime_env(on_objects)["pip"] == [".[train,gpu,s3]"]
