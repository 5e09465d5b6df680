"""hamiltonian_path: the official cell is the bare adjacency dict; the start vertex is only in the
question. helix keeps both in its state.

Official (JSON): `{"0": [1, 3], "1": [0, 2], ...}`, vertex (string key, 0..n-1 in order) -> sorted
neighbour list; the question says `... a Hamiltonian path starting from vertex 3 ...` (both
variants), or `... whether a Hamiltonian path exists ...` when the public generator drew no start.
helix: `{"adjacency": {"0": [1, 3], ...}, "start_vertex": 3}`; helix's questions say `The start
vertex is 3.` / `The start vertex 3 is the red circle.` and `Does a Hamiltonian path begin at
vertex 3?`. The official evaluator reads `graph[str(v)]` from the bare dict (it never checks the
start vertex), so helix's wrapper must not reach the official cell.
"""

from __future__ import annotations

import json
import re
from typing import Any

from verifiers.official import AdapterError, json_cell, register

TASK = "hamiltonian_path"
# every way either wording names the start vertex
_START = (
    re.compile(r"starting from vertex (\d+)"),            # official, both variants
    re.compile(r"start vertex (?:is )?(\d+)"),             # helix: "is 3." / "3 is the red circle"
    re.compile(r"begins? at vertex (\d+)"),                # helix: "... path begin at vertex 3?"
)
_NO_START = re.compile(r"whether a Hamiltonian path exists")  # official rows drawn without a start


def _adjacency(table: Any, where: str) -> dict[str, list[int]]:
    """helix's canonical adjacency: keys "0".."n-1" in order, sorted neighbour lists, every edge
    listed from both ends (helix's verifier counts an edge listed on one side as undirected too)."""
    if not isinstance(table, dict) or not table:
        raise AdapterError(f"{TASK} {where}: expected a non-empty adjacency object "
                           '{"0": [neighbours], ...}')
    n = len(table)
    keys = sorted(table, key=lambda k: int(k) if isinstance(k, str) and k.isdigit() else -1)
    if keys != [str(v) for v in range(n)]:
        raise AdapterError(f"{TASK} {where}: vertex keys must be \"0\"..\"{n - 1}\", got "
                           f"{sorted(map(str, table))[:8]}")
    adj: list[set[int]] = [set() for _ in range(n)]
    for u in range(n):
        neighbours = table[str(u)]
        if not isinstance(neighbours, list):
            raise AdapterError(f"{TASK} {where}: neighbours of vertex {u} must be a list")
        for v in neighbours:
            if type(v) is not int or not 0 <= v < n or v == u:
                raise AdapterError(f"{TASK} {where}: vertex {u} lists {v!r}, expected another "
                                   f"vertex 0..{n - 1}")
            adj[u].add(v)
            adj[v].add(u)
    return {str(u): sorted(adj[u]) for u in range(n)}


def _start_in(question: str) -> tuple[bool, int | None]:
    """(whether the question settles the start, the start or None for the no-start wording)."""
    found = {int(m) for pattern in _START for m in pattern.findall(question)}
    if len(found) > 1:
        raise AdapterError(f"{TASK} question names several start vertices {sorted(found)}")
    if found:
        return True, found.pop()
    return bool(_NO_START.search(question)), None


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    if not initial_state.strip():
        raise AdapterError(f"{TASK} initial_state is empty, expected the adjacency dict as JSON")
    cell = json_cell(initial_state, f"{TASK}")
    settled, start = _start_in(question)
    if isinstance(cell, dict) and "adjacency" in cell:
        # helix's own state (a helix export in helix's shape): the start travels with it
        adjacency = _adjacency(cell["adjacency"], "initial_state 'adjacency'")
        own = cell.get("start_vertex")
        if own is not None:
            if settled and start != own:
                raise AdapterError(f"{TASK}: initial_state says start vertex {own}, the question "
                                   f"says {start}")
            start = own
    else:
        adjacency = _adjacency(cell, "initial_state")
        if not settled:
            raise AdapterError(f"{TASK} question names no start vertex (expected 'starting from "
                               "vertex N'), and the official cell does not hold it")
    n = len(adjacency)
    if start is not None and (type(start) is not int or not 0 <= start < n):
        raise AdapterError(f"{TASK} start vertex {start!r} is not a vertex 0..{n - 1}")
    return {"adjacency": adjacency, "start_vertex": start}


def to_official(state: dict[str, Any], answer: str) -> str:
    # the official cell carries no solution: helix's reference answer is not needed here
    adjacency = _adjacency(state.get("adjacency"), "state 'adjacency'")
    return json.dumps(adjacency, ensure_ascii=False)


register(TASK, to_helix=to_helix, to_official=to_official)
