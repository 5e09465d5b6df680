"""Verifier for max_flow: the integer must equal the maximum flow from `source` to `sink`,
computed here independently of the generator (FIFO push-relabel rather than augmenting paths)."""

from __future__ import annotations

from collections import deque

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    n, source, sink = int(state["nodes"]), int(state["source"]), int(state["sink"])
    edges = [(int(u), int(v), int(c)) for u, v, c in state["edges"]]
    value = parse_int(answer)
    best = _max_flow(n, edges, source, sink)
    if value != best:
        return Verdict.reject(f"{value}, but the maximum flow from {source} to {sink} is {best}",
                              parsed=str(value))
    return Verdict.accept(parsed=str(value))


def _max_flow(n: int, edges: list[tuple[int, int, int]], source: int, sink: int) -> int:
    cap = [[0] * n for _ in range(n)]
    for u, v, c in edges:
        cap[u][v] += c
    height, excess = [0] * n, [0] * n
    height[source] = n
    active: deque[int] = deque()
    for v in range(n):  # saturate every edge out of the source
        if cap[source][v]:
            push = cap[source][v]
            cap[source][v] -= push
            cap[v][source] += push
            excess[v] += push
            if v != sink:
                active.append(v)
    while active:
        u = active.popleft()
        while excess[u]:
            lowest = None
            for v in range(n):
                if cap[u][v] and excess[u]:
                    if height[u] == height[v] + 1:
                        push = min(excess[u], cap[u][v])
                        cap[u][v] -= push
                        cap[v][u] += push
                        excess[u] -= push
                        excess[v] += push
                        if v not in (source, sink) and excess[v] == push:
                            active.append(v)
                    elif cap[u][v]:
                        lowest = height[v] if lowest is None else min(lowest, height[v])
            if excess[u]:
                if lowest is None:  # nothing admissible after pushes: recompute from residual
                    lowest = min(height[v] for v in range(n) if cap[u][v])
                height[u] = lowest + 1
    return excess[sink]


register("max_flow", check)
