"""Verification throughput at level 5, one core: verdicts/s per task (extraction + rule check of
a response ending with the solver's answer), and the 640 verdicts of one AHPO step (128 prompts
x 5 rollouts drawn across all tasks).

    .venv/bin/python bench/verify_throughput.py [--instances 4] [--level 5]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.hostile import instances  # noqa: E402
from generators import registry  # noqa: E402
from verifiers.registry import verify  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--instances", type=int, default=4)
    parser.add_argument("--level", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=0.3)
    args = parser.parse_args()
    work, rates = [], {}
    for task in registry.names():
        cases = [(s, f"Reasoning...\nFinal Answer: \\boxed{{{a}}}") for s, a in instances(task, args.level, args.instances, 11)]
        work += [(task, s, r) for s, r in cases]
        n, start = 0, time.perf_counter()
        while time.perf_counter() - start < args.seconds:
            for state, response in cases:
                assert verify(task, state, response).correct, task
                n += 1
        rates[task] = n / (time.perf_counter() - start)
    for task, rate in sorted(rates.items(), key=lambda kv: kv[1]):
        print(f"{task:<34} {rate:>10.0f} verdicts/s")
    rng = random.Random(0)
    steps = []
    for _ in range(20):
        batch = [rng.choice(work) for _ in range(128)] * 5
        start = time.perf_counter()
        for task, state, response in batch:
            verify(task, state, response)
        steps.append(time.perf_counter() - start)
    print(f"\nmedian task {statistics.median(rates.values()):.0f} verdicts/s, slowest "
          f"{min(rates.values()):.0f}; one step (640 verdicts): median {statistics.median(steps):.3f} s, "
          f"max {max(steps):.3f} s")


if __name__ == "__main__":
    main()
