"""Eulerian path (graphs; official label `eulerian_path`).

Walk along every edge of an undirected graph exactly once (vertices may repeat), or say `No`. Half
the instances have such a trail, half have none (decided by the rng): too many odd-degree vertices,
or edges in two separate pieces. The solver states the parity and connectivity argument, then runs
Hierholzer's algorithm, splicing closed detours into the trail.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Solution, Step, Task, Variant
from generators.graphs import _path_tasks as shared
from generators.graphs import _path_tasks_layout as layout
from generators.registry import register


class Level(NamedTuple):
    vertices: int
    extra_edge: float  # probability of each further allowed edge
    max_degree: int  # before the parity repair


LEVELS = {
    1: Level(6, 0.3, 4),
    2: Level(8, 0.3, 4),
    3: Level(10, 0.3, 4),
    4: Level(12, 0.3, 4),
    5: Level(16, 0.3, 4),
}


class State(BaseModel):
    adjacency: list[list[int]]
    positions: list[tuple[float, float]]  # layout in grid-cell units (drawing only)


class EulerianPath(Task[State]):
    name = "eulerian_path"
    category = "graphs"
    official_name = "eulerian_path"
    levels = LEVELS
    rules = ("An Eulerian path in an undirected graph is a walk that uses every edge exactly once; "
             "it may begin and end anywhere and may pass a vertex several times. Find one, or "
             "answer No if the graph has none.")
    answer_format = ("the walk as the list of vertices it passes, e.g. [0, 5, 4, 3, 2, 4, 0, 1, 2] "
                     "(one more vertex than there are edges), or No")
    score_function = "eulerian_path_evaluator"

    def generate(self, rng: random.Random, level: int) -> State:
        n, extra, max_degree = self.params(level)
        points = layout.jittered_grid(rng, n)
        adj = shared.euler_instance(rng, points, layout.clear_pairs(points), extra, max_degree,
                                closed=False)
        return State(adjacency=adj, positions=points)

    def solve(self, state: State) -> Solution:
        trail, steps = shared.euler_steps(state.adjacency, closed=False)
        effort = len(shared.edges_of(state.adjacency)) + sum(s.kind == "try" for s in steps)
        if trail is None:
            steps.append(Step(kind="conclude", text="No walk can use every edge exactly once. "
                              "Answer: No"))
            return Solution(answer="No", steps=steps, effort=effort)
        steps.append(Step(kind="conclude", text=f"An Eulerian path: {trail}"))
        return Solution(answer=str(trail), steps=steps, effort=effort)

    def question(self, state: State, variant: Variant) -> str:
        n = len(state.adjacency)
        if variant == "image":
            body = (f"The picture shows an undirected graph with {n} vertices numbered 0 to {n - 1}: "
                    "each circle is a vertex, each grey line an edge.")
        else:
            body = (f"The undirected graph has {n} vertices numbered 0 to {n - 1}; each line lists "
                    f"a vertex and its neighbours:\n{shared.adjacency_lines(state.adjacency)}")
        return (f"Eulerian path. {self.rules}\n\n{body}\n\nDoes the graph have an Eulerian path? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        return [layout.draw(state.positions, shared.edges_of(state.adjacency), "Eulerian path?")]

    def initial_state(self, state: State) -> dict:
        return shared.adjacency_dict(state.adjacency)


register(EulerianPath())
