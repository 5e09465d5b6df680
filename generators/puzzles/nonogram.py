"""Nonogram (puzzles; official label `nonogram`).

Row and column clues give the lengths of the blocks of filled cells in order; find the picture.
Generation draws a random picture, takes its clues and keeps it only if no other picture has the
same clues (capped counter). The solver is a line solver: in each row or column it lists the block
placements that agree with the cells known so far and fixes the cells on which all of them agree;
when no line yields anything it guesses a cell and backs out of contradictions.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._digit_grid import board
from generators.search import Contradiction, GuessSearch, OverBudget
from generators.registry import register
from generators.render import BLACK, GREY, font, text_center, to_png


class Level(NamedTuple):
    side: int
    filled_share: float  # share of filled cells


LEVELS = {1: Level(3, 0.55), 2: Level(4, 0.55), 3: Level(5, 0.55), 4: Level(6, 0.55), 5: Level(7, 0.55)}
COUNT_BUDGET = 3000


class State(BaseModel):
    row_clues: list[list[int]]  # [0] = an empty line
    col_clues: list[list[int]]


def clue_of(bits: list[int]) -> list[int]:
    blocks, run = [], 0
    for b in bits + [0]:
        if b:
            run += 1
        elif run:
            blocks.append(run)
            run = 0
    return blocks or [0]


@lru_cache(maxsize=None)
def placements(clue: tuple[int, ...], n: int) -> tuple[int, ...]:
    """Every way to lay the blocks in a line of n cells, as bit masks (bit i = cell i filled)."""
    blocks = [b for b in clue if b]
    if not blocks:
        return (0,)
    out = []

    def lay(k: int, start: int, mask: int) -> None:
        if k == len(blocks):
            out.append(mask)
            return
        rest = sum(blocks[k + 1:]) + len(blocks) - k - 1
        for s in range(start, n - rest - blocks[k] + 1):
            lay(k + 1, s + blocks[k] + 1, mask | ((1 << blocks[k]) - 1) << s)

    lay(0, 0, 0)
    return tuple(out)


class _Nonogram(GuessSearch):
    """Cells hold -1 (unknown), 0 (empty) or 1 (filled); lines 0..n-1 are rows, n..2n-1 columns."""

    def __init__(self, state: State, record: bool = True):
        super().__init__(record)
        self.n = n = len(state.row_clues)
        self.cell = [-1] * (n * n)
        self.lines = ([[r * n + c for c in range(n)] for r in range(n)]
                      + [[r * n + c for r in range(n)] for c in range(n)])
        self.names = ([f"row {r} (clue {' '.join(map(str, cl))})" for r, cl in enumerate(state.row_clues)]
                      + [f"column {c} (clue {' '.join(map(str, cl))})" for c, cl in enumerate(state.col_clues)])
        self.pats = [placements(tuple(cl), n) for cl in state.row_clues + state.col_clues]
        self.dirty = set(range(2 * n))

    def deduce_title(self) -> str:
        return "Line solving"

    def deductions(self):
        n = self.n
        full = (1 << n) - 1
        while self.dirty:
            line = min(self.dirty)
            self.dirty.discard(line)
            cells = self.lines[line]
            filled = empty = 0
            for k, i in enumerate(cells):
                if self.cell[i] == 1:
                    filled |= 1 << k
                elif self.cell[i] == 0:
                    empty |= 1 << k
            fits = [p for p in self.pats[line] if p & empty == 0 and p & filled == filled]
            if not fits:
                raise Contradiction(f"no placement of the blocks fits {self.names[line]}")
            always, never = full, full
            for p in fits:
                always &= p
                never &= ~p
            new_filled = always & ~filled
            new_empty = never & ~empty
            if not (new_filled or new_empty):
                continue
            for k, i in enumerate(cells):
                if (new_filled | new_empty) >> k & 1:
                    self.cell[i] = 1 if new_filled >> k & 1 else 0
                    self.placements += 1
                    cross = n + i % n if line < n else i // n
                    self.dirty.add(cross)
            if self.record:
                parts = []
                if new_filled:
                    parts.append("fill " + ", ".join(str(k) for k in range(n) if new_filled >> k & 1))
                if new_empty:
                    parts.append("empty " + ", ".join(str(k) for k in range(n) if new_empty >> k & 1))
                fit = "1 placement fits" if len(fits) == 1 else f"{len(fits)} placements fit, all agree"
                yield f"{self.names[line]}: {fit}: {'; '.join(parts)}"

    def choose(self):
        for i, v in enumerate(self.cell):
            if v < 0:
                return i, ["X", "."], f"cell ({i // self.n},{i % self.n})"
        return None

    def assign(self, i: int, value: str) -> None:
        self.cell[i] = 1 if value == "X" else 0
        self.dirty.update((i // self.n, self.n + i % self.n))

    def snapshot(self):
        return list(self.cell)

    def restore(self, snap) -> None:
        self.cell = list(snap)
        self.dirty = set()

    def anchor(self) -> str:
        sym = {-1: "?", 0: ".", 1: "X"}
        return "\n".join("".join(sym[v] for v in self.cell[r * self.n:(r + 1) * self.n])
                         for r in range(self.n))


class Nonogram(Task[State]):
    name = "nonogram"
    category = "puzzles"
    official_name = "nonogram"
    score_function = "nonogram_evaluator"
    levels = LEVELS
    unique = True
    rules = ("Fill some cells of the square grid. The numbers beside each row (left to right) and "
             "above each column (top to bottom) give, in order, the lengths of the blocks of "
             "consecutive filled cells in that line; blocks are separated by at least one empty "
             "cell, and 0 means the line is empty.")
    answer_format = ("the grid as one line per row, X for a filled cell and . for an empty one, "
                     "e.g.\nX.X\n.XX\nXX.")

    def generate(self, rng: random.Random, level: int) -> State:
        n, density = self.params(level)
        grid = [[int(rng.random() < density) for _ in range(n)] for _ in range(n)]
        state = State(row_clues=[clue_of(row) for row in grid],
                      col_clues=[clue_of([grid[r][c] for r in range(n)]) for c in range(n)])
        if any(cl == [0] for cl in state.row_clues + state.col_clues) and n > 3:
            raise Rejected("empty line")
        try:
            if _Nonogram(state, record=False).count(2, COUNT_BUDGET) != 1:
                raise Rejected("not unique")
        except OverBudget:
            raise Rejected("uniqueness not proved within budget") from None
        return state

    def solve(self, state: State) -> Solution:
        solver = _Nonogram(state)
        n = solver.n
        solver.steps.append(Step(
            kind="observe", text=f"A {n}x{n} grid (rows and columns from 0; X = filled, "
            ". = empty, ? = unknown). In each line I keep only the block placements that agree "
            "with the known cells; a cell on which all of them agree is fixed.",
            anchor=solver.anchor()))
        if not solver.solve():
            raise Rejected("no solution")
        try:
            count = _Nonogram(state, record=False).count(2, COUNT_BUDGET)
        except OverBudget:
            raise Rejected("uniqueness not proved within budget") from None
        answer = solver.anchor()
        solver.steps.append(Step(kind="check", text="Every row and column now shows exactly its "
                                 "clue's blocks.", anchor=answer))
        solver.steps.append(Step(kind="conclude", text="The picture is found."))
        return Solution(answer=answer, steps=solver.steps, num_solutions=count,
                        effort=solver.nodes + solver.placements)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Nonogram. " + self.rules
        n = len(state.row_clues)
        if variant == "image":
            body = (f"The picture shows the empty {n}x{n} grid with each row's clue on its left "
                    "and each column's clue above it.")
        else:
            body = ("Row clues, top to bottom:\n"
                    + "\n".join(f"row {r}: {' '.join(map(str, cl))}" for r, cl in enumerate(state.row_clues))
                    + "\nColumn clues, left to right:\n"
                    + "\n".join(f"column {c}: {' '.join(map(str, cl))}" for c, cl in enumerate(state.col_clues)))
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}"

    def render(self, state: State) -> list[bytes]:
        n = len(state.row_clues)
        cell = 40
        left = 20 + 24 * max(len(cl) for cl in state.row_clues)
        top = 14 + 20 * max(len(cl) for cl in state.col_clues)
        image, draw, x0, y0 = board(n, n, cell, (left, top, 12, 12))
        for r, cl in enumerate(state.row_clues):
            draw.text((x0 - 8, y0 + (r + 0.5) * cell), "  ".join(map(str, cl)), font=font(17),
                      fill=BLACK, anchor="rm")
        for c, cl in enumerate(state.col_clues):
            for k, v in enumerate(reversed(cl)):
                text_center(draw, (x0 + (c + 0.5) * cell, y0 - 14 - 20 * k), str(v), 17)
        for k in range(n + 1):
            color, width = (BLACK, 2) if k in (0, n) else (GREY, 1)
            draw.line([(x0, y0 + k * cell), (x0 + n * cell, y0 + k * cell)], fill=color, width=width)
            draw.line([(x0 + k * cell, y0), (x0 + k * cell, y0 + n * cell)], fill=color, width=width)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"row_clues": [list(cl) for cl in state.row_clues],
                "col_clues": [list(cl) for cl in state.col_clues]}


register(Nonogram())
