"""Verifier for topological_sort, by the rules: the answer lists every node exactly once and every
edge u -> v of the adjacency has u before v. Any valid order is accepted."""

from __future__ import annotations

from verifiers.parse import parse_int_list
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    n = int(state["nodes"])
    edges = [(int(u), int(v)) for u, heads in state["adjacency"].items() for v in heads]
    order = parse_int_list(answer)
    parsed = "[" + ", ".join(map(str, order)) + "]"
    position: dict[int, int] = {}
    for i, v in enumerate(order):
        if not 0 <= v < n:
            return Verdict.reject(f"{v} is not a node (nodes are 0..{n - 1})", parsed=parsed)
        if v in position:
            return Verdict.reject(f"node {v} appears more than once", parsed=parsed)
        position[v] = i
    missing = [v for v in range(n) if v not in position]
    if missing:
        return Verdict.reject(f"nodes missing from the order: {missing[:10]}", parsed=parsed)
    for u, v in sorted(edges):
        if position[u] > position[v]:
            return Verdict.reject(f"edge {u} -> {v} points backward: {v} comes before {u}",
                                  parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("topological_sort", check)
