"""topological_sort: the official cell is the bare adjacency dict of the DAG; helix wraps it with
the node count.

Official (JSON): `{"0": [1, 3, 4, 5], "1": [2, 3, 4], "2": [], ...}`, node (string key, 0..n-1 in
order, every node present, sinks with `[]`) -> sorted list of the heads of its outgoing edges.
helix: `{"nodes": n, "adjacency": {"0": [1, 3, 4, 5], ...}}` with the same dict. The official
evaluator takes the node set from the keys and the lists and checks every listed edge points
forward, as helix's verifier does; it would read helix's wrapper keys as nodes, so the official
cell is the bare dict.
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register

TASK = "topological_sort"


def _adjacency(table: Any, where: str) -> dict[str, list[int]]:
    """keys "0".."n-1" in order, each list sorted and without repeats; the graph must be acyclic."""
    if not isinstance(table, dict) or not table:
        raise AdapterError(f"{TASK} {where}: expected a non-empty adjacency object "
                           '{"0": [heads], ...}')
    n = len(table)
    keys = sorted(table, key=lambda k: int(k) if isinstance(k, str) and k.isdigit() else -1)
    if keys != [str(v) for v in range(n)]:
        raise AdapterError(f"{TASK} {where}: node keys must be \"0\"..\"{n - 1}\", got "
                           f"{sorted(map(str, table))[:8]}")
    out: dict[str, list[int]] = {}
    for u in range(n):
        heads = table[str(u)]
        if not isinstance(heads, list):
            raise AdapterError(f"{TASK} {where}: the heads of node {u} must be a list")
        for v in heads:
            if type(v) is not int or not 0 <= v < n or v == u:
                raise AdapterError(f"{TASK} {where}: node {u} lists {v!r}, expected another "
                                   f"node 0..{n - 1}")
        out[str(u)] = sorted(set(heads))
    _check_acyclic(out)
    return out


def _check_acyclic(adjacency: dict[str, list[int]]) -> None:
    # Kahn: a node never freed lies on (or behind) a cycle, and then no order exists at all
    n = len(adjacency)
    indegree = [0] * n
    for heads in adjacency.values():
        for v in heads:
            indegree[v] += 1
    ready = [v for v in range(n) if indegree[v] == 0]
    placed = 0
    while ready:
        u = ready.pop()
        placed += 1
        for v in adjacency[str(u)]:
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    if placed < n:
        stuck = [v for v in range(n) if indegree[v] > 0]
        raise AdapterError(f"{TASK}: the graph has a directed cycle (through nodes {stuck[:8]}), "
                           "so it has no topological order")


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    if not initial_state.strip():
        raise AdapterError(f"{TASK} initial_state is empty, expected the adjacency dict as JSON")
    cell = json_cell(initial_state, f"{TASK}")
    if isinstance(cell, dict) and set(cell) == {"nodes", "adjacency"}:
        # helix's own shape (a file exported with helix's states)
        adjacency = _adjacency(cell["adjacency"], "initial_state 'adjacency'")
        if cell["nodes"] != len(adjacency):
            raise AdapterError(f"{TASK} initial_state: 'nodes' is {cell['nodes']!r} but the "
                               f"adjacency has {len(adjacency)} nodes")
    else:
        adjacency = _adjacency(cell, "initial_state")
    return {"nodes": len(adjacency), "adjacency": adjacency}


def to_official(state: dict[str, Any], answer: str) -> str:
    # the official cell carries no solution: helix's reference answer is not needed here
    adjacency = _adjacency(state.get("adjacency"), "state 'adjacency'")
    if state.get("nodes") != len(adjacency):
        raise AdapterError(f"{TASK} state: 'nodes' is {state.get('nodes')!r} but the adjacency "
                           f"has {len(adjacency)} nodes")
    return json.dumps(adjacency, ensure_ascii=False)


register(TASK, to_helix=to_helix, to_official=to_official)
