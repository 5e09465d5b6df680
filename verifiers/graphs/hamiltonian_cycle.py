"""Verifier for hamiltonian_cycle, by the rules: every vertex exactly once, consecutive vertices
adjacent, and an edge from the last back to the first. Any rotation or direction is accepted, in
the open form `[0, 1, 2]` or the closed form `[0, 1, 2, 0]`. A `No` is right only when no cycle
exists, which a bounded pruned search decides."""

from __future__ import annotations

from verifiers.graphs._path_tasks import (first_repeat, hamiltonian_exists, parse_route, read_graph,
                                      walk_error)
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    adj, _ = read_graph(state)
    n = len(adj)
    route = parse_route(answer)
    if route is None:
        if n >= 3 and hamiltonian_exists(adj, None, cycle=True):
            return Verdict.reject("the graph has a Hamiltonian cycle", parsed="No")
        return Verdict.accept(parsed="No")
    parsed = str(route)
    if len(route) == n + 1 and route[0] == route[-1]:
        route = route[:-1]  # the closed form names the first vertex twice
    error = walk_error(adj, route + route[:1])
    if error:
        return Verdict.reject(error, parsed=parsed)
    twice = first_repeat(route)
    if twice is not None:
        return Verdict.reject(f"vertex {twice} is visited more than once", parsed=parsed)
    if len(route) != n:
        missing = sorted(set(range(n)) - set(route))
        return Verdict.reject(f"vertices {missing} are not visited", parsed=parsed)
    if n < 3:
        return Verdict.reject("a cycle needs at least three vertices", parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("hamiltonian_cycle", check)
