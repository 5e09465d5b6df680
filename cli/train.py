"""`helix train --config FILE`: run the `train` flow (AHPO or a baseline) from a YAML/JSON config."""

from __future__ import annotations

import json
import os

from pydantic import ValidationError

from cli.util import UsageError, first_error
from flows.prefect_api import prefect_api


def _value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def train_config(args):
    """The run's config from --config and --set, every problem in one line before anything starts."""
    from training.config import load_config

    overrides = {}
    for item in args.set or []:
        if "=" not in item:
            raise UsageError(f"--set takes key=value, got {item!r}")
        key, value = item.split("=", 1)
        overrides[key] = _value(value)
    # the data root as every other command finds it: --set, then $HELIX_DATA_ROOT, then the file
    if os.environ.get("HELIX_DATA_ROOT") and "data.data_root" not in overrides:
        overrides["data.data_root"] = os.environ["HELIX_DATA_ROOT"]
    try:
        cfg = load_config(args.config, overrides)
    except FileNotFoundError:
        raise UsageError(f"no config file {args.config!r}") from None
    except ValidationError as error:
        raise UsageError(first_error(error)) from None
    except ValueError as error:
        raise UsageError(str(error)) from None
    from training.tracking import TrackingError, require_tracking

    try:  # a configured tracker whose package is missing: one line now, not after Ray started
        require_tracking(cfg.tracking)
    except TrackingError as error:
        raise UsageError(str(error)) from None
    return cfg


def cmd_train(args) -> int:
    cfg = train_config(args)
    from flows.train import train

    with prefect_api():
        result = train(cfg)
    last = result.get("last") or {}
    print(f"\ntrain {result['run_id']}: {result['steps']} steps in {result['wall_seconds']:.1f} s; "
          f"last reward {last.get('reward_mean', 0):.3f}, gate on {last.get('gate_on_fraction', 0):.2f}")
    print(f"checkpoint: {result['checkpoint']}")
    if result.get("best"):
        best = result["best"]
        print(f"best:       {best['checkpoint']} (step {best['step']}, {best['eval_set']} {best['metric']} "
              f"{best['value']:.3f})")
    print(f"curves:     {result['curves']}")
    print(f"query:      helix sql \"select step, reward_mean, gate_on_fraction, loss from train_steps "
          f"where run_id = '{result['run_id']}' order by step\"")
    return 0


def add_commands(sub) -> None:
    p = sub.add_parser("train", help="AHPO training (Ray Train job launched by the `train` flow)")
    p.add_argument("--config", required=True, help="training config, .yaml or .json")
    p.add_argument("--set", action="append", metavar="KEY=VALUE",
                   help="override a config field, e.g. --set steps=10 --set algo.algorithm=grpo")
    p.set_defaults(func=cmd_train)
