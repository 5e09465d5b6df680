"""Verifier for eulerian_path, by the rules: consecutive vertices adjacent and every edge used
exactly once (any valid trail, either direction). A `No` is right only when degree parity (more
than two odd vertices) or connectivity forbids a trail; both are checked in linear time."""

from __future__ import annotations

from verifiers.graphs._path_tasks import edge_use_error, euler_obstacle, parse_route, read_graph
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    adj, _ = read_graph(state)
    route = parse_route(answer)
    if route is None:
        if euler_obstacle(adj, closed=False) is None:
            return Verdict.reject("the graph has an Eulerian path", parsed="No")
        return Verdict.accept(parsed="No")
    error = edge_use_error(adj, route)
    if error:
        return Verdict.reject(error, parsed=str(route))
    return Verdict.accept(parsed=str(route))


register("eulerian_path", check)
