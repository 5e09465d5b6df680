"""Snake (puzzles; official label `snake`).

Find the snake: a path of cells from S (head) to E (tail), each cell sharing a side with the next,
whose number of cells in every row and column matches the counts at the edge; the snake never
touches itself, not even diagonally (the standard Snake rule: the only diagonal neighbours allowed
are the two ends of a bend). The generator draws a random non-touching walk and keeps it only if
a capped counter proves its cell set unique. The solver grows the snake from S depth first,
pruning by the counts, by distance and parity to E, and by a flood fill that must still reach E
and enough free cells in every row and column.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._path import neighbours
from generators.search import Contradiction, OverBudget, PathSearch
from generators.registry import register
from generators.render import BLACK, BLUE, GREY, RED, canvas, cell_box, grid, text_center, to_png


class Level(NamedTuple):
    smallest_side: int
    largest_side: int
    snake_share: float  # snake cells as a share of the grid


LEVELS = {
    1: Level(5, 6, 0.36),
    2: Level(6, 7, 0.32),
    3: Level(8, 9, 0.28),
    4: Level(10, 11, 0.24),
    5: Level(12, 13, 0.21),
}
GUESS_BUDGET = 7_500    # guesses per solution count (the old 20,000 steps: ~37% are guesses)
WALK_TRIES = 12


class State(BaseModel):
    n: int
    start: tuple[int, int]
    end: tuple[int, int]
    row_counts: list[int]
    col_counts: list[int]


class Snake(Task[State]):
    name = "snake"
    category = "puzzles"
    official_name = "snake"
    score_function = "snake_evaluator"
    # 2: the image question states the counts (official)
    version = 3  # 3: the search runs on the shared core (generators/search.py)
    levels = LEVELS
    unique = True            # the official score compares the cell set with the stored one
    rules = ("Draw a snake in the grid: a path of cells from S (the head) to E (the tail), each "
             "cell sharing a side with the next. The numbers outside the grid tell how many snake "
             "cells each row and each column holds. The snake never touches itself: two snake "
             "cells that are not consecutive never share a side, and they meet at a corner only "
             "at a bend (the cells just before and after a turn).")
    answer_format = ("the snake's cells in order from S to E as (row,col) pairs, 0-based from "
                     "the top-left, e.g. (4,1) (4,2) (3,2)")

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, share = self.params(level)
        n = rng.randint(low, high)
        target = max(4, round(share * n * n))
        walk = next((w for w in (_walk(rng, n, target) for _ in range(WALK_TRIES))
                     if len(w) == target), None)
        if walk is None:
            raise Rejected("the random walk got stuck before its length")
        rows, cols = [0] * n, [0] * n
        for cell in walk:
            rows[cell // n] += 1
            cols[cell % n] += 1
        state = State(n=n, start=divmod(walk[0], n), end=divmod(walk[-1], n),
                      row_counts=rows, col_counts=cols)
        try:
            found = _Snake(state, record=False).count(2, GUESS_BUDGET)
        except OverBudget:
            raise Rejected("solution count over the node budget") from None
        if found != 1:
            raise Rejected("the counts allow more than one snake")
        return state

    def solve(self, state: State) -> Solution:
        search = _Snake(state, record=True)
        steps = [Step(kind="observe",
                      text=f"The grid is {state.n} x {state.n}; the snake has "
                           f"{sum(state.row_counts)} cells from S {tuple(state.start)} to E "
                           f"{tuple(state.end)}. I grow it from S one cell at a time, never "
                           "exceeding a row or column count, never touching the body, keeping E "
                           "reachable at the right distance and parity, and checking with a "
                           "flood fill that every row and column can still be completed.",
                      anchor=search.picture())]
        # one run records the way to the first snake and goes on silently to prove it unique
        try:
            search.solve(limit=2, budget=GUESS_BUDGET)
        except OverBudget:
            raise Rejected("solver found no snake within the budget") from None
        if not search.solutions:
            raise Rejected("solver found no snake")
        snake = list(search.solutions[0])
        steps += search.steps
        unique = search.found == 1
        steps.append(Step(kind="check",
                          text=("Searching on after the first snake finds no other, so the "
                                "snake is unique." if unique else "Another snake also fits.")
                          + f" Search nodes: {search.nodes + search.placements}.",
                          anchor=search.picture(snake)))
        steps.append(Step(kind="conclude", text=f"The snake has {len(snake)} cells; every row "
                          "and column count is met and it never touches itself."))
        answer = " ".join(f"({c // state.n},{c % state.n})" for c in snake)
        # effort = snake length: node counts depend on how the counts happen to cut the grid
        return Solution(answer=answer, steps=steps, num_solutions=search.found,
                        effort=len(snake))

    def question(self, state: State, variant: Variant) -> str:
        n = state.n
        intro = f"Snake puzzle ({n} x {n}). {self.rules}"
        if variant == "image":
            # the counts are written out as in the official image question (the picture shows
            # them too): a row read from the image question alone is a whole puzzle
            body = ("The picture shows the grid with S and E marked; the column counts are above "
                    f"the grid and the row counts to its left.\nRow counts, top to bottom: "
                    f"{state.row_counts}\nColumn counts, left to right: {state.col_counts}")
        else:
            body = (f"Head S at (row,col) = ({state.start[0]},{state.start[1]}), tail E at "
                    f"({state.end[0]},{state.end[1]}).\nRow counts, top to bottom: "
                    f"{state.row_counts}\nColumn counts, left to right: {state.col_counts}")
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n = state.n
        cell = 40 if n <= 9 else 34
        left, top = 44, 44
        image, draw = canvas(left + n * cell + 20, top + n * cell + 20)
        grid(draw, left, top, n, n, cell, line=BLACK)
        for i in range(n):
            text_center(draw, (left + (i + 0.5) * cell, top - 16), str(state.col_counts[i]), 16,
                        fill=BLUE)
            text_center(draw, (left - 18, top + (i + 0.5) * cell), str(state.row_counts[i]), 16,
                        fill=BLUE)
        for label, (r, c), color in (("S", state.start, RED), ("E", state.end, GREY)):
            x0, y0, x1, y1 = cell_box(left, top, r, c, cell)
            draw.rectangle([x0 + 3, y0 + 3, x1 - 3, y1 - 3], fill=(255, 235, 200))
            text_center(draw, ((x0 + x1) / 2, (y0 + y1) / 2), label, 20, fill=color)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"n": state.n, "start": list(state.start), "end": list(state.end),
                "row_counts": list(state.row_counts), "col_counts": list(state.col_counts)}


@lru_cache(maxsize=32)
def _ring(n: int) -> tuple[tuple[int, ...], ...]:
    """The up-to-eight surrounding cells of every cell."""
    return tuple(tuple((r + dr) * n + c + dc for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                       if (dr or dc) and 0 <= r + dr < n and 0 <= c + dc < n)
                 for r in range(n) for c in range(n))


def _fits(u: int, body: set[int], head: int, prev: int, ring: tuple[tuple[int, ...], ...]) -> bool:
    """u may follow head: no snake cell around u except head and (at a bend) the one before."""
    return all(y not in body or y == head or y == prev for y in ring[u])


def _walk(rng: random.Random, n: int, target: int) -> list[int]:
    nbrs, ring = neighbours(n, n), _ring(n)
    path = [rng.randrange(n * n)]
    body = set(path)
    while len(path) < target:
        head, prev = path[-1], path[-2] if len(path) > 1 else -1
        options = [u for u in nbrs[head] if u not in body and _fits(u, body, head, prev, ring)]
        if not options:
            break
        path.append(rng.choice(options))
        body.add(path[-1])
    return path


class _Snake(PathSearch):
    """Snakes from S to E, grown cell by cell from S (a non-touching path is fixed by its cell
    set, so counting paths counts cell sets). A cell may follow the head when it is free, touches
    no settled body cell, keeps every row and column within its count, keeps E at a distance
    the cells left can cover with the right parity, and leaves a flood fill that still reaches E
    and enough cells in every row and column. One such cell is a forced move, none a
    contradiction, several a guess in neighbour order. A snapshot is the path as a tuple;
    restoring takes the later cells back."""

    def __init__(self, state: State, record: bool = True):
        super().__init__(record)
        self.n = n = state.n
        self.nbrs, self.ring = neighbours(n, n), _ring(n)
        self.start = state.start[0] * n + state.start[1]
        self.end = state.end[0] * n + state.end[1]
        self.row_counts, self.col_counts = list(state.row_counts), list(state.col_counts)
        self.rows, self.cols = list(state.row_counts), list(state.col_counts)   # still needed
        self.total = sum(self.rows)
        self.path: list[int] = []
        self.body: set[int] = set()
        self.cover = [0] * (n * n)      # how many settled body cells surround each cell
        self.pending: tuple[int, list[int]] | None = None  # (length, fitting cells) for choose

    def picture(self, cells: list[int] | None = None) -> str:
        """The grid with S, E and snake cells '#'; during the search the edge numbers are the
        cells each row and column still needs, for a finished snake the full counts."""
        n, on = self.n, set(self.path if cells is None else cells)
        rows, cols = (self.rows, self.cols) if cells is None else (self.row_counts, self.col_counts)
        label = "column counts" if cells is not None or not self.path else "still needed per column"
        lines = [" ".join(str(c) for c in cols) + f"   ({label})"]
        for r in range(n):
            row = ["S" if r * n + c == self.start else "E" if r * n + c == self.end
                   else "#" if r * n + c in on else "." for c in range(n)]
            lines.append(" ".join(row) + f"   {rows[r]}")
        return "\n".join(lines)

    # -- the body ------------------------------------------------------------------------------
    def _push(self, u: int) -> None:
        self.path.append(u)
        self.body.add(u)
        self.rows[u // self.n] -= 1
        self.cols[u % self.n] -= 1
        if len(self.path) >= 3:      # the cell two back can no longer be a bend partner
            for y in self.ring[self.path[-3]]:
                self.cover[y] += 1
        self.pending = None

    def _pop(self) -> None:
        if len(self.path) >= 3:
            for y in self.ring[self.path[-3]]:
                self.cover[y] -= 1
        u = self.path.pop()
        self.body.discard(u)
        self.rows[u // self.n] += 1
        self.cols[u % self.n] += 1

    def _fitting(self) -> tuple[list[int], str]:
        """The cells that may follow the head, and why none may (worded only then)."""
        n, head = self.n, self.path[-1]
        prev = self.path[-2] if len(self.path) > 1 else -1
        left = self.total - len(self.path)
        near = []
        for u in self.nbrs[head]:
            if u in self.body or self.cover[u] or not _fits(u, self.body, head, prev, self.ring):
                continue
            if self.rows[u // n] == 0 or self.cols[u % n] == 0:
                continue
            if u == self.end:
                if left == 1:
                    return [u], ""       # the last cell: the snake is complete
                continue
            rest = left - 1
            dist = abs(u // n - self.end // n) + abs(u % n - self.end % n)
            if dist > rest or (rest - dist) % 2 or (dist == 1 and rest != 1):
                continue
            near.append(u)
        if not near:
            return [], (f"no cell can follow {_rc(head, n)}: every neighbour is taken, touches "
                        "the body, breaks a count or misses E's distance or parity")
        fits, cut = [], []
        for u in near:
            self._push(u)
            why = self._cut_off(u)
            self._pop()
            if why is None:
                fits.append(u)
            else:
                cut.append((u, why))
        if fits:
            return fits, ""
        return fits, "; ".join(f"the snake to {_rc(u, n)}: {why}" for u, why in cut)

    # -- the core's interface ----------------------------------------------------------------
    def deduce_title(self) -> str:
        return "Forced (the only cell the snake can enter)"

    def deductions(self):
        if not self.path:
            if self.rows[self.start // self.n] < 1 or self.cols[self.start % self.n] < 1:
                raise Contradiction("S lies in a row or column whose count is 0")
            self._push(self.start)
        while self.path[-1] != self.end:
            fits, why = self._fitting()
            if not fits:
                raise Contradiction(why)
            if len(fits) > 1:
                self.pending = (len(self.path), fits)
                return
            self._push(fits[0])
            self.placements += 1
            yield (_rc(fits[0], self.n) + (" (E)" if fits[0] == self.end else "")
                   if self.trace.room else "")

    def choose(self) -> tuple[int, list[int], str] | None:
        if self.path[-1] == self.end:
            return None
        if self.pending is None or self.pending[0] != len(self.path):
            self.pending = (len(self.path), self._fitting()[0])
        head = self.path[-1]
        return head, self.pending[1], f"the cell after {_rc(head, self.n)}"

    def guess_text(self, where: str, options: list) -> str:
        return (f"Nothing more is forced: from {_rc(self.path[-1], self.n)} the snake can go to "
                + ", ".join(_rc(u, self.n) for u in options) + "; I must guess.")

    def show_value(self, value: int) -> str:
        return _rc(value, self.n)

    def anchor(self) -> str:
        return self.picture()

    # -- pruning -------------------------------------------------------------------------------
    def _cut_off(self, head: int) -> str | None:
        """Flood fill from the head over cells the snake may still use; E and enough cells in
        every row and column must be reachable."""
        n = self.n
        seen, stack = {head}, [head]
        row_room, col_room = [0] * n, [0] * n
        while stack:
            x = stack.pop()
            for y in self.nbrs[x]:
                if y in seen or y in self.body or self.cover[y]:
                    continue
                if self.rows[y // n] == 0 or self.cols[y % n] == 0:
                    continue
                seen.add(y)
                stack.append(y)
                row_room[y // n] += 1
                col_room[y % n] += 1
        if self.end not in seen:
            return "E can no longer be reached"
        for i in range(n):
            if row_room[i] < self.rows[i]:
                return f"row {i} needs {self.rows[i]} more cells but only {row_room[i]} are reachable"
            if col_room[i] < self.cols[i]:
                return f"column {i} needs {self.cols[i]} more cells but only {col_room[i]} are reachable"
        return None


def _rc(cell: int, n: int) -> str:
    return f"({cell // n},{cell % n})"


register(Snake())
