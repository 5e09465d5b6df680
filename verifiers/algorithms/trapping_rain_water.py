"""Verifier for trapping_rain_water: the integer must equal the trapped water, computed here
independently of the generator (prefix and suffix maxima rather than two pointers)."""

from __future__ import annotations

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    height = state.get("height")
    if not isinstance(height, list) or not all(isinstance(h, int) for h in height):
        raise ValueError("initial_state.height must be a list of integers")
    value = parse_int(answer)
    n = len(height)
    prefix, suffix = [0] * n, [0] * n
    for i in range(n):
        prefix[i] = max(height[i], prefix[i - 1] if i else 0)
    for i in reversed(range(n)):
        suffix[i] = max(height[i], suffix[i + 1] if i < n - 1 else 0)
    water = sum(min(prefix[i], suffix[i]) - height[i] for i in range(n))
    if value != water:
        return Verdict.reject(f"{value} units, but the bars trap {water}", parsed=str(value))
    return Verdict.accept(parsed=str(value))


register("trapping_rain_water", check)
