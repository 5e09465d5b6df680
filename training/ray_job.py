"""The training job: Ray Train `TorchTrainer` around `Trainer`, rollout actors outside its
placement group, step metrics into the store's `train_steps` table, checkpoints under the run dir.

This module is the Ray Job entrypoint (`python -m training.ray_job --config run.json`): it runs in
the `.[train]` / `.[train,gpu]` environment and never imports Prefect.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from common.hashing import stable_hash
from training.config import TrainConfig

RESULT_FILE = "result.json"


class StepLog:
    """Buffers step metrics and writes them as one `train_steps` shard per `every` steps (a shard
    per step would flood the store; the catalog de-duplicates ids if a resumed run rewrites).
    Every step also goes to `tracker` (TensorBoard, MLflow: training/tracking.py), which other
    results (evaluations) are logged to as well."""

    def __init__(self, cfg: TrainConfig, tracker=None):
        from storage.shards import resolve_root

        self.cfg, self.rows = cfg, []
        self.root = resolve_root(cfg.data.data_root)
        self.run_id = cfg.run_id()
        self.jsonl = cfg.run_dir() / "steps.jsonl"
        self.tracker = tracker

    def add(self, metrics: dict[str, Any]) -> None:
        row = {"id": stable_hash("train_step", self.run_id, metrics["step"]), "run_id": self.run_id,
               "config_hash": self.cfg.config_hash(), "algorithm": self.cfg.algo.algorithm, **metrics}
        self.rows.append(row)
        with open(self.jsonl, "a") as handle:  # live tail for the flow and humans
            handle.write(json.dumps(row) + "\n")
        if self.tracker is not None:
            self.tracker.log(metrics["step"], metrics)

    def flush(self) -> None:
        if not self.rows:
            return
        from storage.shards import write_shard

        write_shard(self.root, "train_steps", self.rows, task=self.run_id, level=0,
                    run_id=self.run_id, part=self.rows[0]["step"])
        self.rows = []
        if self.tracker is not None:
            self.tracker.flush()  # TensorBoard shows what the store has

    def close(self, failed: bool = False) -> None:
        try:
            self.flush()
        finally:
            if self.tracker is not None:
                self.tracker.close(failed=failed)


def run_training(cfg: TrainConfig, *, rank: int = 0, world: int = 1, rollout=None,
                 report=None, device=None) -> dict[str, Any]:
    """The loop every worker runs. `report(metrics, checkpoint_dir)` is Ray Train's report (or
    None): called only at checkpoints and at the end, since each report costs ~1.8 s."""
    from training.trainer import Trainer

    run_dir = cfg.run_dir()
    (run_dir / "checkpoints").mkdir(parents=True, exist_ok=True)
    if rank == 0:
        from training.tracking import require_tracking, start_tracking

        require_tracking(cfg.tracking)  # a missing tracker package fails before the model loads
    trainer = Trainer(cfg, rank=rank, world=world, rollout=rollout, device=device)
    log = None
    if rank == 0:  # run.json (config, git commit, data snapshot, versions) and the tracker
        try:
            tasks = sorted({p.task for p in trainer.mixture.prompts if p.source == "helix"})
            log = StepLog(cfg, start_tracking(cfg, tasks, trainer.step_no))
        except BaseException:
            trainer.close()  # its verifier processes
            raise
    last: dict[str, Any] = {}
    started = time.perf_counter()
    evals = None
    try:
        if cfg.eval.every:  # held-out evaluation (training/evaluation.py): its set is loaded once
            from training.evaluation import Evaluator

            evals = Evaluator(cfg, trainer, tracker=getattr(log, "tracker", None))
            evals.maybe_run()  # step 0: the untrained policy (eval.at_start)
        while trainer.step_no < cfg.steps:
            last = trainer.step()
            if log:
                log.add(last)
                if trainer.step_no % cfg.log_every == 0:
                    log.flush()
            if trainer.step_no % cfg.checkpoint_every == 0 or trainer.step_no == cfg.steps:
                ckpt = run_dir / "checkpoints" / f"step-{trainer.step_no:06d}"
                trainer.save(ckpt)  # every rank: FSDP2 shards are saved by their owners
                if report:
                    report({k: v for k, v in last.items() if isinstance(v, (int, float))},
                           ckpt if rank == 0 else None)
            if evals:
                evals.maybe_run()  # every eval.every steps and at the last step, on every rank
    finally:
        if log:
            log.close(failed=sys.exc_info()[0] is not None)  # an exception on its way out: FAILED
        trainer.close()
    result = {"run_id": cfg.run_id(), "steps": trainer.step_no, "run_dir": str(run_dir),
              "last": last, "wall_seconds": time.perf_counter() - started,
              "checkpoint": str(run_dir / "checkpoints" / f"step-{trainer.step_no:06d}")}
    if evals:
        result["eval_seconds"] = evals.seconds  # of wall_seconds (this rank's view)
    if evals and evals.best:
        result["best"] = evals.best  # the best checkpoint by eval.best_metric (rank 0)
    if rank == 0:
        (run_dir / RESULT_FILE).write_text(json.dumps(result, indent=2, default=str))
    return result


def train_loop_per_worker(loop_config: dict[str, Any]) -> None:
    """Ray Train's worker function (local mode runs it in this process)."""
    import ray.train

    cfg = TrainConfig.model_validate(loop_config["train"])
    ctx = ray.train.get_context()
    rank, world = ctx.get_world_rank(), ctx.get_world_size()
    device = None
    if cfg.use_gpu:
        import ray.train.torch

        device = ray.train.torch.get_device()  # this worker's GPU (Ray sets CUDA_VISIBLE_DEVICES)

    def report(metrics: dict[str, Any], ckpt: Path | None) -> None:
        from ray.train import Checkpoint

        ray.train.report(metrics, checkpoint=Checkpoint.from_directory(str(ckpt)) if ckpt else None)

    rollout = make_rollout(cfg, rank, device, loop_config.get("rollout_actor"))
    run_training(cfg, rank=rank, world=world, rollout=rollout, report=report, device=device)


def make_rollout(cfg: TrainConfig, rank: int, device, actor):
    """This rank's view of the rollout engine: vLLM (an actor on its own GPUs, or an engine in
    rank 0's process), an HF actor, or None (in-process HF rollouts)."""
    if cfg.rollout.backend == "vllm":
        import torch

        from training.rollout.vllm import LocalHandle, RayHandle, VLLMBackend, VLLMRolloutWorker

        if cfg.rollout.placement == "colocated":
            # only rank 0 drives the engine; it lives on rank 0's GPU, in its process
            handle = LocalHandle(VLLMRolloutWorker(cfg.policy.path, colocated=True, **engine_kwargs(cfg))) \
                if rank == 0 else None
        else:
            handle = RayHandle(actor)
        return VLLMBackend(handle, placement=cfg.rollout.placement,
                           tensor_parallel_size=cfg.rollout.tensor_parallel_size,
                           device=device or "cuda", dtype=torch.bfloat16,
                           bucket_bytes=cfg.rollout.weight_bucket_mb << 20)
    if actor is not None:
        from training.rollout.hf import ActorBackend

        return ActorBackend(actor)
    return None


def engine_kwargs(cfg: TrainConfig) -> dict[str, Any]:
    pictures = ({"min_pixels": cfg.data.image_min_pixels, "max_pixels": cfg.data.image_max_pixels}
                if cfg.data.variant == "image" else {})
    return dict(dtype="bfloat16", seed=cfg.seed, gpu_memory_utilization=cfg.rollout.gpu_memory_utilization,
                tensor_parallel_size=cfg.rollout.tensor_parallel_size, max_model_len=cfg.rollout.max_model_len,
                **pictures)


def start_ray(address: str | None) -> bool:
    import ray

    if ray.is_initialized():
        return False
    os.environ.setdefault("RAY_AUTH_MODE", "disabled")
    if address:
        ray.init(address=address, log_to_driver=False)
    else:
        context = ray.init(num_cpus=max(2, os.cpu_count() or 2), include_dashboard=False,
                           log_to_driver=False)
        from storage.processes import reap_ray_session

        reap_ray_session(context.address_info.get("session_dir"))  # gone when helix is, killed or not
    return True


def create_rollout_actor(cfg: TrainConfig):
    """A rollout engine actor outside the training placement group (vLLM on its own GPUs, or the
    HF actor), or None: in-process HF rollouts, or a colocated vLLM engine (made by rank 0)."""
    if cfg.rollout.backend == "vllm":
        if cfg.rollout.placement == "colocated":
            return None
        from training.rollout.vllm import create_vllm_actor

        return create_vllm_actor(cfg.policy.path, gpus=cfg.rollout.tensor_parallel_size, **engine_kwargs(cfg))
    if cfg.rollout.actor:
        from training.rollout.hf import create_hf_actor

        dtype = cfg.rollout.dtype if cfg.rollout.dtype != "auto" else ("bfloat16" if cfg.use_gpu else "float32")
        return create_hf_actor(cfg.policy.model_dump(), num_gpus=1.0 if cfg.use_gpu else 0.0, dtype=dtype,
                               max_batch_tokens=cfg.rollout.max_batch_tokens)
    return None


def _worth_keeping(run_dir: Path) -> bool:
    """A run folder holds something to resume or read: a checkpoint, or a finished run's result."""
    return (run_dir / RESULT_FILE).exists() or any((run_dir / "checkpoints").glob("step-*"))


@contextmanager
def run_folder(run_dir: Path) -> Iterator[Path]:
    """The run's folder for the length of the run. A run that dies before its first checkpoint
    leaves nothing worth keeping: its folder goes on the way out (an exception, Ctrl-C) or, when
    it was killed outright, when the same run starts again; a folder with a checkpoint or a
    result always stays (resume reads it)."""
    if run_dir.exists() and not _worth_keeping(run_dir):
        shutil.rmtree(run_dir)  # debris of a killed run: half a steps.jsonl, a config, Ray's logs
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        yield run_dir
    except BaseException:
        if not _worth_keeping(run_dir):
            shutil.rmtree(run_dir, ignore_errors=True)
        raise


def run_job(cfg: TrainConfig) -> dict[str, Any]:
    """Build the TorchTrainer and fit. num_workers = 0 is Ray Train's local mode (one process)."""
    from ray.train import RunConfig, ScalingConfig
    from ray.train.torch import TorchTrainer

    own = start_ray(cfg.ray_address)
    try:
        import ray

        cfg.check_gpus(ray.cluster_resources().get("GPU", 0.0))
        cfg.run_dir().mkdir(parents=True, exist_ok=True)
        actor = create_rollout_actor(cfg)
        trainer = TorchTrainer(
            train_loop_per_worker,
            train_loop_config={"train": cfg.model_dump(mode="json"), "rollout_actor": actor},
            scaling_config=ScalingConfig(num_workers=cfg.num_workers, use_gpu=cfg.use_gpu),
            run_config=RunConfig(name=cfg.run_id(), storage_path=str(cfg.run_dir() / "ray")))
        trainer.fit()
        result = json.loads((cfg.run_dir() / RESULT_FILE).read_text())
        if actor is not None and hasattr(actor, "stats"):
            # what the shared engine saw: one generate and one weight push per step
            result["rollout_engine"] = ray.get(actor.stats.remote())
            (cfg.run_dir() / RESULT_FILE).write_text(json.dumps(result, indent=2, default=str))
        return result
    finally:
        if own:
            import ray

            ray.shutdown()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m training.ray_job")
    p.add_argument("--config", required=True, help="training config (.json, .yaml)")
    args = p.parse_args(argv)
    from training.config import load_config

    result = run_job(load_config(args.config))
    print(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
