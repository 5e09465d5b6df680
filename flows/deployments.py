"""Deployments of every helix flow for `helix serve`: typed parameter forms in the Prefect UI
(the flows take pydantic models), and a nightly cron schedule for the dataset rebuild."""

from __future__ import annotations

import importlib
from pathlib import Path

from pydantic import BaseModel, Field

from generators.registry import TaskList

# flow module -> (flow function, deployment name): every flow helix serves, listed, none found by search
FLOWS = {
    "flows.dataset": ("build_dataset_flow", "nightly"),
    "flows.elaborate": ("serg_flow", "on-demand"),
    "flows.benchmark": ("build_benchmark_flow", "on-demand"),
    "flows.evaluate": ("evaluate_flow", "on-demand"),
    "flows.train": ("train", "on-demand"),
}


class ServeConfig(BaseModel):
    cron: str = Field("0 2 * * *", description="when the nightly dataset rebuild runs")
    timezone: str = Field("UTC", description="IANA time zone of the cron schedule")
    schedule: bool = Field(True, description="False: no schedule, runs start from the UI only")
    data_root: str = Field("data", description="data root the deployments default to (folder or s3://...)")
    per_level: int = Field(100, ge=1, description="nightly build size: instances per task and level")
    tasks: TaskList = Field(default_factory=list, description="nightly task subset; empty = all")
    workers: int = Field(2, ge=1)
    ray_address: str | None = None


def check_schedule(config: ServeConfig) -> None:
    """ValueError for a cron expression or time zone the nightly schedule would refuse."""
    from prefect.schedules import Cron

    Cron(config.cron, timezone=config.timezone)


def deployments(config: ServeConfig) -> list:
    from prefect.schedules import Cron

    from pipelines.build import BuildConfig

    root = str(Path(config.data_root).expanduser().resolve())
    out = []
    for module_name, (function, name) in FLOWS.items():
        flow = getattr(importlib.import_module(module_name), function)
        # parameters are checked against the flow's schema when a run is created, not when it starts
        kwargs: dict = {"name": name, "tags": ["helix"], "enforce_parameter_schema": True}
        if module_name == "flows.dataset":
            nightly = BuildConfig(tasks=config.tasks, per_level=config.per_level, data_root=root,
                                  workers=config.workers, ray_address=config.ray_address)
            kwargs["parameters"] = nightly.model_dump(mode="json")
            when = (f"scheduled at `{config.cron}` in {config.timezone} (the UI shows the next run in "
                    "your browser's time zone)") if config.schedule else "not scheduled"
            kwargs["description"] = ("Nightly incremental rebuild: builds only missing rows and tasks "
                                     f"whose generator version changed, then compacts shards; {when}. "
                                     "Each parameter is a field of the form; an empty task list means "
                                     "every task.")
            if config.schedule:
                kwargs["schedules"] = [Cron(config.cron, timezone=config.timezone)]
        out.append(flow.to_deployment(**kwargs))
    return out


def serve(config: ServeConfig) -> None:
    """Register every deployment with the server at PREFECT_API_URL and run them until stopped."""
    from prefect import serve as prefect_serve

    prefect_serve(*deployments(config), print_starting_message=True)
