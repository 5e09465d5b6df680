"""Verifier for hamiltonian_path, by the rules: the list must begin at the start vertex (the
public verifier forgets this), visit every vertex exactly once and move along edges only. A `No`
is right only when no such path exists, which a bounded pruned search decides."""

from __future__ import annotations

from verifiers.graphs._path_tasks import (first_repeat, hamiltonian_exists, parse_route, read_graph,
                                      walk_error)
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    adj, start = read_graph(state)
    route = parse_route(answer)
    if route is None:
        if hamiltonian_exists(adj, start, cycle=False):
            where = f" from vertex {start}" if start is not None else ""
            return Verdict.reject(f"a Hamiltonian path{where} exists", parsed="No")
        return Verdict.accept(parsed="No")
    parsed = str(route)
    if start is not None and route[0] != start:
        return Verdict.reject(f"the path begins at {route[0]}, not at the start vertex {start}",
                              parsed=parsed)
    error = walk_error(adj, route)
    if error:
        return Verdict.reject(error, parsed=parsed)
    twice = first_repeat(route)
    if twice is not None:
        return Verdict.reject(f"vertex {twice} is visited more than once", parsed=parsed)
    if len(route) != len(adj):
        missing = sorted(set(range(len(adj))) - set(route))
        return Verdict.reject(f"vertices {missing} are not visited", parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("hamiltonian_path", check)
