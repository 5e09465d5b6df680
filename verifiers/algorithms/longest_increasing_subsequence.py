"""Verifier for longest_increasing_subsequence (strictly increasing): the integer must equal the
length, computed here independently of the generator (the quadratic DP over "longest ending at i"
instead of patience sorting; bounded length)."""

from __future__ import annotations

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict

MAX_LENGTH = 3000  # keeps the quadratic DP bounded on a hostile state


def check(state: dict, answer: str) -> Verdict:
    seq = state.get("sequence")
    if (not isinstance(seq, list) or len(seq) > MAX_LENGTH
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in seq)):
        raise ValueError("initial_state.sequence must be a list of at most 3000 numbers")
    value = parse_int(answer)
    ending: list[int] = []  # ending[i]: longest increasing subsequence that ends at index i
    for i, v in enumerate(seq):
        ending.append(1 + max((ending[j] for j in range(i) if seq[j] < v), default=0))
    best = max(ending, default=0)
    if value != best:
        return Verdict.reject(f"{value}, but the longest increasing subsequence has length {best}",
                              parsed=str(value))
    return Verdict.accept(parsed=str(value))


register("longest_increasing_subsequence", check)
