"""Verifier for container_with_most_water: the integer must equal the largest container, computed
here independently of the generator (every pair of lines, not the two-pointer sweep; n <= a few
hundred in any real instance, and the pair loop is bounded below)."""

from __future__ import annotations

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict

MAX_LINES = 5000  # keeps the all-pairs check bounded on a hostile state


def check(state: dict, answer: str) -> Verdict:
    heights = state.get("heights")
    if (not isinstance(heights, list) or not 2 <= len(heights) <= MAX_LINES
            or not all(isinstance(h, int) for h in heights)):
        raise ValueError("initial_state.heights must be a list of 2..5000 integers")
    value = parse_int(answer)
    best = max(min(heights[i], heights[j]) * (j - i)
               for i in range(len(heights)) for j in range(i + 1, len(heights)))
    if value != best:
        return Verdict.reject(f"{value} units, but the best container holds {best}",
                              parsed=str(value))
    return Verdict.accept(parsed=str(value))


register("container_with_most_water", check)
