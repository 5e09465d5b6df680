"""Verifier for h_index: the integer must equal the h-index, computed here independently of the
generator (counting papers per citation level from the top, no sorting)."""

from __future__ import annotations

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    citations = state.get("citations")
    if not isinstance(citations, list) or not all(isinstance(c, int) for c in citations):
        raise ValueError("initial_state.citations must be a list of integers")
    value = parse_int(answer)
    n = len(citations)
    at_least = [0] * (n + 2)  # at_least[k]: papers with min(citations, n) == k, then suffix sums
    for c in citations:
        at_least[max(0, min(c, n))] += 1
    h, papers = 0, 0
    for level in range(n, 0, -1):
        papers += at_least[level]  # papers with at least `level` citations
        if papers >= level:
            h = level
            break
    if value != h:
        return Verdict.reject(f"{value}, but the h-index is {h}", parsed=str(value))
    return Verdict.accept(parsed=str(value))


register("h_index", check)
