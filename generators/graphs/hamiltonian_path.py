"""Hamiltonian path (graphs; official label `hamiltonian_path`).

Visit every vertex of an undirected graph exactly once, starting at a given vertex, or say `No`.
Half the instances have a path, half have none (decided by the rng; both drawn as a random spanning
tree plus extra edges over the layout's clear pairs, kept when the exhaustive search agrees, and a
`No` is kept only when it takes search to refute). The solver is a backtracking search on the
shared core (generators/search.py): forced moves where one neighbour is left, guesses in ascending
order, pruning by degree and connectivity counts.
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
    1: Level(4, 0.3, 3),
    2: Level(6, 0.3, 3),
    3: Level(8, 0.3, 3),
    4: Level(12, 0.3, 4),
    5: Level(16, 0.3, 4),
}
DRAWS = 40  # graphs drawn per attempt before the attempt is rejected


class State(BaseModel):
    adjacency: list[list[int]]
    start: int
    positions: list[tuple[float, float]]  # layout in grid-cell units (drawing only)


class HamiltonianPath(Task[State]):
    name = "hamiltonian_path"
    category = "graphs"
    official_name = "hamiltonian_path"
    version = 2  # 2: the search runs on the shared core (generators/search.py)
    levels = LEVELS
    rules = ("A Hamiltonian path in an undirected graph moves along edges and visits every vertex "
             "exactly once. Find one that begins at the given start vertex, or answer No if no "
             "Hamiltonian path begins there.")
    answer_format = ("the path as a list of vertices beginning with the start vertex, e.g. "
                     "[2, 0, 1, 3], or No")
    score_function = "hamiltonian_path_evaluator"

    def generate(self, rng: random.Random, level: int) -> State:
        n, extra, max_degree = self.params(level)
        points = layout.jittered_grid(rng, n)
        pairs = layout.clear_pairs(points)
        solvable = rng.random() < 0.5
        # both branches come from one distribution, so sparseness does not give the answer away
        for _ in range(DRAWS):
            start = rng.randrange(n)
            tree = shared.spanning_tree(rng, n, pairs, max_degree)
            adj = shared.adjacency_of(n, shared.add_extras(rng, tree, pairs, extra, max_degree))
            search = shared.HamiltonSearch(adj, start, cycle=False, record=False)
            try:
                found = search.exists()
            except OverBudget:
                continue
            # a No must take search: refutations by the degree count alone are too easy
            if found == solvable and (solvable or search.opening is None):
                return State(adjacency=adj, start=start, positions=points)
        raise Rejected("no graph of the drawn branch")

    def solve(self, state: State) -> Solution:
        adj, s = state.adjacency, state.start
        steps = [Step(kind="observe", text=f"The graph has {len(adj)} vertices; the path must begin "
                      f"at {s}. I extend the path depth-first, looking one step ahead: a next "
                      "vertex is ruled out when after it an unvisited vertex has no free "
                      "neighbour, two vertices could only be the last one, or unvisited vertices "
                      "are cut off. One way on left is forced; among several I guess in "
                      "ascending order.", anchor=shared.adjacency_lines(adj))]
        search = shared.HamiltonSearch(adj, s, cycle=False)
        try:
            path = search.find()
        except OverBudget:
            raise Rejected("search budget exhausted") from None
        steps += search.steps
        # the core's effort (guesses and forced moves, undone ones too) plus the vertex count
        effort = search.nodes + search.placements + len(adj)
        if path is None:
            steps.append(Step(kind="conclude", text=f"Every branch from {s} ended in a dead end, so "
                              f"no Hamiltonian path begins at {s}. Answer: No"))
            return Solution(answer="No", steps=steps, effort=effort)
        steps.append(Step(kind="check", text=f"The path begins at {s}, visits all {len(adj)} "
                          "vertices once, and every consecutive pair is an edge.",
                          anchor=" -> ".join(map(str, path))))
        steps.append(Step(kind="conclude", text=f"A Hamiltonian path from {s}: {path}"))
        return Solution(answer=str(path), steps=steps, effort=effort)

    def question(self, state: State, variant: Variant) -> str:
        n, s = len(state.adjacency), state.start
        if variant == "image":
            body = (f"The picture shows an undirected graph with {n} vertices numbered 0 to {n - 1}: "
                    f"each circle is a vertex, each grey line an edge. The start vertex {s} is the "
                    "red circle.")
        else:
            body = (f"The undirected graph has {n} vertices numbered 0 to {n - 1}; each line lists "
                    f"a vertex and its neighbours:\n{shared.adjacency_lines(state.adjacency)}\n"
                    f"The start vertex is {s}.")
        return (f"Hamiltonian path. {self.rules}\n\n{body}\n\nDoes a Hamiltonian path begin at "
                f"vertex {s}? Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        edges = shared.edges_of(state.adjacency)
        return [layout.draw(state.positions, edges, f"Hamiltonian path from vertex {state.start} "
                            "(red)", start=state.start)]

    def initial_state(self, state: State) -> dict:
        # the public rows hold the bare adjacency dict and lose the start vertex; helix keeps both
        return {"adjacency": shared.adjacency_dict(state.adjacency), "start_vertex": state.start}


register(HamiltonianPath())
