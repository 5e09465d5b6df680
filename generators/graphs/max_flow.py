"""Maximum flow (graphs; official label `max_flow`).

A layered flow network: the source 0 alone in the first layer, the sink alone in the last, edges
with integer capacities only from one layer to the next, drawn column by column so that no edge
passes behind a node. The solver is Edmonds-Karp (shortest augmenting paths by BFS) and closes
with the minimum cut that certifies the value.
"""

from __future__ import annotations

import random
from collections import deque
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.graphs._layout import SINK, SOURCE, adjacency_text, draw_network
from generators.registry import register


class Level(NamedTuple):
    layers: tuple[int, ...]  # nodes per layer, from the source's layer to the sink's
    max_capacity: int  # capacities are 1..max_capacity


LEVELS = {
    1: Level((1, 2, 1), 9),
    2: Level((1, 2, 2, 1), 10),
    3: Level((1, 2, 3, 2, 1), 12),
    4: Level((1, 3, 3, 3, 1), 15),
    5: Level((1, 3, 4, 4, 3, 1), 20),
}
EXTRA_EDGE = 0.5  # chance of each further edge between consecutive layers
REACH = 0.4       # largest height difference (in picture heights) an edge may span


class State(BaseModel):
    layers: list[list[int]]
    edges: list[tuple[int, int, int]]  # (tail, head, capacity), sorted

    @property
    def n(self) -> int:
        return sum(len(layer) for layer in self.layers)


class MaxFlow(Task[State]):
    name = "max_flow"
    category = "graphs"
    official_name = "max_flow"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("The network is directed and every edge has an integer capacity. A flow sends a "
             "non-negative amount along each edge, at most its capacity; at every node other than "
             "the source 0 and the sink (the node with the largest number) the inflow equals the "
             "outflow. Find the largest total amount that can flow from the source to the sink.")
    answer_format = "a single integer, e.g. 14"

    def generate(self, rng: random.Random, level: int) -> State:
        sizes, top = self.params(level)
        layers, next_id = [], 0
        for size in sizes:
            layers.append(list(range(next_id, next_id + size)))
            next_id += size
        height = {v: (row + 0.5) / len(layer) for layer in layers for row, v in enumerate(layer)}
        pairs: set[tuple[int, int]] = set()
        for here, there in zip(layers, layers[1:]):
            # only edges between nodes at similar heights: steep edges cross everything
            near = {u: [v for v in there if abs(height[u] - height[v]) <= REACH] for u in here}
            for u in here:  # every node keeps an exit and an entrance; further edges at random
                pairs.add((u, rng.choice(near[u])))
            for v in there:
                if not any((u, v) in pairs for u in here):
                    pairs.add((rng.choice([u for u in here if v in near[u]]), v))
            for u in here:
                for v in near[u]:
                    if (u, v) not in pairs and rng.random() < EXTRA_EDGE:
                        pairs.add((u, v))
        edges = sorted((u, v, rng.randint(1, top)) for u, v in sorted(pairs))
        state = State(layers=layers, edges=edges)
        value, _, _, _ = _edmonds_karp(state)
        sink = state.n - 1
        out_of_source = sum(c for u, _, c in edges if u == 0)
        into_sink = sum(c for _, v, c in edges if v == sink)
        if value == min(out_of_source, into_sink):
            # a minimum cut right at the source or the sink: the answer is a plain sum
            raise Rejected("minimum cut at the source or the sink")
        return state

    def solve(self, state: State) -> Solution:
        value, steps, cut, effort = _edmonds_karp(state, record=True)
        sink = state.n - 1
        crossing = [(u, v, c) for u, v, c in state.edges if u in cut and v not in cut]
        listed = " + ".join(f"{u}->{v} ({c})" for u, v, c in crossing)
        steps.append(Step(kind="check", text=f"No augmenting path is left. The nodes still reachable "
                          f"from 0 in the residual network are {sorted(cut)}; the edges leaving "
                          f"them are {listed} = {sum(c for *_, c in crossing)}, a cut equal to the "
                          "flow, so the flow is maximum."))
        steps.append(Step(kind="conclude", text=f"The maximum flow from 0 to {sink} is {value}."))
        return Solution(answer=str(value), steps=steps, effort=effort)

    def question(self, state: State, variant: Variant) -> str:
        sink = state.n - 1
        intro = "Maximum flow. " + self.rules
        if variant == "image":
            body = (f"The picture shows the network with {state.n} numbered nodes arranged in "
                    "layers from left to right; each arrow is a directed edge and the red number on "
                    f"it is its capacity. The source 0 is green and the sink {sink} is orange.")
        else:
            body = (f"The network has {state.n} nodes, numbered 0 to {sink}. Each line lists the "
                    "edges leaving a node with their capacities:\n"
                    + adjacency_text(state.n, state.edges, directed=True, weight_name="capacity"))
        return (f"{intro}\n\n{body}\n\nWhat is the maximum flow from node 0 to node {sink}? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        columns = len(state.layers)
        positions = {}
        for col, layer in enumerate(state.layers):
            for row, v in enumerate(layer):
                positions[v] = (col / (columns - 1), (row + 0.5) / len(layer))
        width = 160 * columns
        return [draw_network(positions, [(u, v) for u, v, _ in state.edges], directed=True,
                             labels=[str(c) for *_, c in state.edges], size=width, height=420,
                             caption=f"Maximum flow from 0 to {state.n - 1}",
                             highlight={0: SOURCE, state.n - 1: SINK})]

    def initial_state(self, state: State) -> dict:
        return {"nodes": state.n, "edges": [list(e) for e in state.edges], "source": 0,
                "sink": state.n - 1, "layers": [list(layer) for layer in state.layers]}


def _edmonds_karp(state: State, record: bool = False
                  ) -> tuple[int, list[Step], set[int], int]:
    """Edmonds-Karp. Returns the flow value, the steps, the source side of a minimum cut and the
    effort (nodes dequeued over all the BFS rounds)."""
    n, sink = state.n, state.n - 1
    residual: dict[tuple[int, int], int] = {}
    adj: dict[int, list[int]] = {v: [] for v in range(n)}
    for u, v, c in state.edges:
        residual[(u, v)] = residual.get((u, v), 0) + c
        residual.setdefault((v, u), 0)
        adj[u].append(v)
        adj[v].append(u)
    for v in adj:
        adj[v] = sorted(set(adj[v]))
    steps: list[Step] = []
    if record:
        steps.append(Step(kind="observe", text=f"The network has {n} nodes and {len(state.edges)} "
                          "edges. I use Edmonds-Karp: repeatedly find a shortest augmenting path "
                          "in the residual network by breadth-first search and push its bottleneck.",
                          anchor=_flow_table(state, residual)))
    total = effort = 0
    while True:
        parent = {0: 0}
        queue = deque([0])
        while queue and sink not in parent:
            u = queue.popleft()
            effort += 1
            for v in adj[u]:
                if v not in parent and residual[(u, v)] > 0:
                    parent[v] = u
                    queue.append(v)
        if sink not in parent:
            return total, steps, set(parent), effort
        path = [sink]
        while path[-1] != 0:
            path.append(parent[path[-1]])
        path.reverse()
        bottleneck = min(residual[(a, b)] for a, b in zip(path, path[1:]))
        for a, b in zip(path, path[1:]):
            residual[(a, b)] -= bottleneck
            residual[(b, a)] += bottleneck
        total += bottleneck
        if record:
            rests = ", ".join(f"{a}->{b}:{residual[(a, b)] + bottleneck}"
                              for a, b in zip(path, path[1:]))
            cancels = any((a, b) not in _capacity(state) for a, b in zip(path, path[1:]))
            note = " (it cancels flow on a used edge)" if cancels else ""
            steps.append(Step(kind="deduce", text=f"Augmenting path {' -> '.join(map(str, path))}"
                              f"{note}, residual capacities {rests}; bottleneck {bottleneck}, total "
                              f"flow {total}.", anchor=_flow_table(state, residual)))


def _capacity(state: State) -> dict[tuple[int, int], int]:
    return {(u, v): c for u, v, c in state.edges}


def _flow_table(state: State, residual: dict[tuple[int, int], int]) -> str:
    """Flow / capacity on every edge: the anchor a reader can check against the picture."""
    return ", ".join(f"{u}->{v} {c - residual[(u, v)]}/{c}" for u, v, c in state.edges)


register(MaxFlow())
