"""Hamiltonian cycle (graphs; official label `hamiltonian_cycle`).

Find a closed route through every vertex of an undirected graph exactly once, or say `No`. Half
the instances have a cycle, half have none (decided by the rng; both drawn as a random spanning
tree plus extra edges over the layout's clear pairs, every vertex lifted to degree 2 where the
layout allows, kept when the exhaustive search agrees; a `No` is kept only when it takes search
to refute). The solver is a backtracking search from vertex 0 on the shared core
(generators/search.py): forced moves where one neighbour is left, guesses in ascending order,
pruning by degree and connectivity counts.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.graphs import _path_tasks as shared
from generators.graphs import _path_tasks_layout as layout
from generators.registry import register
from generators.search import OverBudget


class Level(NamedTuple):
    vertices: int
    extra_edge: float  # probability of each further allowed edge
    max_degree: int


LEVELS = {
    1: Level(6, 0.3, 3),
    2: Level(9, 0.3, 4),
    3: Level(12, 0.3, 4),
    4: Level(14, 0.3, 4),
    5: Level(16, 0.3, 4),
}
DRAWS = 40  # graphs drawn per attempt before the attempt is rejected


class State(BaseModel):
    adjacency: list[list[int]]
    positions: list[tuple[float, float]]  # layout in grid-cell units (drawing only)


class HamiltonianCycle(Task[State]):
    name = "hamiltonian_cycle"
    category = "graphs"
    official_name = "hamiltonian_cycle"
    version = 2  # 2: the search runs on the shared core (generators/search.py)
    levels = LEVELS
    rules = ("A Hamiltonian cycle in an undirected graph moves along edges, visits every vertex "
             "exactly once and returns along an edge to the vertex it began at. Find one, or "
             "answer No if the graph has none.")
    answer_format = ("the cycle as a list of vertices in visiting order, e.g. [0, 1, 5, 4, 2, 3] "
                     "(the edge back to the first vertex is implied; repeating the first vertex at "
                     "the end is also accepted), or No")
    score_function = "hamiltonian_cycle_evaluator"

    def generate(self, rng: random.Random, level: int) -> State:
        n, extra, max_degree = self.params(level)
        points = layout.jittered_grid(rng, n)
        pairs = layout.clear_pairs(points)
        solvable = rng.random() < 0.5
        # both branches come from one distribution, so sparseness does not give the answer away
        for _ in range(DRAWS):
            edges = shared.add_extras(rng, shared.spanning_tree(rng, n, pairs, max_degree), pairs, extra,
                                  max_degree)
            adj = shared.adjacency_of(n, shared.lift_min_degree(rng, edges, pairs, 2, max_degree))
            search = shared.HamiltonSearch(adj, 0, cycle=True, record=False)
            try:
                found = search.exists()
            except OverBudget:
                continue
            # a No must take search: refutations by the degree count alone are too easy
            if found == solvable and (solvable or search.opening is None):
                return State(adjacency=adj, positions=points)
        raise Rejected("no graph of the drawn branch")

    def solve(self, state: State) -> Solution:
        adj = state.adjacency
        steps = [Step(kind="observe", text=f"The graph has {len(adj)} vertices. A Hamiltonian cycle "
                      "passes every vertex, so I may begin it at 0. I extend the route depth-first, "
                      "looking one step ahead: a next vertex is ruled out when after it an "
                      "unvisited vertex has fewer than two usable neighbours or is cut off. One "
                      "way on left is forced; among several I guess in ascending order.",
                      anchor=shared.adjacency_lines(adj))]
        search = shared.HamiltonSearch(adj, 0, cycle=True)
        try:
            cycle = search.find()
        except OverBudget:
            raise Rejected("search budget exhausted") from None
        steps += search.steps
        # the core's effort (guesses and forced moves, undone ones too) plus the vertex count
        effort = search.nodes + search.placements + len(adj)
        if cycle is None:
            steps.append(Step(kind="conclude", text="Every branch from 0 ended in a dead end, and "
                              "every Hamiltonian cycle would pass 0, so the graph has none. "
                              "Answer: No"))
            return Solution(answer="No", steps=steps, effort=effort)
        steps.append(Step(kind="check", text=f"All {len(adj)} vertices are visited once, every "
                          f"consecutive pair is an edge, and {cycle[-1]}-0 closes the cycle.",
                          anchor=" -> ".join(map(str, cycle + [0]))))
        steps.append(Step(kind="conclude", text=f"A Hamiltonian cycle: {cycle}"))
        return Solution(answer=str(cycle), steps=steps, effort=effort)

    def question(self, state: State, variant: Variant) -> str:
        n = len(state.adjacency)
        if variant == "image":
            body = (f"The picture shows an undirected graph with {n} vertices numbered 0 to {n - 1}: "
                    "each circle is a vertex, each grey line an edge.")
        else:
            body = (f"The undirected graph has {n} vertices numbered 0 to {n - 1}; each line lists "
                    f"a vertex and its neighbours:\n{shared.adjacency_lines(state.adjacency)}")
        return (f"Hamiltonian cycle. {self.rules}\n\n{body}\n\nDoes the graph have a Hamiltonian "
                f"cycle? Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        return [layout.draw(state.positions, shared.edges_of(state.adjacency), "Hamiltonian cycle?")]

    def initial_state(self, state: State) -> dict:
        return shared.adjacency_dict(state.adjacency)


register(HamiltonianCycle())
