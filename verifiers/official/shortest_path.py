"""shortest_path (official `shortest_distance_weighted`): the official cell is empty, the weighted
graph is only in the question text; helix keeps it in its state.

Official question_text: `... what is the shortest distance from node 0 to node 5? ...` followed by
one line per node, `0: [(1, 4), (3, 3)]` (neighbour, weight), every undirected edge listed from both
ends and every node listed (the first line follows the sentence's period directly). The image
question names the endpoints only: the graph is in the picture, so it cannot be read from there.
helix question_text: `0: 1 (weight 4), 3 (weight 3)` lines (`(none)` for a node without edges) and
`What is the shortest distance from node 0 to node 5?`.
helix: `{"nodes": n, "edges": [[u, v, w], ...] (u < v, sorted), "source": 0, "target": n-1}`.

The official score function is simple_str_match, which never reads the cell, so to_official writes
helix's own state as canonical JSON (export -> import keeps the instance), and to_helix reads that
JSON or, for an empty cell, the question. The node count is the number of node lines: both wordings
list every node, isolated ones included.
"""

from __future__ import annotations

import re
from typing import Any

from verifiers.official import AdapterError, register
from verifiers.official._stateless import adapter, integer, weighted_lines

TASK = "shortest_path"
_ENDPOINTS = re.compile(r"distance from node (\d+) to node (\d+)")
# helix: `3: 0 (weight 3), 4 (weight 2)` or `3: (none)`
_HELIX_LINE = re.compile(r"^(\d+): (.*)$", re.MULTILINE)
_HELIX_ITEM = re.compile(r"(\d+) \(weight (\d+)\)")


def _graph_lines(question: str) -> list[tuple[int, list[tuple[int, int]]]] | None:
    """The node lines of either wording as (node, [(neighbour, weight)]); None if there are none."""
    return weighted_lines(question, TASK, _HELIX_LINE, _HELIX_ITEM,
                          "(neighbour, integer weight) pairs", "'neighbour (weight w)' items")


def _from_question(question: str) -> dict[str, Any] | None:
    rows = _graph_lines(question)
    if rows is None:
        return None
    n = len(rows)
    for i, (node, _) in enumerate(rows):
        if node != i:
            raise AdapterError(f"{TASK} question: node line {i + 1} is for node {node}, expected "
                               f"the nodes 0..{n - 1} in order")
    weights: dict[tuple[int, int], int] = {}
    for u, pairs in rows:
        for v, w in pairs:
            if not 0 <= v < n or v == u:
                raise AdapterError(f"{TASK} question: node {u} lists neighbour {v}, expected "
                                   f"another node 0..{n - 1}")
            key = (min(u, v), max(u, v))
            if weights.setdefault(key, w) != w:
                raise AdapterError(f"{TASK} question: edge {key[0]}-{key[1]} is listed with "
                                   f"weights {weights[key]} and {w}")
    ends = set(_ENDPOINTS.findall(question))
    if len(ends) != 1:
        raise AdapterError(f"{TASK} question: expected one 'distance from node S to node T', "
                           f"found {len(ends)}")
    source, target = (int(x) for x in ends.pop())
    return _checked({"nodes": n, "edges": [[u, v, w] for (u, v), w in sorted(weights.items())],
                     "source": source, "target": target}, "question")


def _checked(state: Any, where: str) -> dict[str, Any]:
    """helix's state with its edges in helix's order; raises on anything helix's shape lacks."""
    if not isinstance(state, dict):
        raise AdapterError(f"{TASK} {where}: expected a JSON object")
    missing = {"nodes", "edges", "source", "target"} - set(state)
    if missing:
        raise AdapterError(f"{TASK} {where}: missing {sorted(missing)} (helix's state has nodes, "
                           "edges, source, target)")
    n = integer(state["nodes"], TASK, f"{where} 'nodes'")
    if n < 1:
        raise AdapterError(f"{TASK} {where}: 'nodes' is {n}, expected at least 1")
    if not isinstance(state["edges"], list):
        raise AdapterError(f"{TASK} {where}: 'edges' must be a list of [u, v, weight]")
    edges: dict[tuple[int, int], int] = {}
    for edge in state["edges"]:
        if not isinstance(edge, list) or len(edge) != 3:
            raise AdapterError(f"{TASK} {where}: edge {edge!r}, expected [u, v, weight]")
        u, v, w = (integer(x, TASK, f"{where} edge {edge!r}") for x in edge)
        if not (0 <= u < n and 0 <= v < n) or u == v or w < 1:
            raise AdapterError(f"{TASK} {where}: edge {edge!r}, expected two nodes 0..{n - 1} and "
                               "a positive weight")
        key = (min(u, v), max(u, v))
        if key in edges:
            raise AdapterError(f"{TASK} {where}: edge {key[0]}-{key[1]} is listed twice")
        edges[key] = w
    out = {"nodes": n, "edges": [[u, v, w] for (u, v), w in sorted(edges.items())]}
    for name in ("source", "target"):
        out[name] = integer(state[name], TASK, f"{where} '{name}'")
        if not 0 <= out[name] < n:
            raise AdapterError(f"{TASK} {where}: {name} {out[name]} is not a node 0..{n - 1}")
    return out


to_helix, to_official = adapter(TASK, "graph", _from_question, _checked)

register(TASK, to_helix=to_helix, to_official=to_official)
