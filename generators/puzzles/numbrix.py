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
from generators.search import Contradiction, GuessSearch, OverBudget
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
GUESS_BUDGET = 15_000     # guesses per solve-and-count (the old 40,000 steps: ~38% are guesses)


class State(BaseModel):
    n: int
    grid: list[list[int]]       # 0 = empty
    solution: list[list[int]]   # the drawn chain (0 = a cell off it)


class Numbrix(Task[State]):
    name = "numbrix"
    category = "puzzles"
    official_name = "numbrix"
    score_function = "numbrix_evaluator"
    # 2: the chain runs 1..K with K free and cells may stay empty (the official rule)
    version = 3  # 3: the search runs on the shared core (generators/search.py)
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
        search = _Chain(n, clues, record=True)
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
        # one run records the way to the first chain and goes on silently to a second one
        exhausted = False
        try:
            search.solve(limit=2, budget=GUESS_BUDGET)
        except OverBudget:
            exhausted = True
        if not search.solutions:
            raise Rejected("solver found no solution within the budget")
        steps += search.steps
        first = search.values(search.solutions[0])
        rows = [first[r * n:(r + 1) * n] for r in range(n)]
        if exhausted:
            counted, note = None, "The search budget ran out before a second chain was ruled out."
        elif search.found == 1:
            counted, note = 1, "Searching on after the first chain finds no second one: it is unique."
        else:
            counted, note = 2, "Another chain fits too; any valid chain is accepted."
        steps.append(Step(kind="check", text=f"{note} Search nodes: "
                          f"{search.nodes + search.placements}.", anchor=grid_text(first, n)))
        empty = first.count(0)
        steps.append(Step(kind="conclude", text=f"Every number 1..{top} is placed once, each "
                          "consecutive pair is orthogonally adjacent and every given number is in "
                          "its place" + (f"; {empty} cells stay empty." if empty else ".")))
        return Solution(answer=_format(rows), steps=steps, num_solutions=counted,
                        effort=search.first_effort or 0)

    def question(self, state: State, variant: Variant) -> str:
        n = state.n
        intro = f"Numbrix puzzle ({n} x {n}). {self.rules}"
        if variant == "image":
            body = (f"The picture shows the {n} x {n} grid; the given numbers are printed in "
                    "their cells and the empty cells are blank.")
        else:
            body = ("The grid, row by row from the top ('.' marks an empty cell):\n"
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


class _Chain(GuessSearch):
    """The chain 1..M, M the highest given number (a longer valid chain cut at M stays valid, so
    stopping there loses no puzzle), grown from the smallest given m up to M, then from m down
    to 1. A cell fits the next number when it is free (or is that number's given cell) and keeps
    the next given number in the direction of travel reachable through free cells within the
    steps left, with the right parity (the grid is a chessboard: every step changes colour).
    One fitting cell is a forced placement, none a contradiction, several a guess in cell order.
    A snapshot is the tuple of placed cells; restoring takes the later ones back."""

    def __init__(self, n: int, clues: dict[int, int], record: bool = True):
        super().__init__(record)
        self.n = n
        self.clues = clues
        self.clue_at = {cell: v for v, cell in clues.items()}
        self.nbrs = neighbours(n, n)
        self.m, self.top = min(clues), max(clues)
        self.order = list(range(self.m + 1, self.top + 1)) + list(range(self.m - 1, 0, -1))
        self.follows = [v - 1 if v > self.m else v + 1 for v in self.order]  # the number before
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
        self.placed: list[int] = []          # the cells of order[0], order[1], ...
        self.first_effort: int | None = None  # placements and guesses up to the first chain
        self.pending: tuple[int, list[int]] | None = None  # (depth, fitting cells) for choose
        self.val[clues[self.m]], self.pos[self.m] = self.m, clues[self.m]

    # -- the chain -------------------------------------------------------------------------
    def _next(self) -> tuple[int, int]:
        """The next number to place and the number it follows."""
        k = len(self.placed)
        return self.order[k], self.follows[k]

    def _fitting(self) -> tuple[list[int], list[int], str]:
        """The cells next to the chain's end that fit the next number, the free ones before the
        reachability check, and why none fits (worded only when none does)."""
        k = len(self.placed)
        v, prev = self.order[k], self.follows[k]
        head = self.pos[prev]
        if v in self.clues:
            target = self.clues[v]
            if target not in self.nbrs[head]:
                return [], [], (f"the given {v} at {_rc(target, self.n)} is not next to {prev} "
                                f"at {_rc(head, self.n)}")
            free = [target]
        else:
            free = [u for u in self.nbrs[head] if not self.val[u] and u not in self.clue_at]
            if not free:
                return [], [], f"{v} has no free cell next to {prev} at {_rc(head, self.n)}"
        fits, blocked = [], []
        for u in free:
            why = self._blocked(v, u)
            if why is None:
                fits.append(u)
            else:
                blocked.append((u, why))
        if fits:
            return fits, free, ""
        return fits, free, "; ".join(f"{v} at {_rc(u, self.n)}: {why}" for u, why in blocked)

    def _place(self, u: int) -> None:
        v = self.order[len(self.placed)]
        self.val[u], self.pos[v] = v, u
        self.placed.append(u)
        self.pending = None

    def values(self, placed: tuple[int, ...]) -> list[int]:
        """The grid values of a chain given as its placed cells (a snapshot)."""
        out = [0] * (self.n * self.n)
        out[self.clues[self.m]] = self.m
        for v, u in zip(self.order, placed):
            out[u] = v
        return out

    # -- the core's interface ----------------------------------------------------------------
    def deduce_title(self) -> str:
        return "Forced (the only cell that fits)"

    def deductions(self):
        while len(self.placed) < len(self.order):
            fits, free, why = self._fitting()
            if not fits:
                raise Contradiction(why)
            if len(fits) > 1:
                self.pending = (len(self.placed), fits)
                return
            v, prev = self._next()
            self._place(fits[0])
            self.placements += 1
            if not self.trace.room:   # past the recording cap only the count matters
                yield ""
            elif v in self.clues:
                yield f"the given {v} follows {prev}"
            elif len(free) > 1:
                yield (f"{v} at {_rc(fits[0], self.n)} (the other cells next to {prev} lose "
                       f"the way to {self.ahead[v]})")
            else:
                yield f"{v} at {_rc(fits[0], self.n)}"

    def choose(self) -> tuple[int, list[int], str] | None:
        if len(self.placed) == len(self.order):
            if self.first_effort is None:
                self.first_effort = self.nodes + self.placements
            return None
        if self.pending is None or self.pending[0] != len(self.placed):
            self.pending = (len(self.placed), self._fitting()[0])
        v, _ = self._next()
        return v, self.pending[1], f"the cell of {v}"

    def guess_text(self, where: str, options: list) -> str:
        v, prev = self._next()
        return (f"Nothing more is forced: {v} fits {len(options)} cells next to {prev}, "
                + ", ".join(_rc(u, self.n) for u in options) + "; I must guess.")

    def show_value(self, value: int) -> str:
        return _rc(value, self.n)

    def assign(self, key: int, value: int) -> None:
        self._place(value)

    def snapshot(self) -> tuple[int, ...]:
        return tuple(self.placed)

    def restore(self, snap: tuple[int, ...]) -> None:
        placed, val, pos, order = self.placed, self.val, self.pos, self.order
        while len(placed) > len(snap):
            u = placed.pop()
            val[u], pos[order[len(placed)]] = 0, -1
        self.pending = None

    def anchor(self) -> str:
        return grid_text(self.val, self.n)

    # -- pruning -------------------------------------------------------------------------------
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
