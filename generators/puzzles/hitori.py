"""Hitori (puzzles; official label `hitori`).

Shade cells of a number grid so that no number repeats among the unshaded cells of a row or
column, no two shaded cells touch along a side, and the unshaded cells stay connected. The
generator starts from a Latin square, shades a maximal set of non-touching cells that keeps the
rest connected (so no further cell could be shaded), gives every shaded cell the number of an
unshaded cell in its row or column, and keeps the draw only when the solution is unique.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel, PrivateAttr

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._grid_drawing import gray_canvas, gray_png, gray_text, rc
from generators.search import search, traced
from generators.registry import register
from generators.render import grid


class Level(NamedTuple):
    side: int


LEVELS = {1: Level(4), 2: Level(5), 3: Level(6), 4: Level(7), 5: Level(8)}

WHITE, SHADED = 0, 1


class State(BaseModel):
    n: int
    grid: list[list[int]]
    shaded: list[tuple[int, int]]
    # the generator's uniqueness search, recorded: `solve` returns it instead of searching again
    _solved: Solution | None = PrivateAttr(default=None)


class Hitori(Task[State]):
    name = "hitori"
    category = "puzzles"
    official_name = "hitori"
    score_function = "hitori_evaluator"
    version = 2  # grey pictures (same look, palette PNG)
    levels = LEVELS
    rules = ("Shade some cells of the number grid. No number may appear twice among the unshaded "
             "cells of any row or column; two shaded cells never share a side; all unshaded "
             "cells form one group connected through shared sides.")
    answer_format = ("the set of shaded cells as (row, column) pairs counted from 0, "
                     "e.g. {(0, 4), (2, 1), (3, 3)}")

    def generate(self, rng: random.Random, level: int) -> State:
        n = self.params(level).side
        numbers = _latin(n, rng)
        shaded = _maximal_shading(n, rng)
        for r, c in sorted(shaded):
            peers = [numbers[r][k] for k in range(n) if (r, k) not in shaded] + \
                    [numbers[k][c] for k in range(n) if (k, c) not in shaded]
            numbers[r][c] = rng.choice(peers)
        model = _Model(numbers)
        res = search(model, [None] * (n * n), cap=2, budget=50_000, record=True)
        if len(res.solutions) != 1:
            raise Rejected("not unique")
        state = State(n=n, grid=numbers, shaded=sorted(shaded))
        state._solved = _solution(model, res)
        return state

    def solve(self, state: State) -> Solution:
        if state._solved is not None:
            return state._solved
        model = _Model(state.grid)
        return _solution(model, search(model, [None] * model.size, cap=2, budget=200_000, record=True))

    def question(self, state: State, variant: Variant) -> str:
        intro = f"Hitori ({state.n}x{state.n}). {self.rules}"
        if variant == "image":
            body = "The picture shows the number grid; rows and columns are numbered from 0."
        else:
            rows = "\n".join(" ".join(map(str, row)) for row in state.grid)
            body = f"The grid, one row per line:\n{rows}"
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell, pad = state.n, 54, 30
        image, draw = gray_canvas(pad + 10 + n * cell, pad + 10 + n * cell)
        grid(draw, pad, pad, n, n, cell, line=0, width=2)
        for i in range(n):
            gray_text(draw, (pad + (i + 0.5) * cell, pad / 2), str(i), 13, fill=120)
            gray_text(draw, (pad / 2, pad + (i + 0.5) * cell), str(i), 13, fill=120)
        for r in range(n):
            for c in range(n):
                gray_text(draw, (pad + (c + 0.5) * cell, pad + (r + 0.5) * cell), str(state.grid[r][c]), 26)
        return [gray_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"size": state.n, "grid": [list(row) for row in state.grid]}


def _solution(model: "_Model", res) -> Solution:
    """The recorded search `res` written up as the solver's answer and steps."""
    n = model.n
    intro = (f"The grid is {n}x{n}; cells are (row,col) from 0. In the grids below a plain "
             "number is kept unshaded, '#' is shaded and 'n?' is still open.")
    sol, found, nodes, steps = traced(model, [None] * (n * n), intro, res)
    cells = [(v // n, v % n) for v in range(n * n) if sol[v] == SHADED]
    answer = "{" + ", ".join(f"({r}, {c})" for r, c in cells) + "}"
    steps.append(Step(kind="conclude", text=f"{len(cells)} cells are shaded and every rule "
                      "holds.", anchor=answer))
    return Solution(answer=answer, steps=steps, num_solutions=found, effort=nodes)


def _latin(n: int, rng: random.Random) -> list[list[int]]:
    rows, cols, symbols = list(range(n)), list(range(n)), list(range(1, n + 1))
    for seq in (rows, cols, symbols):
        rng.shuffle(seq)
    return [[symbols[(rows[r] + cols[c]) % n] for c in range(n)] for r in range(n)]


def _maximal_shading(n: int, rng: random.Random) -> set[tuple[int, int]]:
    """Shade cells in random order whenever no neighbour is shaded and the rest stays connected."""
    shaded: set[tuple[int, int]] = set()
    order = [(r, c) for r in range(n) for c in range(n)]
    rng.shuffle(order)
    free = (1 << (n * n)) - 1  # unshaded cells as a bit mask, bit r*n+c
    for r, c in order:
        if any(nb in shaded for nb in _near(r, c, n)):
            continue
        rest = free & ~(1 << (r * n + c))
        if _connected_mask(n, rest):
            shaded.add((r, c))
            free = rest
    return shaded


def _connected_mask(n: int, cells: int) -> bool:
    """Whether the cells of the bit mask form one side-connected group (bit-parallel flood fill)."""
    if not cells:
        return True
    not_left, not_right = _edge_masks(n)
    seen = cells & -cells
    while True:
        grown = (seen | (seen << 1) & not_left | (seen >> 1) & not_right | seen << n | seen >> n) & cells
        if grown == seen:
            return seen == cells
        seen = grown


@lru_cache(maxsize=16)
def _edge_masks(n: int) -> tuple[int, int]:
    """Masks without column 0 (where a left shift would wrap in) and without column n-1."""
    col0 = sum(1 << (r * n) for r in range(n))
    full = (1 << (n * n)) - 1
    return full & ~col0, full & ~(col0 << (n - 1))


def _near(r: int, c: int, n: int) -> list[tuple[int, int]]:
    return [(a, b) for a, b in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)) if 0 <= a < n and 0 <= b < n]


class _Model:
    """Hitori as a search model: variables are cells row-major, values WHITE/SHADED."""

    def __init__(self, numbers: list[list[int]]):
        n = self.n = len(numbers)
        self.size = n * n
        self.num = [numbers[v // n][v % n] for v in range(n * n)]
        self.adj = [[a * n + b for a, b in _near(v // n, v % n, n)] for v in range(n * n)]
        rows = [[r * n + c for c in range(n)] for r in range(n)]
        cols = [[r * n + c for r in range(n)] for c in range(n)]
        self.lines = [(f"row {i}", line) for i, line in enumerate(rows)] + \
                     [(f"column {i}", line) for i, line in enumerate(cols)]
        self.line_of = [(rows[v // n], cols[v % n]) for v in range(n * n)]
        # sandwiches a-b-a force the middle unshaded: done once, before any search
        self.sandwich = sorted({line[k + 1] for _, line in self.lines for k in range(n - 2)
                                if self.num[line[k]] == self.num[line[k + 2]]})

    def cell(self, var: int) -> str:
        return rc(var, self.n)

    def show(self, val: int) -> str:
        return "shaded" if val == SHADED else "unshaded"

    def anchor(self, vals: list) -> str:
        n = self.n
        width = len(str(max(self.num))) + 1
        out = []
        for r in range(n):
            row = []
            for v in range(r * n, r * n + n):
                s = "#" if vals[v] == SHADED else f"{self.num[v]}?" if vals[v] is None else str(self.num[v])
                row.append(s.rjust(width))
            out.append(" ".join(row))
        return "\n".join(out)

    def deduce(self, vals: list):
        forced: list = []
        if all(v is None for v in vals):
            return None, [(v, WHITE, "a cell between two equal numbers stays unshaded "
                           "(one of the two is shaded)") for v in self.sandwich]
        num = self.num
        for v in range(self.size):
            if vals[v] == SHADED:
                for w in self.adj[v]:
                    if vals[w] == SHADED:
                        return f"shaded cells {self.cell(v)} and {self.cell(w)} touch", []
                    if vals[w] is None:
                        forced.append((w, WHITE, "next to a shaded cell"))
            elif vals[v] == WHITE:
                for line in self.line_of[v]:
                    for w in line:
                        if w != v and num[w] == num[v]:
                            if vals[w] == WHITE:
                                return (f"{self.cell(v)} and {self.cell(w)} both keep the "
                                        f"number {num[v]}"), []
                            if vals[w] is None:
                                forced.append((w, SHADED, f"repeats an unshaded {num[v]}"))
        if forced:
            return None, forced
        return self._connectivity(vals)

    def _connectivity(self, vals: list):
        """Open cells cut off from the unshaded ones must be shaded; an open cell whose shading
        would split the unshaded cells must stay unshaded (an articulation point)."""
        whites = [v for v in range(self.size) if vals[v] == WHITE]
        if not whites:
            return None, []
        total = len(whites)
        disc: dict[int, int] = {}
        low: dict[int, int] = {}
        sub_w: dict[int, int] = {}
        critical: set[int] = set()
        root = whites[0]
        disc[root] = low[root] = 0
        sub_w[root] = 1
        stack = [(root, -1, iter(self.adj[root]))]
        while stack:
            v, parent, it = stack[-1]
            advanced = False
            for w in it:
                if vals[w] == SHADED:
                    continue
                if w not in disc:
                    disc[w] = low[w] = len(disc)
                    sub_w[w] = 1 if vals[w] == WHITE else 0
                    stack.append((w, v, iter(self.adj[w])))
                    advanced = True
                    break
                if w != parent:
                    low[v] = min(low[v], disc[w])
            if advanced:
                continue
            stack.pop()
            if parent >= 0:
                low[parent] = min(low[parent], low[v])
                sub_w[parent] += sub_w[v]
                if vals[parent] is None and low[v] >= disc[parent] and 0 < sub_w[v] < total:
                    critical.add(parent)
        if sub_w[root] < total:
            return "the unshaded cells are split into separate groups", []
        forced = [(v, SHADED, "cut off from the unshaded cells") for v in range(self.size)
                  if vals[v] is None and v not in disc]
        forced += [(v, WHITE, "shading it would split the unshaded cells") for v in sorted(critical)]
        return None, forced

    def branch(self, vals: list) -> tuple[int, list[int]]:
        # prefer an open cell whose number still repeats among the open and unshaded cells
        num = self.num
        for v in range(self.size):
            if vals[v] is None and any(w != v and num[w] == num[v] and vals[w] != SHADED
                                       for line in self.line_of[v] for w in line):
                return v, [SHADED, WHITE]
        return next(v for v in range(self.size) if vals[v] is None), [SHADED, WHITE]

    def final(self, vals: list) -> str | None:
        return None  # deduce rejects touching shaded cells, repeats and splits


register(Hitori())
