"""Numbrix (puzzles; official label `numbrix`).

Write numbers into the n x n grid so that 1, 2, ..., K form one chain of orthogonally adjacent
cells that passes every given number at its place. K, the highest number, is at least the highest
given one but need not be n^2, and cells off the chain stay empty: the official question says so,
and the official generator's chains do not always cover the grid. The generator draws a random
Hamiltonian path (backbite moves from a boustrophedon), now and then cut a few cells short, and
reveals 1, the path's last number and a share of the others (the official puzzles always show 1
and the highest number). The solver grows the chain from the smallest given number up to the
highest one (then down to 1 if 1 is not given), keeping the next given number reachable through
free cells in exactly the steps left (distance and parity), and counts a second chain.
"""

from __future__ import annotations

import random
from collections import deque
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._path import grid_text, hamiltonian_path, manhattan, neighbours
from generators.registry import register
from generators.render import BLACK, BLUE, canvas, cell_center, grid, text_center, to_png


class Level(NamedTuple):
    side: int
    revealed_share: float  # share of cells shown, 1 and the last number among them


LEVELS = {
    1: Level(4, 0.40),
    2: Level(5, 0.34),
    3: Level(6, 0.30),
    4: Level(7, 0.27),
    5: Level(8, 0.25),
}
SHORT_CHAINS = 0.25       # share of chains that stop 1..n cells before covering the grid
NODE_BUDGET = 40_000      # search nodes per solution count
MAX_RECORDED = 300        # steps kept for the skeleton (the count goes on silently)


class State(BaseModel):
    n: int
    grid: list[list[int]]       # 0 = empty
    solution: list[list[int]]   # the drawn chain (0 = a cell off it)


class Numbrix(Task[State]):
    name = "numbrix"
    category = "puzzles"
    official_name = "numbrix"
    score_function = "numbrix_evaluator"
    version = 2  # the chain runs 1..K with K free and cells may stay empty (the official rule)
    levels = LEVELS
    rules = ("Write numbers into empty cells of the n x n grid so that the grid holds 1, 2, ..., K, "
             "each exactly once, for some highest number K, and every pair of consecutive numbers "
             "(k and k+1) sits in orthogonally adjacent cells (sharing a side, never only a "
             "corner): one chain from 1 to K. The given numbers stay where they are, so K is at "
             "least the highest given number; K need not be n^2, and the cells the chain does "
             "not use stay empty.")
    answer_format = ("the grid, one row per line, cells between '|' and an empty cell left blank, "
                     "e.g. |1|2| | for a first row of three cells whose last cell stays empty")

    def generate(self, rng: random.Random, level: int) -> State:
        n, share = self.params(level)
        path = hamiltonian_path(rng, n, n, moves=6 * n * n)
        if rng.random() < SHORT_CHAINS:
            path = path[:len(path) - rng.randint(1, n)]
        length = len(path)
        values = [0] * (n * n)
        for i, cell in enumerate(path):
            values[cell] = i + 1
        # 1 and the last number are always shown, as in the official puzzles
        shown = {path[0], path[-1]}
        shown |= set(rng.sample(path[1:-1], max(0, min(length - 2, round(share * n * n) - 2))))
        return State(n=n, grid=[[values[r * n + c] if r * n + c in shown else 0 for c in range(n)]
                                for r in range(n)],
                     solution=[values[r * n:(r + 1) * n] for r in range(n)])

    def solve(self, state: State) -> Solution:
        n = state.n
        clues = {v: r * n + c for r, row in enumerate(state.grid) for c, v in enumerate(row) if v}
        search = _Search(n, clues, record=True)
        low, top = min(clues), max(clues)
        down = f", then downward from {low} to 1" if low > 1 else ""
        steps = [Step(kind="observe",
                      text=f"The grid is {n} x {n}; {len(clues)} numbers are given, the highest "
                           f"is {top}, so the chain runs at least to {top} and I stop it there "
                           f"(cells it does not need stay empty). I extend the chain from {low} "
                           f"upward to {top}{down}, checking that every next given number can "
                           "still be reached through free cells in exactly the steps left "
                           "(distance and parity).",
                      anchor=grid_text([v for row in state.grid for v in row], n))]
        search.run(cap=2)
        if not search.solutions:
            raise Rejected("solver found no solution within the budget")
        steps += search.steps
        first = search.solutions[0]
        rows = [first[r * n:(r + 1) * n] for r in range(n)]
        if search.exhausted:
            counted, note = None, "The search budget ran out before a second chain was ruled out."
        elif search.count == 1:
            counted, note = 1, "Searching on after the first chain finds no second one: it is unique."
        else:
            counted, note = 2, "Another chain fits too; any valid chain is accepted."
        steps.append(Step(kind="check", text=f"{note} Search nodes: {search.nodes}.",
                          anchor=grid_text(first, n)))
        empty = first.count(0)
        steps.append(Step(kind="conclude", text=f"Every number 1..{top} is placed once, each "
                          "consecutive pair is orthogonally adjacent and every given number is in "
                          "its place" + (f"; {empty} cells stay empty." if empty else ".")))
        return Solution(answer=_format(rows), steps=steps, num_solutions=counted,
                        effort=search.first_nodes)

    def question(self, state: State, variant: Variant) -> str:
        n = state.n
        intro = f"Numbrix puzzle ({n} x {n}). {self.rules}"
        if variant == "image":
            body = (f"The picture shows the {n} x {n} grid; the given numbers are printed in "
                    "their cells and the empty cells are blank.")
        else:
            body = (f"The grid, row by row from the top ('.' marks an empty cell):\n"
                    + grid_text([v for row in state.grid for v in row], n))
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n = state.n
        cell, margin = 52, 20
        size = 2 * margin + n * cell
        image, draw = canvas(size, size)
        grid(draw, margin, margin, n, n, cell, line=BLACK, width=2)
        for r, row in enumerate(state.grid):
            for c, v in enumerate(row):
                if v:
                    text_center(draw, cell_center(margin, margin, r, c, cell), str(v), 22, fill=BLUE)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"n": state.n, "grid": [list(row) for row in state.grid]}


def _format(rows: list[list[int]]) -> str:
    return "\n".join("|" + "|".join(str(v) if v else " " for v in row) + "|" for row in rows)


class _Search:
    """Capped depth-first count of chains 1..M, M the highest given number (a longer valid chain
    cut at M stays valid, so stopping there loses no puzzle). The chain grows from the
    smallest given m up to M, then from m down to 1; each placement must keep the next given
    number in that direction reachable through free cells within the steps left, with the right
    parity (the grid is a chessboard: every step changes colour)."""

    def __init__(self, n: int, clues: dict[int, int], record: bool = False):
        self.n = n
        self.clues = clues
        self.clue_at = {cell: v for v, cell in clues.items()}
        self.nbrs = neighbours(n, n)
        self.record = record
        self.m, self.top = min(clues), max(clues)
        self.order = list(range(self.m + 1, self.top + 1)) + list(range(self.m - 1, 0, -1))
        # the next clue ahead of value v in its direction of travel (None: none left)
        values = sorted(clues)
        self.ahead: dict[int, int | None] = {}
        for v in self.order:
            if v > self.m:
                self.ahead[v] = next((w for w in values if w > v), None)
            else:
                self.ahead[v] = next((w for w in reversed(values) if w < v), None)
        self.val = [0] * (n * n)
        self.pos = [-1] * (self.top + 2)
        self.count = self.nodes = self.first_nodes = 0
        self.exhausted = False
        self.solutions: list[list[int]] = []
        self.steps: list[Step] = []

    def run(self, cap: int) -> None:
        self._place(self.m, self.clues[self.m])
        self._dfs(0, cap)

    def _place(self, v: int, cell: int) -> None:
        self.val[cell], self.pos[v] = v, cell

    def _unplace(self, v: int, cell: int) -> None:
        self.val[cell], self.pos[v] = 0, -1

    def _note(self, kind: str, text: str, anchor: bool = False) -> None:
        if self.record and not self.solutions and len(self.steps) < MAX_RECORDED:
            self.steps.append(Step(kind=kind, text=text,
                                   anchor=grid_text(self.val, self.n) if anchor else None))

    def _dfs(self, idx: int, cap: int) -> None:
        if self.count >= cap or self.exhausted:
            return
        if idx == len(self.order):
            self.count += 1
            if not self.solutions:
                self.first_nodes = self.nodes
            self.solutions.append(list(self.val))
            return
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            self.exhausted = True
            return
        v = self.order[idx]
        prev = v - 1 if v > self.m else v + 1
        head = self.pos[prev]
        if v in self.clues:
            target = self.clues[v]
            options = [target] if target in self.nbrs[head] else []
        else:
            options = [u for u in self.nbrs[head] if not self.val[u] and u not in self.clue_at]
        if not options:
            self._note("dead_end", f"{v} has no free cell next to {prev}; back up.", anchor=True)
            return
        if len(options) > 1:
            self._note("try", f"{v} can go to {len(options)} cells next to {prev}: "
                       + ", ".join(_rc(u, self.n) for u in options) + ".")
        for k, u in enumerate(options):
            if len(options) > 1 and k:
                self._note("backtrack", f"Back at {prev}: try {v} at {_rc(u, self.n)} instead.")
            self._place(v, u)
            why = self._blocked(v, u)
            if why:
                self._note("dead_end", f"{v} at {_rc(u, self.n)}: {why}.", anchor=True)
            else:
                self._dfs(idx + 1, cap)
            self._unplace(v, u)
            if self.count >= cap or self.exhausted:
                return

    def _blocked(self, v: int, u: int) -> str | None:
        """Why placing v at u cannot lead to a chain, or None."""
        w = self.ahead[v]
        if w is None:
            return None
        goal = self.clues[w]
        gap, dist = abs(w - v), manhattan(u, goal, self.n)
        if dist > gap:
            return f"the given {w} is {dist} steps away but only {gap} ahead in the sequence"
        if (gap - dist) % 2:
            return f"parity: {w} is {dist} steps away, an odd detour from {gap}"
        if self._free_distance(u, goal, gap) > gap:
            return f"the free cells no longer lead to the given {w} within {gap} steps"
        return None

    def _free_distance(self, start: int, goal: int, limit: int) -> int:
        """Steps from start to goal through empty non-given cells (breadth first, capped)."""
        seen, frontier = {start}, deque([(start, 0)])
        while frontier:
            cell, d = frontier.popleft()
            if d >= limit:
                break
            for x in self.nbrs[cell]:
                if x == goal:
                    return d + 1
                if x not in seen and not self.val[x] and x not in self.clue_at:
                    seen.add(x)
                    frontier.append((x, d + 1))
        return limit + 1


def _rc(cell: int, n: int) -> str:
    return f"({cell // n},{cell % n})"


register(Numbrix())
