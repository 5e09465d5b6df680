"""Verifier for eulerian_cycle, by the rules: a closed walk (first vertex repeated at the end; the
open form without the repeat is accepted too) along edges that uses every edge exactly once, any
start and direction. A `No` is right only when an odd-degree vertex or a second piece of edges
forbids a circuit; both are checked in linear time."""

from __future__ import annotations

from verifiers.graphs._path_tasks import edge_use_error, euler_obstacle, parse_route, read_graph
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    adj, _ = read_graph(state)
    route = parse_route(answer)
    if route is None:
        if euler_obstacle(adj, closed=True) is None:
            return Verdict.reject("the graph has an Eulerian cycle", parsed="No")
        return Verdict.accept(parsed="No")
    parsed = str(route)
    edges = sum(len(a) for a in adj) // 2
    closed = route if route[0] == route[-1] and len(route) > 1 else route + route[:1]
    if len(closed) != edges + 1:
        return Verdict.reject(f"a closed walk of {len(closed) - 1} steps cannot use each of the "
                              f"{edges} edges exactly once", parsed=parsed)
    error = edge_use_error(adj, closed)
    if error:
        return Verdict.reject(error, parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("eulerian_cycle", check)
