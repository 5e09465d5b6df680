"""Topological sort (graphs; official label `topological_sort`).

A directed acyclic graph, nodes drawn on a circle and edges drawn as arrows (only chords that
pass clear of every other node are used, so no arrow hides behind a node). The answer is any
order of the nodes in which every edge points forward. The solver is Kahn's algorithm with the
ready queue kept sorted (smallest label first), recorded step by step.
"""

from __future__ import annotations

import heapq
import random
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.graphs._layout import adjacency_text, circle_positions, draw_network, edge_is_clear
from generators.registry import register


class Level(NamedTuple):
    nodes: int
    edges: int
    min_chain: int  # fewest nodes on a longest path


LEVELS = {
    1: Level(6, 8, 4),
    2: Level(9, 13, 5),
    3: Level(12, 19, 6),
    4: Level(16, 27, 7),
    5: Level(25, 42, 9),
}
PICTURE = 560
NODE_RADIUS = 15
# an edge must keep this far (unit coordinates) from every node it does not touch
CLEARANCE = (NODE_RADIUS + 6) / (PICTURE - 2 * (NODE_RADIUS + 14))


class State(BaseModel):
    n: int
    edges: list[tuple[int, int]]  # (tail, head), sorted


class TopologicalSort(Task[State]):
    name = "topological_sort"
    category = "graphs"
    official_name = "topological_sort"
    score_function = "topological_sort_evaluator"
    levels = LEVELS
    rules = ("The graph is directed and has no cycles. A topological order lists every node "
             "exactly once so that for every edge u -> v, u comes before v. Find a topological "
             "order; any valid order is accepted.")
    answer_format = "the nodes as a list in order, e.g. [4, 5, 2, 0, 1, 3]"

    def generate(self, rng: random.Random, level: int) -> State:
        n, m, min_chain = self.params(level)
        pairs = _drawable_pairs(n)
        near = {v: [b if a == v else a for a, b in pairs if v in (a, b)] for v in range(n)}
        # a random walk of `min_chain` nodes becomes a directed chain: the order is never flat
        walk = [rng.randrange(n)]
        while len(walk) < min_chain:
            options = [v for v in near[walk[-1]] if v not in walk]
            if not options:
                raise Rejected("walk stuck")
            walk.append(rng.choice(options))
        rank = list(range(n))  # hidden order: node -> rank; edges go from lower to higher rank
        rng.shuffle(rank)
        for v, r in zip(walk, sorted(rank[v] for v in walk)):
            rank[v] = r
        chosen = {_key(a, b) for a, b in zip(walk, walk[1:])}
        for v in range(n):  # every node gets an edge
            if not any(v in pair for pair in chosen):
                chosen.add(_key(v, rng.choice(near[v])))
        rest = [pair for pair in pairs if pair not in chosen]
        chosen.update(rng.sample(rest, max(0, m - len(chosen))))
        edges = [(u, v) if rank[u] < rank[v] else (v, u) for u, v in sorted(chosen)]
        return State(n=n, edges=sorted(edges))

    def solve(self, state: State) -> Solution:
        n = state.n
        successors = _successors(n, state.edges)
        indegree = [0] * n
        for _, v in state.edges:
            indegree[v] += 1
        ready = [v for v in range(n) if indegree[v] == 0]
        heapq.heapify(ready)
        order: list[int] = []
        steps = [Step(kind="observe", text=f"The graph has {n} nodes and {len(state.edges)} edges. "
                      "I use Kahn's algorithm: count each node's incoming edges, repeatedly output a "
                      "node with none left (the smallest such label), and remove its outgoing "
                      "edges.", anchor=_table(order, ready, indegree))]
        effort = 0
        while ready:
            u = heapq.heappop(ready)
            order.append(u)
            freed = []
            for v in successors[u]:
                effort += 1
                indegree[v] -= 1
                if indegree[v] == 0:
                    heapq.heappush(ready, v)
                    freed.append(v)
            effort += 1
            outs = ", ".join(map(str, successors[u])) or "none"
            one = len(freed) == 1
            joins = (f"; {', '.join(map(str, freed))} now {'has' if one else 'have'} no incoming "
                     f"edges and {'joins' if one else 'join'} the queue") if freed else ""
            steps.append(Step(kind="deduce", text=f"Output {u}; remove its edges to {outs}{joins}.",
                              anchor=_table(order, ready, indegree)))
        if len(order) < n:  # cannot happen for a generated DAG; kept as the algorithm's own check
            raise Rejected("cycle")
        steps.append(Step(kind="check", text=f"All {n} nodes are output, so every edge was removed "
                          "after its tail was placed: each edge points forward in the order."))
        answer = "[" + ", ".join(map(str, order)) + "]"
        steps.append(Step(kind="conclude", text=f"A topological order is {answer}."))
        return Solution(answer=answer, steps=steps, effort=effort)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Topological sort. " + self.rules
        if variant == "image":
            body = (f"The picture shows the directed graph with {state.n} nodes numbered 0 to "
                    f"{state.n - 1}; each arrow is an edge pointing from its tail to its head.")
        else:
            body = (f"The graph has {state.n} nodes numbered 0 to {state.n - 1}. Each line lists "
                    "the heads of the edges leaving a node:\n"
                    + adjacency_text(state.n, state.edges, directed=True))
        return f"{intro}\n\n{body}\n\nGive a topological order. Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        return [draw_network(circle_positions(state.n), state.edges, directed=True,
                             caption="Directed acyclic graph", size=PICTURE, radius=NODE_RADIUS)]

    def initial_state(self, state: State) -> dict:
        successors = _successors(state.n, state.edges)
        return {"nodes": state.n, "adjacency": {str(u): successors[u] for u in range(state.n)}}


@lru_cache(maxsize=8)
def _drawable_pairs(n: int) -> tuple[tuple[int, int], ...]:
    """Node pairs whose chord on the circle passes clear of every other node."""
    positions = circle_positions(n)
    return tuple((u, v) for u in range(n) for v in range(u + 1, n)
                 if edge_is_clear(positions, u, v, CLEARANCE))


def _key(u: int, v: int) -> tuple[int, int]:
    return (u, v) if u < v else (v, u)


def _successors(n: int, edges: list[tuple[int, int]]) -> list[list[int]]:
    out: list[list[int]] = [[] for _ in range(n)]
    for u, v in sorted(edges):
        out[u].append(v)
    return out


def _table(order: list[int], ready: list[int], indegree: list[int]) -> str:
    placed = set(order)
    waiting = ", ".join(f"{v}:{indegree[v]}" for v in range(len(indegree))
                        if v not in placed and v not in ready)
    return (f"order: [{', '.join(map(str, order))}]\nqueue: [{', '.join(map(str, sorted(ready)))}]\n"
            f"in-degrees left: {waiting or '(none)'}")


register(TopologicalSort())
