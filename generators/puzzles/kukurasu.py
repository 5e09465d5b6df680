"""Kukurasu (puzzles; official label `Kukurasu`).

Blacken cells of an n x n grid so that in every row the column numbers (1..n) of its black cells
add up to the row's clue, and in every column the row numbers (1..n) add up to the column's clue.
The generator draws a random grid and reads off the sums, preferring draws whose solution is
unique; the solver keeps, per line, only the subsets of weights that make the sum and agree with
the cells decided so far, and fixes the cells all of them agree on.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel, PrivateAttr

from generators.base import Solution, Step, Task, Variant
from generators.puzzles._grid_drawing import gray_canvas, gray_png, gray_text, grid_text, rc
from generators.search import search, traced
from generators.registry import register
from generators.render import GREY, grid


class Level(NamedTuple):
    side: int
    black_share: float  # share of black cells


LEVELS = {1: Level(3, 0.5), 2: Level(4, 0.5), 3: Level(5, 0.5), 4: Level(6, 0.5), 5: Level(7, 0.5)}
DRAWS = 12  # grids drawn per attempt while looking for a unique one


class State(BaseModel):
    n: int
    row_sums: list[int]
    col_sums: list[int]
    # the generator's uniqueness search, recorded: `solve` returns it instead of searching again
    _solved: Solution | None = PrivateAttr(default=None)


class Kukurasu(Task[State]):
    name = "kukurasu"
    category = "puzzles"
    official_name = "Kukurasu"
    score_function = "kukurasu_evaluator"
    version = 2  # grey pictures (same look, palette PNG)
    levels = LEVELS
    rules = ("Blacken some cells of the grid (1 = black, 0 = white). In each row, the column "
             "numbers 1..n of its black cells add up to the number given for that row; in each "
             "column, the row numbers 1..n of its black cells add up to the number given for that "
             "column. Rows and columns are numbered from 1 for these weights.")
    answer_format = "the grid as a list of rows of 0/1, e.g. [[0, 0, 1], [1, 1, 0], [0, 1, 0]]"

    def generate(self, rng: random.Random, level: int) -> State:
        n, share = self.params(level)
        best = None
        for _ in range(DRAWS):
            cells = [1 if rng.random() < share else 0 for _ in range(n * n)]
            rows = [sum(c + 1 for c in range(n) if cells[r * n + c]) for r in range(n)]
            cols = [sum(r + 1 for r in range(n) if cells[r * n + c]) for c in range(n)]
            best = State(n=n, row_sums=rows, col_sums=cols)
            model = _Model(n, rows, cols)
            res = search(model, [None] * (n * n), cap=2, budget=50_000, record=True)
            best._solved = _solution(best, model, res)
            if len(res.solutions) == 1:
                break
        return best

    def solve(self, state: State) -> Solution:
        if state._solved is not None:
            return state._solved
        model = _Model(state.n, state.row_sums, state.col_sums)
        return _solution(state, model, search(model, [None] * model.size, cap=2, budget=200_000,
                                              record=True))

    def question(self, state: State, variant: Variant) -> str:
        intro = f"Kukurasu ({state.n}x{state.n}). {self.rules}"
        if variant == "image":
            body = ("The picture shows the grid: the grey numbers along the top and left are the "
                    "weights, the row sums stand to the right of each row and the column sums "
                    "below each column.")
        else:
            body = (f"Row sums from top to bottom: {state.row_sums}.\n"
                    f"Column sums from left to right: {state.col_sums}.")
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell, pad = state.n, 52, 34
        size = 2 * pad + n * cell
        image, draw = gray_canvas(size + 6, size + 6)
        grid(draw, pad, pad, n, n, cell, line=0, width=2)
        for i in range(n):
            mid = pad + (i + 0.5) * cell
            gray_text(draw, (mid, pad / 2), str(i + 1), 14, fill=GREY[0])
            gray_text(draw, (pad / 2, mid), str(i + 1), 14, fill=GREY[0])
            gray_text(draw, (pad + n * cell + pad / 2, mid), str(state.row_sums[i]), 20)
            gray_text(draw, (mid, pad + n * cell + pad / 2), str(state.col_sums[i]), 20)
        return [gray_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"size": state.n, "row_sums": list(state.row_sums), "col_sums": list(state.col_sums)}


def _solution(state: State, model: "_Model", res) -> Solution:
    """The recorded search `res` written up as the solver's answer and steps."""
    n = state.n
    intro = (f"The grid is {n}x{n}; cells are (row,col) from 0, weights are 1..{n}. Row sums "
             f"{state.row_sums}, column sums {state.col_sums}. '.' = undecided.")
    sol, found, nodes, steps = traced(model, [None] * (n * n), intro, res)
    answer = "[" + ", ".join("[" + ", ".join(str(sol[r * n + c]) for c in range(n)) + "]"
                             for r in range(n)) + "]"
    steps.append(Step(kind="conclude", text="Every row and column sum is met.", anchor=answer))
    return Solution(answer=answer, steps=steps, num_solutions=found, effort=nodes)


@lru_cache(maxsize=16)
def _masks(n: int) -> dict[int, tuple[int, ...]]:
    """Weight sum -> the bit masks (bit k = weight k+1) that make it."""
    table: dict[int, list[int]] = {}
    for mask in range(1 << n):
        table.setdefault(sum(k + 1 for k in range(n) if mask >> k & 1), []).append(mask)
    return {s: tuple(m) for s, m in table.items()}


class _Model:
    """Kukurasu as a search model: variables are cells row-major, values 0/1."""

    def __init__(self, n: int, rows: list[int], cols: list[int]):
        self.n, self.size = n, n * n
        masks = _masks(n)
        self.lines = [(f"row {i} (sum {t})", [i * n + c for c in range(n)], masks.get(t, ()))
                      for i, t in enumerate(rows)] + \
                     [(f"column {i} (sum {t})", [r * n + i for r in range(n)], masks.get(t, ()))
                      for i, t in enumerate(cols)]
        # (line, black mask, white mask) -> (positions every fitting choice blackens, any does)
        self._memo: dict[tuple[int, int, int], tuple[int, int]] = {}

    def cell(self, var: int) -> str:
        return rc(var, self.n)

    def show(self, val: int) -> str:
        return str(val)

    def anchor(self, vals: list) -> str:
        return grid_text(vals, self.n, str)

    def deduce(self, vals: list):
        n = self.n
        full = (1 << n) - 1
        # per line (rows, then columns) the positions decided black / white, as bit masks
        ones, zeros = [0] * (2 * n), [0] * (2 * n)
        for v, x in enumerate(vals):
            if x is not None:
                r, c = divmod(v, n)
                side = ones if x == 1 else zeros
                side[r] |= 1 << c
                side[n + c] |= 1 << r
        forced = []
        for i, (name, line, options) in enumerate(self.lines):
            one, zero = ones[i], zeros[i]
            if one | zero == full:
                if one not in options:
                    return f"{name} is full but its black cells do not make the sum", []
                continue
            key = (i, one, zero)
            if key not in self._memo:
                must, may = full, 0
                for m in options:
                    if m & one == one and not m & zero:
                        must &= m
                        may |= m
                self._memo[key] = (must, may)
            must, may = self._memo[key]
            if not may and must == full:
                return f"no choice of cells in {name} makes the sum", []
            decided = (must | ~may) & full & ~(one | zero)
            while decided:
                low = decided & -decided
                k = low.bit_length() - 1
                decided ^= low
                if must & low:
                    forced.append((line[k], 1, f"{name}: every way to make the sum uses it"))
                else:
                    forced.append((line[k], 0, f"{name}: no way to make the sum uses it"))
        return None, forced

    def branch(self, vals: list) -> tuple[int, list[int]]:
        return vals.index(None), [1, 0]

    def final(self, vals: list) -> str | None:
        return None  # deduce checks every full line


register(Kukurasu())
