"""Verifier for largest_rectangle_in_histogram: the integer must equal the largest area, computed
here independently of the generator (every span i..j with a running minimum instead of the
monotonic stack; bounded length)."""

from __future__ import annotations

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict

MAX_BARS = 3000  # keeps the all-spans check bounded on a hostile state


def check(state: dict, answer: str) -> Verdict:
    heights = state.get("heights")
    if (not isinstance(heights, list) or len(heights) > MAX_BARS
            or not all(isinstance(h, int) for h in heights)):
        raise ValueError("initial_state.heights must be a list of at most 3000 integers")
    value = parse_int(answer)
    best = 0
    for i in range(len(heights)):
        low = heights[i]
        for j in range(i, len(heights)):
            low = min(low, heights[j])
            best = max(best, low * (j - i + 1))
    if value != best:
        return Verdict.reject(f"{value}, but the largest rectangle has area {best}",
                              parsed=str(value))
    return Verdict.accept(parsed=str(value))


register("largest_rectangle_in_histogram", check)
