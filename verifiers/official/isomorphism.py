"""isomorphism (official `graph_isomorphism`): the official cell is empty, the two graphs are only
in the question text; helix keeps them in its state.

Official question_text: `... Answer with 'Yes' or 'No'.G1:` then one line per node (every node
listed) with its sorted neighbour list, `0: [2, 5]`, a blank line, `G2:` and its lines likewise.
The image question holds no graph (they are the two pictures).
helix question_text: `Both graphs have 6 nodes numbered 0 to 5.`, `G1 edges: 0-1, 0-2, ...`,
`G2 edges: ...`.
helix: `{"graph1": {"nodes": n, "edges": [[u, v], ...] (u < v, sorted)}, "graph2": {...},
"pair_id": ...}`.

The official score function is simple_str_match, which never reads the cell, so to_official writes
helix's own state as canonical JSON (export -> import keeps the instance, pair_id included), and
to_helix reads that JSON or, for an empty cell, the question.

pair_id is not stated by any question. helix defines it as a hash of G1 (n and its sorted edges):
the Yes and the No member of a helix pair are drawn from the same G1. From helix's wording it is
recomputed that way, so the state is exactly helix's. From the official wording it is left out:
the public generator draws every row on its own, so "same G1" says nothing about which rows the
benchmark pairs, and a state without pair_id makes the report pair consecutive rows of the task,
as the published files lay the pairs out.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from verifiers.official import AdapterError, register
from verifiers.official._stateless import adapter, canonical

TASK = "isomorphism"
_OFFICIAL_BLOCKS = re.compile(r"\bG1:(.*?)\bG2:(.*)", re.DOTALL)
_OFFICIAL_LINE = re.compile(r"(?<!\d)(\d+):[ \t]*\[([^\[\]\n]*)\]")
_NEIGHBOURS = re.compile(r"\s*(?:\d+\s*(?:,\s*\d+\s*)*)?")
_HELIX_NODES = re.compile(r"Both graphs have (\d+) nodes")
_HELIX_EDGES = re.compile(r"^G([12]) edges:[ \t]*([^\n]*)$", re.MULTILINE)
_HELIX_EDGE = re.compile(r"\s*(\d+)-(\d+)\s*")


def _pair_id(graph1: dict[str, Any]) -> str:
    # helix's pair key: blake2b (8 bytes) of the canonical JSON of the tag, n and G1's edges
    data = canonical(["isomorphism-pair", graph1["nodes"], graph1["edges"]]).encode()
    return hashlib.blake2b(data, digest_size=8).hexdigest()


def _graph(value: Any, where: str) -> dict[str, Any]:
    """{"nodes": n, "edges": [[u, v], ...]} with u < v, sorted, each edge once."""
    if not isinstance(value, dict) or "nodes" not in value or "edges" not in value:
        raise AdapterError(f"{TASK} {where}: expected {{\"nodes\": n, \"edges\": [[u, v], ...]}}")
    n = value["nodes"]
    if type(n) is not int or n < 1:
        raise AdapterError(f"{TASK} {where} 'nodes': {n!r}, expected a positive integer")
    if not isinstance(value["edges"], list):
        raise AdapterError(f"{TASK} {where} 'edges' must be a list of [u, v]")
    edges: set[tuple[int, int]] = set()
    for edge in value["edges"]:
        if (not isinstance(edge, list) or len(edge) != 2
                or any(type(x) is not int or not 0 <= x < n for x in edge) or edge[0] == edge[1]):
            raise AdapterError(f"{TASK} {where}: edge {edge!r}, expected [u, v] of two nodes "
                               f"0..{n - 1}")
        edges.add((min(edge), max(edge)))
    return {"nodes": n, "edges": [[u, v] for u, v in sorted(edges)]}


def _official_graph(block: str, name: str) -> dict[str, Any]:
    lines = _OFFICIAL_LINE.findall(block)
    if not lines:
        raise AdapterError(f"{TASK} question: {name} has no 'node: [neighbours]' lines")
    n = len(lines)
    edges = []
    for i, (node, body) in enumerate(lines):
        if int(node) != i:
            raise AdapterError(f"{TASK} question: {name} line {i + 1} is for node {node}, expected "
                               f"the nodes 0..{n - 1} in order")
        if not _NEIGHBOURS.fullmatch(body):
            raise AdapterError(f"{TASK} question: {name} node {node} lists {body[:60]!r}, expected "
                               "node numbers separated by commas")
        edges += [[i, int(v)] for v in re.findall(r"\d+", body)]
    return _graph({"nodes": n, "edges": edges}, f"question {name}")


def _helix_graph(text: str, n: int, name: str) -> dict[str, Any]:
    edges = []
    for item in (text.split(",") if text.strip() else []):
        match = _HELIX_EDGE.fullmatch(item)
        if not match:
            raise AdapterError(f"{TASK} question: {name} edge {item.strip()[:30]!r}, expected "
                               "'u-v'")
        edges.append([int(match[1]), int(match[2])])
    return _graph({"nodes": n, "edges": edges}, f"question {name}")


def _from_question(question: str) -> dict[str, Any] | None:
    blocks = _OFFICIAL_BLOCKS.search(question)
    if blocks and _OFFICIAL_LINE.search(blocks[1]):
        # official wording: which rows the benchmark pairs is not stated (see the module notes)
        return {"graph1": _official_graph(blocks[1], "G1"),
                "graph2": _official_graph(blocks[2], "G2")}
    found = dict(_HELIX_EDGES.findall(question))
    if not found:
        return None
    nodes = _HELIX_NODES.search(question)
    if set(found) != {"1", "2"} or nodes is None:
        raise AdapterError(f"{TASK} question: expected 'Both graphs have N nodes' and the lines "
                           "'G1 edges: ...' and 'G2 edges: ...'")
    n = int(nodes[1])
    graph1 = _helix_graph(found["1"], n, "G1")
    # helix's own instance: its pair is the one helix drew from this G1
    return {"graph1": graph1, "graph2": _helix_graph(found["2"], n, "G2"),
            "pair_id": _pair_id(graph1)}


def _checked(state: Any, where: str) -> dict[str, Any]:
    if not isinstance(state, dict):
        raise AdapterError(f"{TASK} {where}: expected a JSON object")
    missing = {"graph1", "graph2"} - set(state)
    if missing:
        raise AdapterError(f"{TASK} {where}: missing {sorted(missing)} (helix's state has graph1, "
                           "graph2, pair_id)")
    out: dict[str, Any] = {"graph1": _graph(state["graph1"], f"{where} 'graph1'"),
                           "graph2": _graph(state["graph2"], f"{where} 'graph2'")}
    if "pair_id" in state:  # a file without it pairs consecutive rows instead
        if not isinstance(state["pair_id"], str) or not state["pair_id"]:
            raise AdapterError(f"{TASK} {where}: 'pair_id' must be a non-empty string")
        out["pair_id"] = state["pair_id"]
    return out


def _same(stated: dict[str, Any], state: dict[str, Any]) -> bool:
    # pair_id is helix's bookkeeping, not a fact of the question
    return (stated["graph1"], stated["graph2"]) == (state["graph1"], state["graph2"])


to_helix, to_official = adapter(TASK, "graphs", _from_question, _checked, _same)

register(TASK, to_helix=to_helix, to_official=to_official)
