"""max_flow: the official cell is empty, the layered network is only in the question text; helix
keeps it in its state.

Official question_text: `... Compute the maximum flow from node 0 to node 3. ...` followed by one
line per node, `0: [(1,8), (2,7)]` (head, capacity) for its outgoing edges, `3: []` for the sink.
The image question names the endpoints only: the network is in the picture.
helix question_text: `0 -> 1 (capacity 8), 2 (capacity 7)` lines (`3 -> (none)`) and `What is the
maximum flow from node 0 to node 3?`.
helix: `{"nodes": n, "edges": [[u, v, c], ...] (sorted), "source": 0, "sink": n-1,
"layers": [[0], [1, 2], [3]]}`.

The official score function is simple_str_match, which never reads the cell, so to_official writes
helix's own state as canonical JSON (export -> import keeps the instance), and to_helix reads that
JSON or, for an empty cell, the question. Neither question states the layers (the drawing's
columns): they are derived as each node's longest-path depth, which for the layered networks both
generators draw (source alone first, edges only from one layer to the next, every other node
entered from the layer before) is exactly the layer index. The node count is the number of node
lines: both wordings list every node.
"""

from __future__ import annotations

import re
from typing import Any

from verifiers.official import AdapterError, register
from verifiers.official._stateless import adapter, integer, weighted_lines

TASK = "max_flow"
_ENDPOINTS = re.compile(r"flow from node (\d+) to node (\d+)")
# helix: `1 -> 3 (capacity 9)` or `3 -> (none)`
_HELIX_LINE = re.compile(r"^(\d+) -> (.*)$", re.MULTILINE)
_HELIX_ITEM = re.compile(r"(\d+) \(capacity (\d+)\)")


def _graph_lines(question: str) -> list[tuple[int, list[tuple[int, int]]]] | None:
    """The node lines of either wording as (node, [(head, capacity)]), or None if there are none."""
    return weighted_lines(question, TASK, _HELIX_LINE, _HELIX_ITEM,
                          "(head, integer capacity) pairs", "'head (capacity c)' items")


def _layers(n: int, edges: list[list[int]]) -> list[list[int]]:
    """Nodes grouped by longest-path depth (Kahn order); a cycle is not a layered network."""
    indegree = [0] * n
    heads: list[list[int]] = [[] for _ in range(n)]
    for u, v, _ in edges:
        heads[u].append(v)
        indegree[v] += 1
    depth = [0] * n
    ready = [v for v in range(n) if indegree[v] == 0]
    done = 0
    while ready:
        u = ready.pop()
        done += 1
        for v in heads[u]:
            depth[v] = max(depth[v], depth[u] + 1)
            indegree[v] -= 1
            if indegree[v] == 0:
                ready.append(v)
    if done < n:
        raise AdapterError(f"{TASK}: the network has a directed cycle, not a layered DAG")
    return [[v for v in range(n) if depth[v] == d] for d in range(max(depth) + 1)]


def _from_question(question: str) -> dict[str, Any] | None:
    rows = _graph_lines(question)
    if rows is None:
        return None
    n = len(rows)
    edges = []
    for i, (node, pairs) in enumerate(rows):
        if node != i:
            raise AdapterError(f"{TASK} question: node line {i + 1} is for node {node}, expected "
                               f"the nodes 0..{n - 1} in order")
        edges += [[node, v, c] for v, c in pairs]
    ends = set(_ENDPOINTS.findall(question))
    if len(ends) != 1:
        raise AdapterError(f"{TASK} question: expected one 'flow from node S to node T', found "
                           f"{len(ends)}")
    source, sink = (int(x) for x in ends.pop())
    return _checked({"nodes": n, "edges": edges, "source": source, "sink": sink}, "question")


def _checked(state: Any, where: str) -> dict[str, Any]:
    """helix's state with its edges in helix's order (layers derived when absent); raises on
    anything helix's shape lacks."""
    if not isinstance(state, dict):
        raise AdapterError(f"{TASK} {where}: expected a JSON object")
    missing = {"nodes", "edges", "source", "sink"} - set(state)
    if missing:
        raise AdapterError(f"{TASK} {where}: missing {sorted(missing)} (helix's state has nodes, "
                           "edges, source, sink, layers)")
    n = integer(state["nodes"], TASK, f"{where} 'nodes'")
    if n < 2:
        raise AdapterError(f"{TASK} {where}: 'nodes' is {n}, expected at least 2")
    if not isinstance(state["edges"], list):
        raise AdapterError(f"{TASK} {where}: 'edges' must be a list of [tail, head, capacity]")
    edges: dict[tuple[int, int], int] = {}
    for edge in state["edges"]:
        if not isinstance(edge, list) or len(edge) != 3:
            raise AdapterError(f"{TASK} {where}: edge {edge!r}, expected [tail, head, capacity]")
        u, v, c = (integer(x, TASK, f"{where} edge {edge!r}") for x in edge)
        if not (0 <= u < n and 0 <= v < n) or u == v or c < 0:
            raise AdapterError(f"{TASK} {where}: edge {edge!r}, expected two nodes 0..{n - 1} and "
                               "a non-negative capacity")
        if (u, v) in edges:
            raise AdapterError(f"{TASK} {where}: edge {u}->{v} is listed twice")
        edges[(u, v)] = c
    out: dict[str, Any] = {"nodes": n, "edges": [[u, v, c] for (u, v), c in sorted(edges.items())]}
    for name in ("source", "sink"):
        out[name] = integer(state[name], TASK, f"{where} '{name}'")
        if not 0 <= out[name] < n:
            raise AdapterError(f"{TASK} {where}: {name} {out[name]} is not a node 0..{n - 1}")
    derived = _layers(n, out["edges"])
    layers = state.get("layers", derived)
    if (not isinstance(layers, list) or any(not isinstance(layer, list) for layer in layers)
            or sorted(v for layer in layers for v in layer) != list(range(n))):
        raise AdapterError(f"{TASK} {where}: 'layers' must split the nodes 0..{n - 1} into lists")
    out["layers"] = [list(layer) for layer in layers]
    return out


def _same(stated: dict[str, Any], state: dict[str, Any]) -> bool:
    # a cell may carry layers the question cannot state
    return {k: v for k, v in stated.items() if k != "layers"} == \
        {k: v for k, v in state.items() if k != "layers"}


to_helix, to_official = adapter(TASK, "network", _from_question, _checked, _same)

register(TASK, to_helix=to_helix, to_official=to_official)
