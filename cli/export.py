"""`helix export rl`: prompts for verl or TRL with helix's verifiers as the reward
(pipelines/rl_export.py, verifiers/rl_rewards.py)."""

from __future__ import annotations

import time
from pathlib import Path

from cli.util import UsageError, existing_root, level


def cmd_export_rl(args) -> int:
    from pipelines.rl_export import ExportError, export_rl
    from generators import registry
    from storage.shards import ReleaseError
    root = existing_root(args.data_root)
    try:
        registry.require_known(args.tasks or [])
    except ValueError as error:
        raise UsageError(str(error)) from None
    started = time.perf_counter()
    try:
        n = export_rl(root, Path(args.out), args.format, split=args.split, tasks=args.tasks,
                      levels=args.levels, variant=args.variant, prompt_format=args.prompt_format,
                      release=args.release)
    except (ExportError, ReleaseError) as error:
        raise UsageError(str(error)) from None
    print(f"wrote {n} {args.split} prompts ({args.variant} variant) for {args.format} to {args.out} "
          f"in {time.perf_counter() - started:.1f} s")
    if args.format == "verl":
        print("reward: custom_reward_function.path=$(python -c 'import verifiers.rl_rewards as m; "
              "print(m.__file__)') custom_reward_function.name=compute_score")
    else:
        print("reward: from verifiers.rl_rewards import trl_reward; "
              "GRPOTrainer(..., reward_funcs=[trl_reward], train_dataset=load_dataset(OUT)['train'])")
    return 0


def add_commands(sub) -> None:
    export = sub.add_parser("export", help="the store in other tools' layouts")
    kinds = export.add_subparsers(dest="kind", required=True, metavar="KIND")
    rl = kinds.add_parser("rl", help="prompts for verl (Parquet) or TRL (a datasets folder), judged "
                                     "by helix's verifiers (verifiers/rl_rewards.py)")
    rl.add_argument("out", help="verl: a .parquet file; trl: a folder")
    rl.add_argument("--format", choices=["verl", "trl"], required=True)
    rl.add_argument("--split", choices=["train", "val", "benchmark"], default="train")
    rl.add_argument("--tasks", nargs="+", metavar="TASK")
    rl.add_argument("--levels", nargs="+", type=level, metavar="L")
    rl.add_argument("--variant", choices=["text", "image"], default="text",
                    help="image: the question that refers to the pictures, with the pictures")
    rl.add_argument("--prompt-format", choices=["chat", "text"], default="chat",
                    help="trl: chat messages (default) or plain text prompts")
    rl.add_argument("--release", help="export a frozen release instead of the current store")
    rl.add_argument("--data-root")
    rl.set_defaults(func=cmd_export_rl)
