"""Verifier for count_hills_and_valleys (LeetCode 2210 definition): the integer must equal the
number of hills plus valleys, computed here independently of the generator: each plateau is
collapsed to one value first, then strict local extrema of the collapsed sequence are counted."""

from __future__ import annotations

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    terrain = state.get("terrain")
    if not isinstance(terrain, list) or not all(isinstance(v, int) for v in terrain):
        raise ValueError("initial_state.terrain must be a list of integers")
    value = parse_int(answer)
    runs: list[int] = []
    for v in terrain:
        if not runs or runs[-1] != v:
            runs.append(v)
    count = sum(1 for k in range(1, len(runs) - 1)
                if (runs[k] - runs[k - 1]) * (runs[k] - runs[k + 1]) > 0)
    if value != count:
        return Verdict.reject(f"{value}, but there are {count} hills and valleys", parsed=str(value))
    return Verdict.accept(parsed=str(value))


register("count_hills_and_valleys", check)
