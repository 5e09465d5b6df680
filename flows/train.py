"""Prefect flow `train`: validate the config, run the training job, publish its curves.

The flow lives in the orchestration environment (prefect) and the job in the training one
(torch, ray[train], vllm on GPUs): the two cannot share an environment, so on a cluster the flow
submits `python -m training.ray_job` through Ray's job submission API with a `.[train,gpu]`
runtime environment and polls it. `submit: inprocess` runs the same entrypoint here (CPU, tests).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE

from pipelines.train_report import eval_summary, eval_table, plot_curves, read_steps
from training.config import TrainConfig

REPO = Path(__file__).resolve().parents[1]
CURVE_COLUMNS = ("step", "phase", "reward_mean", "gate_on_fraction", "loss", "loss_expert",
                 "loss_rollout", "z_rollout", "clip_fraction", "entropy", "response_len_mean",
                 "tokens_per_s", "lr")


def job_runtime_env(cfg: TrainConfig) -> dict[str, Any]:
    """The job's environment: this repository as working dir, installed with the training extras
    (`train,gpu` on GPU clusters: vllm; `train` on CPU)."""
    from training.tracking import git_state

    extras = cfg.job_extras or ("train,gpu" if cfg.use_gpu else "train")
    if cfg.tracking.mlflow is not None and "mlflow" not in extras.split(","):
        extras += ",mlflow"  # the job's environment needs the tracker the config names
    if cfg.data.data_root.startswith("s3://") and "s3" not in extras.split(","):
        extras += ",s3"  # and the object store's client for its data root
    env = {"RAY_AUTH_MODE": "disabled"} if not cfg.ray_address else {}
    # the working dir travels without .git: the run records the submitter's commit instead
    git = git_state(REPO)
    if git["commit"]:
        env.update(HELIX_GIT_COMMIT=git["commit"], HELIX_GIT_DIRTY=str(bool(git["dirty"])).lower())
    return {"working_dir": str(REPO), "pip": [f".[{extras}]"], "env_vars": env,
            "excludes": ["data", "runs", ".venv", ".git"]}


@task(name="train-job", cache_policy=NO_CACHE)
def run_train_job(cfg: TrainConfig) -> dict[str, Any]:
    from training.ray_job import run_folder

    logger = get_run_logger()
    with run_folder(cfg.run_dir()):
        return _train_job(cfg, logger)


def _train_job(cfg: TrainConfig, logger) -> dict[str, Any]:
    run_dir = cfg.run_dir()
    config_path = run_dir / "config.json"
    config_path.write_text(cfg.model_dump_json(indent=2))
    if cfg.submit == "inprocess":
        from training.ray_job import run_job

        return run_job(cfg)
    from ray.job_submission import JobStatus, JobSubmissionClient

    client = JobSubmissionClient(cfg.ray_address or "http://127.0.0.1:8265")
    job_id = client.submit_job(entrypoint=f"python -m training.ray_job --config {config_path}",
                               runtime_env=job_runtime_env(cfg),
                               submission_id=f"{cfg.run_id()}-{int(time.time())}")
    logger.info("submitted Ray job %s (%s)", job_id, cfg.run_id())
    seen = 0
    while True:
        status = client.get_job_status(job_id)
        seen = _log_progress(run_dir, seen, logger)
        if status in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.STOPPED):
            break
        time.sleep(10)
    if status != JobStatus.SUCCEEDED:
        tail = client.get_job_logs(job_id)[-4000:]
        raise RuntimeError(f"training job {job_id} ended {status}:\n{tail}")
    return json.loads((run_dir / "result.json").read_text())


def _log_progress(run_dir: Path, seen: int, logger) -> int:
    path = run_dir / "steps.jsonl"
    if not path.exists():
        return seen
    lines = path.read_text().splitlines()
    for line in lines[seen:]:
        r = json.loads(line)
        logger.info("step %d: reward %.3f, gate on %.2f, loss %.4f", r["step"], r["reward_mean"],
                    r["gate_on_fraction"], r["loss"])
    return len(lines)


@task(name="ensure-instances", cache_policy=NO_CACHE)
def ensure_instances(cfg: TrainConfig) -> int:
    """Build the configured tasks' instances (with skeleton traces) when the store lacks them: the
    training split, and the held-out `val` split that evaluation during training reads."""
    splits = [cfg.data.split]
    if cfg.eval.every and cfg.eval.split == "val" and cfg.data.split != "val":
        splits.append("val")
    return sum(_ensure_split(cfg, split) for split in splits)


def _ensure_split(cfg: TrainConfig, split: str) -> int:
    from pipelines.build import BuildConfig, build_chunk, plan_chunks, taken_ids
    from storage.catalog import query
    from storage.shards import resolve_root

    root = resolve_root(cfg.data.data_root)
    _, rows = query(root, f"select count(*) from instances where split = '{split}'")
    if rows[0][0] or not cfg.data.ensure_per_level or not cfg.data.tasks or cfg.data.release:
        return 0  # a release is frozen: nothing is ever added to it
    build = BuildConfig(tasks=cfg.data.tasks, levels=cfg.data.levels, per_level=cfg.data.ensure_per_level,
                        split=split, seed=cfg.seed, data_root=str(root),
                        chunk_size=cfg.data.ensure_per_level)
    chunks = plan_chunks(build)
    taken = taken_ids(build, root, chunks)  # splits stay disjoint: no val puzzle is a train one
    return sum(build_chunk(c, build, build.run_id(), root, taken=taken).instances for c in chunks)


@task(name="check-eval-set", cache_policy=NO_CACHE)
def check_eval_set(cfg: TrainConfig) -> list[tuple[str, int]]:
    """The held-out sets the run will evaluate, (name, prompts), before the job starts: a missing
    val split is one line naming what to build, not a worker's traceback minutes later."""
    if not cfg.eval.every:
        return []
    from training.data import load_prompts
    from training.evaluation import held_out_sets

    return [(s.name, len(s.prompts)) for s in held_out_sets(cfg, load_prompts(cfg.data))]


@flow(name="train", log_prints=True)
def train(config: TrainConfig = TrainConfig()) -> dict[str, Any]:
    """AHPO (or a baseline) on the store's prompts; checkpoints and curves under the run dir."""
    logger = get_run_logger()
    logger.info("run %s (%s, %d steps, %d prompts/step, config %s)", config.run_id(),
                config.algo.algorithm, config.steps, config.prompts_per_step, config.config_hash())
    built = ensure_instances(config)
    if built:
        logger.info("built %d instances (the store had none for the training or the held-out split)", built)
    for name, n in check_eval_set(config):
        logger.info("held-out evaluation every %d steps on %s: %d prompts", config.eval.every, name, n)
    result = run_train_job(config)
    run_dir = Path(result["run_dir"])
    rows = read_steps(run_dir)
    from training.evaluation import curves, read_evals

    eval_rows = read_evals(run_dir)
    eval_curves = curves(eval_rows)
    png = plot_curves(rows, run_dir / "curves.png", f"{config.run_id()} ({config.algo.algorithm})",
                      eval_curves)
    if eval_rows:
        create_table_artifact(key="train-evals", table=eval_table(eval_curves),
                              description=f"held-out accuracy of train run {config.run_id()}")
    every = max(1, len(rows) // 50)
    create_table_artifact(key="train-curves", table=[
        {k: (round(r[k], 4) if isinstance(r.get(k), float) else r.get(k)) for k in CURVE_COLUMNS}
        for r in rows[::every]], description=f"train run {config.run_id()}")
    last = rows[-1] if rows else {}
    create_markdown_artifact(key="train-run", markdown=(
        f"# train {config.run_id()}\n\n{config.algo.algorithm}, {len(rows)} steps, "
        f"config hash `{config.config_hash()}`\n\nlast step: reward {last.get('reward_mean', 0):.3f}, "
        f"gate on {last.get('gate_on_fraction', 0):.2f}, loss {last.get('loss', 0):.4f}\n\n"
        f"checkpoint `{result['checkpoint']}` (HF folder in `hf/`), curves `{png}`\n"
        + eval_summary(eval_curves, result.get("best"))))
    return {**result, "curves": str(png), "logged_steps": len(rows),
            "evaluations": len({r["step"] for r in eval_rows})}
