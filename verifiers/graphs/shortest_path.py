"""Verifier for shortest_path: the integer must equal the shortest distance from `source` to
`target`, computed here independently of the generator (Bellman-Ford rounds rather than Dijkstra,
exact integers)."""

from __future__ import annotations

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    n, source, target = state["nodes"], state["source"], state["target"]
    edges = [(int(u), int(v), int(w)) for u, v, w in state["edges"]]
    value = parse_int(answer)
    best = _distance(n, edges, source, target)
    if best is None:
        return Verdict.reject(f"node {target} is not reachable from {source}", parsed=str(value))
    if value != best:
        return Verdict.reject(f"{value}, but the shortest distance from {source} to {target} is "
                              f"{best}", parsed=str(value))
    return Verdict.accept(parsed=str(value))


def _distance(n: int, edges: list[tuple[int, int, int]], source: int, target: int) -> int | None:
    dist: list[int | None] = [None] * n
    dist[source] = 0
    for _ in range(n - 1):  # n-1 rounds settle every shortest path (weights are positive)
        changed = False
        for u, v, w in edges:
            for a, b in ((u, v), (v, u)):
                if dist[a] is not None and (dist[b] is None or dist[a] + w < dist[b]):
                    dist[b] = dist[a] + w
                    changed = True
        if not changed:
            break
    return dist[target]


register("shortest_path", check)
