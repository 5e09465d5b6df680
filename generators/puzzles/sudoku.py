"""Sudoku (puzzles; official label `sudoku`).

A 9x9 grid with some digits given; fill the rest so that every row, column and 3x3 box holds 1-9
once. Generation fills a random grid by randomized search, then removes clues one by one in random
order while the puzzle stays uniquely solvable, down to the level's clue count. The solver
propagates naked and hidden singles and, when they stall, guesses in the cell with the fewest
candidates and backs out of contradictions.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._digit_grid import board, cell_name, digits_of, grid_anchor, put_numbers
from generators.search import Contradiction, GuessSearch
from generators.registry import register
from generators.render import BLACK, BLUE, GREY, to_png


class Level(NamedTuple):
    givens: int  # given digits (fewer clues = longer propagation and more guessing)


LEVELS = {1: Level(40), 2: Level(36), 3: Level(32), 4: Level(28), 5: Level(24)}

ROW = [i // 9 for i in range(81)]
COL = [i % 9 for i in range(81)]
BOX = [(i // 27) * 3 + (i % 9) // 3 for i in range(81)]
UNITS = ([[r * 9 + c for c in range(9)] for r in range(9)]
         + [[r * 9 + c for r in range(9)] for c in range(9)]
         + [[(b // 3) * 27 + (b % 3) * 3 + (k // 3) * 9 + k % 3 for k in range(9)] for b in range(9)])
UNIT_NAME = [f"row {r}" for r in range(9)] + [f"column {c}" for c in range(9)] + [f"box {b}" for b in range(9)]
PEERS = [sorted({j for u in UNITS if i in u for j in u} - {i}) for i in range(81)]
ALL = 0b1111111110  # bits 1..9
POP = [bin(m).count("1") for m in range(1024)]
SEARCH_BUDGET = 4000  # search nodes per uniqueness test; over budget counts as "not proved unique"


class State(BaseModel):
    grid: list[list[int]]  # 9 rows of 9, 0 = empty


class _OverBudget(Exception):
    pass


def _search(cells: list[int], limit: int, budget: int, rng: random.Random | None = None
            ) -> tuple[int, list[int] | None]:
    """Count solutions up to `limit` by depth-first search on the most constrained cell (bit
    masks, no copying); returns (count, first solution). Raises _OverBudget past `budget` nodes.
    With `rng` the digits are tried in random order (used to fill an empty grid at random)."""
    cells = list(cells)
    rows, cols, boxes = [0] * 9, [0] * 9, [0] * 9
    empties = []
    for i, v in enumerate(cells):
        if v:
            bit = 1 << v
            if (rows[ROW[i]] | cols[COL[i]] | boxes[BOX[i]]) & bit:
                return 0, None
            rows[ROW[i]] |= bit
            cols[COL[i]] |= bit
            boxes[BOX[i]] |= bit
        else:
            empties.append(i)
    total = len(empties)
    found: list[list[int]] = []
    nodes = 0

    def descend(k: int) -> bool:
        nonlocal nodes
        if k == total:
            found.append(list(cells))
            return len(found) >= limit
        nodes += 1
        if nodes > budget:
            raise _OverBudget
        best_j, best_m, best_n = k, 0, 10
        for j in range(k, total):
            i = empties[j]
            m = ALL & ~(rows[ROW[i]] | cols[COL[i]] | boxes[BOX[i]])
            n = POP[m]
            if n < best_n:
                best_j, best_m, best_n = j, m, n
                if n <= 1:
                    break
        if best_n == 0:
            return False
        empties[k], empties[best_j] = empties[best_j], empties[k]
        i = empties[k]
        r, c, b = ROW[i], COL[i], BOX[i]
        choices = list(digits_of(best_m))
        if rng is not None:
            rng.shuffle(choices)
        for d in choices:
            bit = 1 << d
            rows[r] |= bit
            cols[c] |= bit
            boxes[b] |= bit
            cells[i] = d
            stop = descend(k + 1)
            rows[r] ^= bit
            cols[c] ^= bit
            boxes[b] ^= bit
            cells[i] = 0
            if stop:
                return True
        return False

    descend(0)
    return len(found), (found[0] if found else None)


def count_solutions(cells: list[int], limit: int = 2, budget: int = SEARCH_BUDGET) -> int | None:
    """Capped solution count; None when the search budget ran out first."""
    try:
        return _search(cells, limit, budget)[0]
    except _OverBudget:
        return None


def _thin(solution: list[int], target: int, rng: random.Random) -> list[int]:
    """Remove clues in random order while the puzzle keeps exactly one solution.

    Removing cell i from a unique puzzle lets a second solution in only if one exists with a
    different digit at i, so each removal tests the other candidate digits of i one at a time
    (usually refuted at once); a cell whose givens already force its digit is free to remove."""
    puzzle = list(solution)
    clues = 81
    for i in rng.sample(range(81), 81):
        if clues == target:
            break
        puzzle[i] = 0
        seen = 0
        for j in PEERS[i]:
            if puzzle[j]:
                seen |= 1 << puzzle[j]
        rivals = [d for d in digits_of(ALL & ~seen) if d != solution[i]]
        unique = True
        for d in rivals:
            puzzle[i] = d
            try:
                if _search(puzzle, 1, SEARCH_BUDGET)[0]:
                    unique = False
            except _OverBudget:
                unique = False  # not proved: keep the clue
            if not unique:
                break
        puzzle[i] = 0 if unique else solution[i]
        clues -= unique
    if clues != target:
        raise Rejected(f"could not thin below {clues} clues")
    return puzzle


# -- the recorded solver ------------------------------------------------------------------------


class _Solver(GuessSearch):
    """Singles propagation with guessing on the shared search core.

    `cand[i]` is the candidate mask of an empty cell (0 once filled). A run of singles becomes one
    deduce step listing its placements and the rule behind each; every guess, dead end and
    backtrack is its own step with the grid as anchor."""

    def __init__(self, cells: list[int]):
        super().__init__(record=True)
        self.cells = list(cells)
        self.cand = [0] * 81
        for i in range(81):
            if not self.cells[i]:
                seen = 0
                for j in PEERS[i]:
                    if self.cells[j]:
                        seen |= 1 << self.cells[j]
                self.cand[i] = ALL & ~seen

    def grid(self) -> list[list[int]]:
        return [self.cells[r * 9:(r + 1) * 9] for r in range(9)]

    def assign(self, i: int, d: int) -> None:
        self.cells[i] = d
        self.cand[i] = 0
        bit = 1 << d
        for j in PEERS[i]:
            if self.cand[j] & bit:
                self.cand[j] &= ~bit
                if not self.cand[j]:
                    raise Contradiction(f"cell {cell_name(ROW[j], COL[j])} has no candidate left "
                                        f"after {cell_name(ROW[i], COL[i])} = {d}")

    def next_single(self) -> tuple[int, int, str] | None:
        """A forced placement: a naked single (one candidate left in the cell), else a hidden
        single (a digit with one possible place in a unit). Raises on a dead unit."""
        for i in range(81):
            if self.cand[i] and POP[self.cand[i]] == 1:
                return i, digits_of(self.cand[i])[0], "naked single"
        for u, unit in enumerate(UNITS):
            placed = 0
            for j in unit:
                if self.cells[j]:
                    placed |= 1 << self.cells[j]
            for d in digits_of(ALL & ~placed):
                spots = [j for j in unit if self.cand[j] >> d & 1]
                if not spots:
                    raise Contradiction(f"digit {d} has no place left in {UNIT_NAME[u]}")
                if len(spots) == 1:
                    return spots[0], d, f"hidden single: only place for {d} in {UNIT_NAME[u]}"
        return None

    def deductions(self):
        while (single := self.next_single()) is not None:
            i, d, rule = single
            yield f"{cell_name(ROW[i], COL[i])} = {d} ({rule})"
            self.placements += 1
            self.assign(i, d)

    def deduce_title(self) -> str:
        return "Singles"

    def choose(self):
        open_cells = [i for i in range(81) if not self.cells[i]]
        if not open_cells:
            return None
        i = min(open_cells, key=lambda j: (POP[self.cand[j]], j))
        return i, list(digits_of(self.cand[i])), cell_name(ROW[i], COL[i])

    def snapshot(self):
        return list(self.cells), list(self.cand)

    def restore(self, snap) -> None:
        self.cells, self.cand = list(snap[0]), list(snap[1])

    def anchor(self) -> str:
        return grid_anchor(self.grid())


class Sudoku(Task[State]):
    name = "sudoku"
    category = "puzzles"
    official_name = "sudoku"
    score_function = "sudoku_evaluator"
    version = 2  # 2: the recorded solver runs on the shared search core (generators/search.py)
    levels = LEVELS
    unique = True
    rules = ("Fill the empty cells of the 9x9 grid with digits 1-9 so that every row, every "
             "column and every one of the nine 3x3 boxes contains each digit exactly once. "
             "The given digits stay as they are.")
    answer_format = ("the completed grid as 81 digits in row-major order separated by single "
                     "spaces, e.g. 5 3 4 6 7 8 9 1 2 6 7 2 ...")

    def generate(self, rng: random.Random, level: int) -> State:
        target = self.params(level).givens
        _, full = _search([0] * 81, 1, 10_000, rng=rng)
        if full is None:
            raise Rejected("random fill failed")
        puzzle = _thin(full, target, rng)
        return State(grid=[puzzle[r * 9:(r + 1) * 9] for r in range(9)])

    def solve(self, state: State) -> Solution:
        cells = [v for row in state.grid for v in row]
        solver = _Solver(cells)
        givens = sum(1 for v in cells if v)
        solver.steps.append(Step(
            kind="observe", text=f"{givens} digits are given and {81 - givens} cells are empty "
            "(rows and columns numbered 0-8, boxes 0-8 left to right, top to bottom). I place "
            "forced digits first: a naked single is a cell with one candidate left, a hidden "
            "single a digit with one possible cell in a row, column or box.",
            anchor=grid_anchor(state.grid)))
        if not solver.solve():
            raise Rejected("no solution")
        count = count_solutions(cells, 2)
        if count is None:
            raise Rejected("uniqueness not proved within budget")
        grid = solver.grid()
        solver.steps.append(Step(kind="check", text="Every cell is filled; each row, column and "
                                 "box holds 1-9 once and the givens are kept.",
                                 anchor=grid_anchor(grid)))
        answer = " ".join(str(v) for v in solver.cells)
        solver.steps.append(Step(kind="conclude", text="The grid row by row: " + answer + "."))
        return Solution(answer=answer, steps=solver.steps, num_solutions=count,
                        effort=solver.nodes + solver.placements)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Sudoku. " + self.rules
        if variant == "image":
            body = ("The picture shows the 9x9 grid; thick lines mark the 3x3 boxes and empty "
                    "cells are blank.")
        else:
            body = ("The grid row by row (0 = empty cell):\n"
                    + "\n".join(" ".join(map(str, row)) for row in state.grid))
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        cell = 40
        image, draw, x0, y0 = board(9, 9, cell, (12, 12, 12, 12))
        for k in range(10):
            width = 3 if k % 3 == 0 else 1
            color = BLACK if k % 3 == 0 else GREY
            draw.line([(x0, y0 + k * cell), (x0 + 9 * cell, y0 + k * cell)], fill=color, width=width)
            draw.line([(x0 + k * cell, y0), (x0 + k * cell, y0 + 9 * cell)], fill=color, width=width)
        put_numbers(draw, state.grid, x0, y0, cell, 24, fill=BLUE)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"grid": [list(row) for row in state.grid]}


register(Sudoku())
