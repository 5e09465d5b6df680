"""What evaluation during training costs: examples/ahpo_tiny.yaml (20 steps, Ray local mode, HF
rollouts in an actor) run alternately without evaluation (eval.every 0) and with the default
(eval.every 10: steps 0, 10 and 20), on the same store (the example's training instances and
8 held-out val instances per task and level, the default cap).

    .venv/bin/python bench/eval_overhead.py --pairs 5

Prints one JSON line per run and the medians: the training loop's wall time (`run_training`,
Ray start excluded) and the evaluations' own seconds. Goal: <= 15 % at the default.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("RAY_AUTH_MODE", "disabled")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--pairs", type=int, default=5)
    p.add_argument("--val-per-level", type=int, default=8)
    args = p.parse_args()
    from pipelines.build import BuildConfig, build_chunk, plan_chunks, taken_ids
    from training.config import load_config
    from training.ray_job import run_job

    base = Path(tempfile.mkdtemp(prefix="helix-eval-overhead-"))
    root = base / "data"
    example = ROOT / "examples" / "ahpo_tiny.yaml"
    cfg = load_config(example, {"data.data_root": str(root)})
    for split, n in (("train", cfg.data.ensure_per_level), ("val", args.val_per_level)):
        build = BuildConfig(tasks=cfg.data.tasks, levels=cfg.data.levels, per_level=n, split=split,
                            data_root=str(root), chunk_size=n)
        chunks = plan_chunks(build)
        taken = taken_ids(build, root, chunks)
        for chunk in chunks:
            build_chunk(chunk, build, build.run_id(), root, taken=taken)
    runs: dict[int, list[dict]] = {0: [], 10: []}
    # run -1 is a warm-up, not counted: the process's first job pays one-time imports and caches
    for k in range(-1, 2 * args.pairs):
        every = (0, 10)[k % 2]
        run_cfg = load_config(example, {"data.data_root": str(root), "output_dir": str(base / f"runs{k}"),
                                        "eval.every": every})
        started = time.perf_counter()
        result = run_job(run_cfg)
        row = {"eval_every": every, "loop_s": round(result["wall_seconds"], 2),
               "job_s": round(time.perf_counter() - started, 2),
               "eval_s": round(result.get("eval_seconds", 0.0), 2)}
        evals = run_cfg.run_dir() / "evals.jsonl"
        if evals.exists():  # seconds of each evaluation, by step (step 0 also warms the engine up)
            rows = [json.loads(line) for line in evals.read_text().splitlines()]
            row["eval_s_by_step"] = {r["step"]: round(r["eval_seconds"], 3) for r in rows}
        if k >= 0:
            runs[every].append(row)
        print(json.dumps({**row, "counted": k >= 0}), flush=True)
    off = statistics.median(r["loop_s"] for r in runs[0])
    on = statistics.median(r["loop_s"] for r in runs[10])
    later = [s for r in runs[10] for step, s in r.get("eval_s_by_step", {}).items() if step != 0]
    first = [r["eval_s_by_step"][0] for r in runs[10] if 0 in r.get("eval_s_by_step", {})]
    print(json.dumps({"median_loop_s_without": off, "median_loop_s_with": on,
                      "overhead": round(on / off - 1, 3),
                      "median_eval_s": statistics.median(r["eval_s"] for r in runs[10]),
                      "median_first_eval_s": statistics.median(first) if first else None,
                      "median_later_eval_s": statistics.median(later) if later else None,
                      "median_step_s_without": round(off / 20, 3)}))


if __name__ == "__main__":
    main()
