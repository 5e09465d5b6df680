"""Shortest weighted path (graphs; official label `shortest_distance_weighted`).

A weighted undirected graph is drawn as a road map: nodes sit on a jittered grid, edges join grid
neighbours plus at most one diagonal per cell, so no edge crosses another or passes behind a node
and every weight label has room. The question asks for the shortest distance from node 0 (one
corner) to node n-1 (the opposite corner). The solver is Dijkstra with its distance table.
"""

from __future__ import annotations

import heapq
import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.graphs._layout import SINK, SOURCE, adjacency_text, draw_network
from generators.registry import register


class Level(NamedTuple):
    rows: int  # of the node grid
    cols: int
    max_weight: int  # weights are 1..max_weight
    min_hops: int  # fewest edges on the reported shortest path


LEVELS = {
    1: Level(2, 3, 5, 2),
    2: Level(3, 3, 5, 3),
    3: Level(3, 4, 8, 4),
    4: Level(4, 4, 10, 5),
    5: Level(5, 5, 10, 6),
}
DROP_GRID_EDGE = 0.2   # share of grid edges removed (connectivity kept)
ADD_DIAGONAL = 0.3     # chance that a cell gets one diagonal
JITTER = 0.16          # node offset from its grid point, in cells


class State(BaseModel):
    n: int
    edges: list[tuple[int, int, int]]          # (u, v, weight) with u < v, sorted
    positions: list[tuple[float, float]]       # drawing positions in the unit square


class ShortestPath(Task[State]):
    name = "shortest_path"
    category = "graphs"
    official_name = "shortest_distance_weighted"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("The graph is undirected and every edge has a positive integer weight. The length of "
             "a path is the sum of the weights of its edges. Find the length of the shortest path "
             "from the source node 0 to the target node (the node with the largest number).")
    answer_format = "a single integer, e.g. 10"

    def generate(self, rng: random.Random, level: int) -> State:
        rows, cols, top, min_hops = self.params(level)
        n = rows * cols
        # grid point -> node label; source and target at opposite corners, the rest shuffled
        inner = list(range(1, n - 1))
        rng.shuffle(inner)
        label = [0] + inner + [n - 1]
        positions: list[tuple[float, float]] = [(0.0, 0.0)] * n
        for r in range(rows):
            for c in range(cols):
                jx, jy = rng.uniform(-JITTER, JITTER), rng.uniform(-JITTER, JITTER)
                x = (c + 0.5 + jx) / cols
                y = (r + 0.5 + jy) / rows
                positions[label[r * cols + c]] = (x, y)
        edges: dict[tuple[int, int], int] = {}
        for r in range(rows):
            for c in range(cols):
                here = label[r * cols + c]
                if c + 1 < cols:
                    edges[_key(here, label[r * cols + c + 1])] = rng.randint(1, top)
                if r + 1 < rows:
                    edges[_key(here, label[(r + 1) * cols + c])] = rng.randint(1, top)
                if r + 1 < rows and c + 1 < cols and rng.random() < ADD_DIAGONAL:
                    if rng.random() < 0.5:
                        pair = (here, label[(r + 1) * cols + c + 1])
                    else:
                        pair = (label[r * cols + c + 1], label[(r + 1) * cols + c])
                    edges[_key(*pair)] = rng.randint(1, top)
        for pair in sorted(edges):
            if rng.random() < DROP_GRID_EDGE:
                weight = edges.pop(pair)
                if not _connected(n, edges):
                    edges[pair] = weight
        state = State(n=n, edges=sorted((u, v, w) for (u, v), w in edges.items()),
                      positions=[(round(x, 4), round(y, 4)) for x, y in positions])
        _, _, path, _ = _dijkstra(state)
        if len(path) - 1 < min_hops:
            raise Rejected("shortest path too short")
        return state

    def solve(self, state: State) -> Solution:
        target = state.n - 1
        dist, steps, path, scanned = _dijkstra(state, record=True)
        hops = " -> ".join(map(str, path))
        legs = " + ".join(str(_weight(state, a, b)) for a, b in zip(path, path[1:]))
        steps.append(Step(kind="check", text=f"Following the predecessors back from {target} gives "
                          f"the path {hops}; its weights add up to {legs} = {dist[target]}."))
        steps.append(Step(kind="conclude", text=f"The shortest distance from 0 to {target} is "
                          f"{dist[target]}."))
        return Solution(answer=str(dist[target]), steps=steps, effort=scanned)

    def question(self, state: State, variant: Variant) -> str:
        target = state.n - 1
        intro = "Shortest path in a weighted graph. " + self.rules
        if variant == "image":
            body = (f"The picture shows the graph with {state.n} numbered nodes; the red number on "
                    f"each edge is its weight. The source 0 is green and the target {target} is "
                    "orange.")
        else:
            body = (f"The graph has {state.n} nodes, numbered 0 to {target}. Each line lists a "
                    "node's neighbours with the weight of the connecting edge:\n"
                    + adjacency_text(state.n, state.edges))
        return (f"{intro}\n\n{body}\n\nWhat is the shortest distance from node 0 to node {target}? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        positions = dict(enumerate(state.positions))
        edges = [(u, v) for u, v, _ in state.edges]
        return [draw_network(positions, edges, labels=[str(w) for *_, w in state.edges],
                             caption=f"Shortest distance from 0 to {state.n - 1}",
                             highlight={0: SOURCE, state.n - 1: SINK}, size=480)]

    def initial_state(self, state: State) -> dict:
        return {"nodes": state.n, "edges": [list(e) for e in state.edges],
                "source": 0, "target": state.n - 1}


def _key(u: int, v: int) -> tuple[int, int]:
    return (u, v) if u < v else (v, u)


def _weight(state: State, a: int, b: int) -> int:
    return next(w for u, v, w in state.edges if (u, v) == _key(a, b))


def _connected(n: int, edges: dict[tuple[int, int], int]) -> bool:
    adj: dict[int, list[int]] = {v: [] for v in range(n)}
    for u, v in edges:
        adj[u].append(v)
        adj[v].append(u)
    seen, stack = {0}, [0]
    while stack:
        for w in adj[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) == n


def _dijkstra(state: State, record: bool = False
              ) -> tuple[dict[int, int], list[Step], list[int], int]:
    """Dijkstra from 0, stopping when the target is settled. Returns the tentative distances, the
    recorded steps, the path (fewest-label tie-break: the heap orders (distance, node)) and the
    number of edges scanned."""
    n, target = state.n, state.n - 1
    adj: dict[int, list[tuple[int, int]]] = {v: [] for v in range(n)}
    for u, v, w in state.edges:
        adj[u].append((v, w))
        adj[v].append((u, w))
    dist, parent, settled = {0: 0}, {0: -1}, []
    heap = [(0, 0)]
    steps: list[Step] = []
    if record:
        steps.append(Step(kind="observe", text=f"The graph has {n} nodes and {len(state.edges)} "
                          f"edges with positive weights, so Dijkstra's algorithm applies: settle "
                          f"the closest unsettled node, relax its edges, stop when {target} is "
                          "settled.", anchor="settled: (none)\nfrontier: 0=0"))
    scanned = 0
    while heap:
        d, u = heapq.heappop(heap)
        if d > dist[u] or u in settled:
            continue
        settled.append(u)
        if u == target:
            if record:
                steps.append(Step(kind="deduce", text=f"Pop {target} at distance {d}: the target "
                                  "is settled, its distance is final.", anchor=_table(dist, settled)))
            break
        notes = []
        for v, w in sorted(adj[u]):
            if v in settled:
                continue
            scanned += 1
            if d + w < dist.get(v, 1 << 60):
                old = dist.get(v)
                dist[v], parent[v] = d + w, u
                heapq.heappush(heap, (d + w, v))
                was = "inf" if old is None else str(old)
                notes.append(f"{v}: {d} + {w} = {d + w} < {was}, update")
            else:
                notes.append(f"{v}: {d} + {w} = {d + w} >= {dist[v]}, keep")
        if record:
            relax = "; ".join(notes) if notes else "no unsettled neighbours"
            steps.append(Step(kind="deduce", text=f"Pop {u} at distance {d} and relax its edges: "
                              f"{relax}.", anchor=_table(dist, settled)))
    path = [target]
    while parent[path[-1]] != -1:
        path.append(parent[path[-1]])
    return dist, steps, path[::-1], scanned


def _table(dist: dict[int, int], settled: list[int]) -> str:
    done = ", ".join(f"{v}={dist[v]}" for v in settled)
    open_ = sorted((d, v) for v, d in dist.items() if v not in settled)
    frontier = ", ".join(f"{v}={d}" for d, v in open_) or "(empty)"
    return f"settled: {done}\nfrontier: {frontier}"


register(ShortestPath())
