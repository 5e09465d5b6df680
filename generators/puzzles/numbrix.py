"""Numbrix (puzzles; official label `numbrix`).

Fill an n x n grid with 1..n^2 so that consecutive numbers are orthogonal neighbours. The
generator draws a random Hamiltonian path (backbite moves from a boustrophedon), reveals a share
of its numbers, and adds the clue that separates the two first solutions a capped counter finds
until the solution is unique. The solver extends the chain from the smallest clue up to n^2, then
down to 1, pruning by distance and parity to the next clue and by cells left with no way out.
"""

from __future__ import annotations

import random

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._path import grid_text, hamiltonian_path, manhattan, neighbours
from generators.registry import register
from generators.render import BLACK, BLUE, canvas, cell_center, grid, text_center, to_png

# level: (grid side n, share of cells revealed before the uniqueness repair)
LEVELS = {
    1: (4, 0.40),
    2: (5, 0.34),
    3: (6, 0.30),
    4: (7, 0.27),
    5: (8, 0.25),
}
NODE_BUDGET = 40_000      # search nodes per solution count
MAX_REPAIRS = 24          # clues added to separate solutions before giving up
MAX_RECORDED = 300        # steps kept for the skeleton (the count goes on silently)


class State(BaseModel):
    n: int
    grid: list[list[int]]       # 0 = empty
    solution: list[list[int]]


class Numbrix(Task[State]):
    name = "numbrix"
    category = "puzzles"
    official_name = "numbrix"
    levels = LEVELS
    rules = ("Fill every empty cell of the n x n grid with a number so that each of 1..n^2 appears "
             "exactly once and every pair of consecutive numbers (k and k+1) sits in orthogonally "
             "adjacent cells (sharing a side, never only a corner). The given numbers stay.")
    answer_format = ("the completed grid, one row per line, numbers separated by '|', "
                     "e.g. |1|2|3| on the first line of a 3 x 3 grid")

    def generate(self, rng: random.Random, level: int) -> State:
        n, share = self.params(level)
        path = hamiltonian_path(rng, n, n, moves=6 * n * n)
        values = [0] * (n * n)
        for i, cell in enumerate(path):
            values[cell] = i + 1
        cells = list(range(n * n))
        clued = set(rng.sample(cells, max(2, round(share * n * n))))
        for _ in range(MAX_REPAIRS):
            search = _Search(n, {values[c]: c for c in clued})
            search.run(cap=2)
            if search.exhausted:
                raise Rejected("solution count over the node budget")
            if search.count == 1:
                grid_rows = [[values[r * n + c] if r * n + c in clued else 0 for c in range(n)]
                             for r in range(n)]
                return State(n=n, grid=grid_rows,
                             solution=[values[r * n:(r + 1) * n] for r in range(n)])
            other = next(s for s in search.solutions if s != values)
            differ = sorted(c for c in cells if other[c] != values[c])
            clued.add(rng.choice(differ))
        raise Rejected("not unique after the clue repairs")

    def solve(self, state: State) -> Solution:
        n = state.n
        clues = {v: r * n + c for r, row in enumerate(state.grid) for c, v in enumerate(row) if v}
        search = _Search(n, clues, record=True)
        steps = [Step(kind="observe",
                      text=f"The grid is {n} x {n}, so it holds 1..{n * n}; {len(clues)} numbers "
                           f"are given. I extend the chain from the smallest given number "
                           f"{min(clues)} upward to {n * n}, then downward to 1, checking that "
                           "every next given number is still reachable (distance and parity) and "
                           "that no empty cell is cut off.",
                      anchor=grid_text([v for row in state.grid for v in row], n))]
        search.run(cap=2)
        if search.exhausted or not search.solutions:
            raise Rejected("solver found no solution within the budget")
        steps += search.steps
        first = search.solutions[0]
        rows = [first[r * n:(r + 1) * n] for r in range(n)]
        unique = search.count == 1
        steps.append(Step(kind="check",
                          text=("Searching on after the first completion finds no second one, so "
                                "the solution is unique." if unique else
                                "A second completion exists; the first one is valid.")
                          + f" Search nodes: {search.nodes}.",
                          anchor=grid_text(first, n)))
        steps.append(Step(kind="conclude", text="Every number 1..n^2 is placed once and each "
                          "consecutive pair is orthogonally adjacent."))
        return Solution(answer=_format(rows), steps=steps, num_solutions=search.count,
                        effort=search.nodes)

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
    return "\n".join("|" + "|".join(str(v) for v in row) + "|" for row in rows)


class _Search:
    """Capped depth-first count of completions. The chain grows from the smallest clue m up to
    n^2, then from m down to 1; each placement must keep the next clue in that direction within
    reach (Manhattan distance <= value gap, same parity) and must not strand an empty cell."""

    def __init__(self, n: int, clues: dict[int, int], record: bool = False):
        self.n, self.total = n, n * n
        self.clues = clues
        self.clue_at = {cell: v for v, cell in clues.items()}
        self.nbrs = neighbours(n, n)
        self.record = record
        self.m = min(clues)
        self.order = list(range(self.m + 1, self.total + 1)) + list(range(self.m - 1, 0, -1))
        # the next clue ahead of value v in its direction of travel (None: none left)
        values = sorted(clues)
        self.ahead: dict[int, int | None] = {}
        for v in self.order:
            if v > self.m:
                self.ahead[v] = next((w for w in values if w > v), None)
            else:
                self.ahead[v] = next((w for w in reversed(values) if w < v), None)
        self.val = [0] * self.total
        self.pos = [-1] * (self.total + 2)
        self.count = self.nodes = 0
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
            why = self._blocked(v, u, head)
            if why:
                self._note("dead_end", f"{v} at {_rc(u, self.n)}: {why}.", anchor=True)
            else:
                self._dfs(idx + 1, cap)
            self._unplace(v, u)
            if self.count >= cap or self.exhausted:
                return

    def _blocked(self, v: int, u: int, head: int) -> str | None:
        """Why placing v at u cannot lead to a completion, or None."""
        w = self.ahead[v]
        if w is not None:
            gap, dist = abs(w - v), manhattan(u, self.clues[w], self.n)
            if dist > gap:
                return f"the given {w} is {dist} steps away but only {gap} ahead in the sequence"
            if (gap - dist) % 2:
                return f"parity: {w} is {dist} steps away, an odd detour from {gap}"
        if v == self.total and self.m > 1:
            head_after = self.pos[self.m]          # the chain turns back to grow down from m
        else:
            head_after = u
        m_open = self.pos[self.m] if v > self.m and self.m > 1 else -1
        near = self.nbrs[head] + self.nbrs[u] if v == self.total else self.nbrs[head]
        for x in near:
            if self.val[x]:
                continue
            exits = sum(1 for y in self.nbrs[x] if not self.val[y] or y == head_after or y == m_open)
            if exits == 0:
                return f"the empty cell {_rc(x, self.n)} is cut off"
            if exits == 1 and not self._may_end(x):
                return f"the empty cell {_rc(x, self.n)} has a single way in and cannot be an end"
        return None

    def _may_end(self, x: int) -> bool:
        """Whether cell x can still hold 1 or n^2 (the only numbers with one path neighbour)."""
        if x in self.clue_at:
            return self.clue_at[x] in (1, self.total)
        return any(e not in self.clues and self.pos[e] < 0 for e in (1, self.total))


def _rc(cell: int, n: int) -> str:
    return f"({cell // n},{cell % n})"


register(Numbrix())
