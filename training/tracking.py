"""Experiment tracking and run metadata, on rank 0 only.

- `Tracker`: every numeric step metric (and whatever else is given to `log`, evaluation results
  included) as a scalar in TensorBoard event files under `<run dir>/tensorboard/`, and in MLflow
  when `tracking.mlflow` is set (params: the config; tags: the run's facts below). JSON-string
  metrics (reward_by_source, success_hist, ...) become one scalar per key (`reward_by_source/helix`).
- `run.json` in the run dir, written when a run starts: the whole config, its hash, the git
  commit of the code (and whether the tree was dirty), the data it read (the release, or the
  store's committed ledger snapshot), the versions of the trained tasks and of python, torch and
  transformers, the host and the start time (UTC), so a curve can be traced to its code and data.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import platform
import re
import socket
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from training.config import TrackingConfig, TrainConfig

RUN_FILE = "run.json"
REPO = Path(__file__).resolve().parents[1]
# settings that do not change the numbers: not params of the experiment (a resumed run logs the same)
_NOT_PARAMS = {"output_dir", "resume_from", "ray_address", "submit", "job_extras", "tracking"}


class TrackingError(ValueError):
    """A tracker that cannot start (missing package, bad URI): one line."""


def require_tracking(cfg: TrackingConfig) -> None:
    """Fail before anything heavy starts when a configured tracker's package is missing."""
    if cfg.mlflow is not None and importlib.util.find_spec("mlflow") is None:
        raise TrackingError("tracking.mlflow is set but mlflow is not installed: pip install -e "
                            "'.[mlflow]' (or drop tracking.mlflow)")
    if cfg.tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise TrackingError("tracking.tensorboard needs the tensorboard package (the train extra), "
                            "or set tracking.tensorboard: false")


def scalars(values: dict[str, Any], prefix: str = "") -> dict[str, float]:
    """The numbers among `values`, by tag: numbers as they are, JSON objects in strings (or dicts)
    one per key; `step`, text and None are left out."""
    out: dict[str, float] = {}

    def add(tag: str, value: Any) -> None:
        if isinstance(value, str) and value.startswith("{"):
            try:
                value = json.loads(value)
            except json.JSONDecodeError:
                return
        if isinstance(value, dict):
            for key, inner in value.items():
                add(f"{tag}/{key}", inner)
        elif isinstance(value, (int, float)):  # bools too (0/1)
            out[tag] = float(value)

    for key, value in values.items():
        if key != "step":
            add(f"{prefix}/{key}" if prefix else key, value)
    return out


def flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    """Nested mappings as dotted keys (`optim.lr`), the way MLflow shows params."""
    if not isinstance(obj, dict):
        return {prefix: obj}
    out: dict[str, Any] = {}
    for key, value in obj.items():
        out.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return out


class Tracker:
    """TensorBoard and/or MLflow for one run; does nothing when both are off. `start_step`: the
    steps a resumed run already has (TensorBoard hides what an earlier attempt logged after it)."""

    def __init__(self, cfg: TrackingConfig, run_dir: Path, *, name: str, params: dict[str, Any] | None = None,
                 tags: dict[str, Any] | None = None, start_step: int = 0):
        require_tracking(cfg)
        self.writer = None
        self.mlflow = None
        if cfg.tensorboard:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(Path(run_dir) / "tensorboard"),
                                        purge_step=start_step + 1 if start_step else None)
        if cfg.mlflow is not None:
            self.mlflow = _MlflowRun(cfg.mlflow.tracking_uri, cfg.mlflow.experiment, name,
                                     params or {}, tags or {})

    def log(self, step: int, values: dict[str, Any], prefix: str = "") -> dict[str, float]:
        """Every number of `values` at `step` (see `scalars`); the scalars written come back."""
        found = scalars(values, prefix)
        if self.writer is not None:
            for tag, value in found.items():
                self.writer.add_scalar(tag, value, step)
        if self.mlflow is not None and found:
            self.mlflow.metrics(step, found)
        return found

    def flush(self) -> None:
        """Event files up to date on disk (the writer also flushes on its own every 2 minutes)."""
        if self.writer is not None:
            self.writer.flush()

    def close(self, failed: bool = False) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        if self.mlflow is not None:
            self.mlflow.end("FAILED" if failed else "FINISHED")
            self.mlflow = None


class _MlflowRun:
    """One MLflow run through the client API (no global active run: a notebook or another
    library's run is left alone). A resumed helix run continues its MLflow run (tag helix.run_id)."""

    def __init__(self, uri: str, experiment: str, name: str, params: dict[str, Any], tags: dict[str, Any]):
        from mlflow.entities import Param, RunTag
        from mlflow.tracking import MlflowClient

        try:
            self.client = MlflowClient(tracking_uri=uri)
            found = self.client.get_experiment_by_name(experiment)
            exp_id = found.experiment_id if found else self.client.create_experiment(experiment)
            runs = self.client.search_runs([exp_id], f"tags.`helix.run_id` = '{name}'", max_results=1)
        except Exception as error:  # a wrong URI, an unreachable server: one line, not MLflow's pages
            raise TrackingError(f"tracking.mlflow: {uri} cannot be used ({_first_line(error)})") from None
        if runs:
            self.run_id = runs[0].info.run_id
            self.client.update_run(self.run_id, status="RUNNING")
        else:
            self.run_id = self.client.create_run(exp_id, run_name=name, tags={"helix.run_id": name}).info.run_id
        tag_list = [RunTag(_key(k), str(v)[:5000]) for k, v in tags.items()]
        param_list = [Param(_key(k), (v if isinstance(v, str) else json.dumps(v))[:6000])
                      for k, v in params.items()]
        for k in range(0, len(param_list), 100):  # MLflow takes at most 100 params per batch
            self.client.log_batch(self.run_id, params=param_list[k:k + 100])
        self.client.log_batch(self.run_id, tags=tag_list)

    def metrics(self, step: int, values: dict[str, float]) -> None:
        from mlflow.entities import Metric

        now = int(time.time() * 1000)
        batch = [Metric(_key(k), v, now, step) for k, v in values.items()]
        for k in range(0, len(batch), 1000):
            self.client.log_batch(self.run_id, metrics=batch[k:k + 1000])

    def end(self, status: str) -> None:
        self.client.set_terminated(self.run_id, status=status)


def _key(name: str) -> str:
    # MLflow keys: letters, digits, _ - . / and spaces
    return re.sub(r"[^\w\-./ ]", "_", name)


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0][:300] if text else type(error).__name__


# -- run metadata ------------------------------------------------------------------------------


def git_state(repo: Path = REPO) -> dict[str, Any]:
    """The commit of the code's working tree and whether it differs from it. Without a checkout
    (a Ray job's working_dir is shipped without .git) the submitter's HELIX_GIT_COMMIT and
    HELIX_GIT_DIRTY when set, else nulls."""
    def git(*args: str) -> str:
        # --no-optional-locks: reading the state never rewrites the index under a running git
        return subprocess.run(["git", "--no-optional-locks", "-C", str(repo), *args], capture_output=True,
                              text=True, timeout=20, check=True).stdout.strip()

    try:
        if Path(git("rev-parse", "--show-toplevel")).resolve() == repo.resolve():
            return {"commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain"))}
    except (OSError, subprocess.SubprocessError):
        pass  # no git, or not a checkout
    dirty = os.environ.get("HELIX_GIT_DIRTY")
    return {"commit": os.environ.get("HELIX_GIT_COMMIT") or None,
            "dirty": None if dirty is None else dirty.lower() in ("1", "true")}


def data_state(cfg: TrainConfig) -> dict[str, Any]:
    """What the run read: the release (frozen), or the store's committed ledger snapshot."""
    from storage import ledger
    from storage.shards import resolve_root

    root = resolve_root(cfg.data.data_root)
    out: dict[str, Any] = {"root": str(root), "release": cfg.data.release,
                           "external": [ds.path for ds in cfg.data.external]}
    if cfg.data.release:
        from storage.shards import release_root

        manifest = json.loads((release_root(root, cfg.data.release) / "release.json").read_text())
        out.update(release_created_at=manifest.get("created_at"), release_snapshot=manifest.get("snapshot"))
    else:
        pointer = ledger.pointer(root)  # (seq, sha256 of that snapshot)
        out["ledger"] = None if pointer is None else {"seq": pointer[0], "sha256": pointer[1]}
    return out


def _version(package: str) -> str | None:
    try:
        return importlib.metadata.version(package)
    except importlib.metadata.PackageNotFoundError:
        return None


def run_metadata(cfg: TrainConfig, tasks: list[str], start_step: int = 0) -> dict[str, Any]:
    """The facts of this start of the run (see the module docstring)."""
    from generators import registry

    return {
        "run_id": cfg.run_id(), "config_hash": cfg.config_hash(),
        "started_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "start_step": start_step, "resume_from": cfg.resume_from,
        "git": git_state(), "data": data_state(cfg),
        "tasks": {t: registry.get(t).version for t in sorted(tasks)},
        "versions": {"python": platform.python_version(), "helix": _version("helix"),
                     "torch": _version("torch"), "transformers": _version("transformers"),
                     "ray": _version("ray")},
        "hostname": socket.gethostname(),
        "config": cfg.model_dump(mode="json"),
    }


def write_run_metadata(run_dir: Path, meta: dict[str, Any]) -> Path:
    """run.json with this start's facts; the facts of earlier starts (a resumed run) are kept in
    `earlier_starts`."""
    from storage.shards import write_json_atomic

    path = Path(run_dir) / RUN_FILE
    earlier: list[dict[str, Any]] = []
    if path.exists():
        try:
            old = json.loads(path.read_text())
            earlier = old.pop("earlier_starts", []) + [{k: old.get(k) for k in (
                "started_at", "start_step", "git", "data", "tasks", "versions", "hostname")}]
        except (OSError, ValueError):
            earlier = []  # a damaged file from a killed start: this start's facts replace it
    write_json_atomic(path, {**meta, "earlier_starts": earlier})
    return path


def mlflow_tags(meta: dict[str, Any]) -> dict[str, str]:
    """The run's facts as MLflow tags (they may change when a run resumes; params may not)."""
    git, data = meta["git"], meta["data"]
    tags = {"helix.run_id": meta["run_id"], "helix.config_hash": meta["config_hash"],
            "helix.started_at": meta["started_at"], "helix.git_dirty": git["dirty"],
            "helix.data_release": data.get("release"), "helix.data_root": data["root"],
            "helix.tasks": json.dumps(meta["tasks"]), "helix.hostname": meta["hostname"],
            **{f"helix.version.{k}": v for k, v in meta["versions"].items()}}
    if git["commit"]:
        tags["mlflow.source.git.commit"] = git["commit"]  # MLflow's own tag for the code version
    if data.get("ledger"):
        tags.update({"helix.ledger_seq": data["ledger"]["seq"], "helix.ledger_sha256": data["ledger"]["sha256"]})
    if data.get("release_snapshot") is not None:
        tags["helix.release_snapshot"] = data["release_snapshot"]
    return {k: str(v) for k, v in tags.items() if v is not None}


def start_tracking(cfg: TrainConfig, tasks: list[str], start_step: int = 0) -> Tracker:
    """run.json written and the tracker opened for this start of the run (rank 0)."""
    meta = run_metadata(cfg, tasks, start_step)
    write_run_metadata(cfg.run_dir(), meta)
    params = {**flatten(cfg.model_dump(mode="json", exclude=_NOT_PARAMS)), "config_hash": cfg.config_hash()}
    return Tracker(cfg.tracking, cfg.run_dir(), name=cfg.run_id(), params=params, tags=mlflow_tags(meta),
                   start_step=start_step)
