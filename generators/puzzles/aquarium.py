"""Aquarium (puzzles; official label `aquarium`).

The grid is split into tanks (regions). Fill some cells with water so that each row and column
holds as many water cells as its clue says. Water rests on the bottom of its tank: if a cell of a
tank is full, every cell of that tank in the same row or lower is full too, so a tank's water has
one flat level. The generator grows random tanks, picks a level per tank and reads off the clues,
keeping draws with a unique solution; the solver spreads water down and dryness up each tank,
fills rows by which tank segments can make up the count, and guesses when stuck.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._grid_drawing import label, thick_borders
from generators.search import count, solve_traced
from generators.registry import register
from generators.render import BLACK, GREY, LIGHT, canvas, grid, to_png


class Level(NamedTuple):
    side: int
    smallest_tank: int  # cells
    largest_tank: int


LEVELS = {1: Level(4, 2, 4), 2: Level(5, 2, 5), 3: Level(6, 2, 6), 4: Level(7, 3, 7), 5: Level(8, 3, 8)}


class State(BaseModel):
    n: int
    regions: list[list[int]]
    row_clues: list[int]
    col_clues: list[int]


class Aquarium(Task[State]):
    name = "aquarium"
    category = "puzzles"
    official_name = "aquarium"
    score_function = "aquarium_evaluator"
    levels = LEVELS
    rules = ("The grid is divided into tanks (outlined regions). Fill some cells with water so "
             "that each row and each column holds exactly as many water cells as its clue. Water "
             "rests on the bottom of its tank with a flat surface: if a cell of a tank holds "
             "water, every cell of the same tank in that row or any lower row holds water too.")
    answer_format = ("the water cells as (x, y) pairs counted from 0, x = column (left to right), "
                     "y = row (top to bottom), e.g. [(2, 1), (3, 1), (0, 3)]")

    def generate(self, rng: random.Random, level: int) -> State:
        n, low, high = self.params(level)
        regions = _tanks(n, low, high, rng)
        water = set()
        for k in range(max(max(row) for row in regions) + 1):
            cells = [(r, c) for r in range(n) for c in range(n) if regions[r][c] == k]
            rows = sorted({r for r, _ in cells})
            top = rng.choice(rows + [n, n])  # n: the tank stays dry
            water |= {(r, c) for r, c in cells if r >= top}
        rows = [sum((r, c) in water for c in range(n)) for r in range(n)]
        cols = [sum((r, c) in water for r in range(n)) for c in range(n)]
        state = State(n=n, regions=regions, row_clues=rows, col_clues=cols)
        found, _ = count(_Model(state), [None] * (n * n), budget=20_000)
        if found != 1:
            raise Rejected("not unique")
        return state

    def solve(self, state: State) -> Solution:
        n = state.n
        intro = (f"The grid is {n}x{n} with {max(max(r) for r in state.regions) + 1} tanks; cells "
                 "are written (x,y) with x the column and y the row, both from 0. Row clues "
                 f"{state.row_clues}, column clues {state.col_clues}. Grids: '~' water, 'o' dry, "
                 "'.' open.")
        sol, found, nodes, steps = solve_traced(_Model(state), [None] * (n * n), intro)
        cells = [(v % n, v // n) for v in range(n * n) if sol[v] == 1]
        answer = "[" + ", ".join(f"({x}, {y})" for x, y in cells) + "]"
        steps.append(Step(kind="conclude", text=f"{len(cells)} cells hold water; every clue and "
                          "every tank level checks out.", anchor=answer))
        return Solution(answer=answer, steps=steps, num_solutions=found, effort=nodes)

    def question(self, state: State, variant: Variant) -> str:
        intro = f"Aquarium ({state.n}x{state.n}). {self.rules}"
        if variant == "image":
            body = ("The picture shows the grid with thick lines around the tanks; the clue above "
                    "each column and left of each row gives its number of water cells. The small "
                    "grey numbers below and to the right are the x and y indices.")
        else:
            rows = "\n".join(" ".join(chr(65 + k) if k < 26 else str(k) for k in row)
                             for row in state.regions)
            body = (f"Tanks, one row per line (equal letters = same tank):\n{rows}\n"
                    f"Row clues from top to bottom: {state.row_clues}\n"
                    f"Column clues from left to right: {state.col_clues}")
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell, pad = state.n, 50, 34
        side = 2 * pad + n * cell
        image, draw = canvas(side, side)
        grid(draw, pad, pad, n, n, cell, line=LIGHT, width=1)
        thick_borders(draw, pad, pad, state.regions, cell, width=3)
        for i in range(n):
            mid = pad + (i + 0.5) * cell
            label(draw, (mid, pad / 2), str(state.col_clues[i]), 20, fill=BLACK)
            label(draw, (pad / 2, mid), str(state.row_clues[i]), 20, fill=BLACK)
            label(draw, (mid, pad + n * cell + pad / 2), str(i), 12, fill=GREY)
            label(draw, (pad + n * cell + pad / 2, mid), str(i), 12, fill=GREY)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"size": state.n, "regions": [list(r) for r in state.regions],
                "row_clues": list(state.row_clues), "col_clues": list(state.col_clues)}


def _tanks(n: int, low: int, high: int, rng: random.Random) -> list[list[int]]:
    """Connected tanks grown from random seeds; leftovers join a neighbouring tank."""
    owner = [[-1] * n for _ in range(n)]
    order = [(r, c) for r in range(n) for c in range(n)]
    rng.shuffle(order)
    sizes: list[int] = []
    for start in order:
        if owner[start[0]][start[1]] >= 0:
            continue
        k, want = len(sizes), rng.randint(low, high)
        cells = [start]
        owner[start[0]][start[1]] = k
        while len(cells) < want:
            frontier = sorted({(r + dr, c + dc) for r, c in cells for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))
                               if 0 <= r + dr < n and 0 <= c + dc < n and owner[r + dr][c + dc] < 0})
            if not frontier:
                break
            r, c = rng.choice(frontier)
            owner[r][c] = k
            cells.append((r, c))
        sizes.append(len(cells))
    # renumber in reading order so the labels are stable and compact
    names: dict[int, int] = {}
    for r in range(n):
        for c in range(n):
            names.setdefault(owner[r][c], len(names))
    return [[names[owner[r][c]] for c in range(n)] for r in range(n)]


class _Model:
    """Aquarium as a search model: variables are cells row-major, 1 = water, 0 = dry."""

    def __init__(self, state: State):
        n = self.n = state.n
        self.size = n * n
        self.rows, self.cols = state.row_clues, state.col_clues
        self.region = [state.regions[v // n][v % n] for v in range(n * n)]
        tanks: dict[int, list[int]] = {}
        for v in range(n * n):
            tanks.setdefault(self.region[v], []).append(v)
        self.tanks = [tanks[k] for k in sorted(tanks)]

    def cell(self, var: int) -> str:
        return f"({var % self.n},{var // self.n})"

    def show(self, val: int) -> str:
        return "water" if val else "dry"

    def anchor(self, vals: list) -> str:
        n = self.n
        sym = {None: ".", 0: "o", 1: "~"}
        return "\n".join(" ".join(sym[vals[r * n + c]] for c in range(n)) + f"  | {self.rows[r]}"
                         for r in range(n))

    def deduce(self, vals: list):
        forced = []
        n = self.n
        for k, cells in enumerate(self.tanks):
            wet = [v // n for v in cells if vals[v] == 1]
            dry = [v // n for v in cells if vals[v] == 0]
            top_wet = min(wet) if wet else n
            low_dry = max(dry) if dry else -1
            if low_dry >= top_wet:
                return (f"the tank of {self.cell(cells[0])} would hold water in row {top_wet} "
                        f"but be dry in row {low_dry} at or below it"), []
            for v in cells:
                if vals[v] is None:
                    if v // n >= top_wet:
                        forced.append((v, 1, "water settles down: cells of a tank at or below "
                                       "a water row fill"))
                    elif v // n <= low_dry:
                        forced.append((v, 0, "a dry cell keeps its tank dry at its row and above"))
        if forced:
            return None, forced
        for r in range(n):
            line = list(range(r * n, r * n + n))
            why, more = self._row(vals, line, self.rows[r], f"row y={r} needs {self.rows[r]}")
            if why:
                return why, []
            forced += more
        for c in range(n):
            line = list(range(c, n * n, n))
            need = self.cols[c] - sum(vals[v] == 1 for v in line)
            open_ = [v for v in line if vals[v] is None]
            if need < 0 or need > len(open_):
                return f"column x={c} cannot reach its clue {self.cols[c]}", []
            if open_ and need in (0, len(open_)):
                rule = f"column x={c} needs {self.cols[c]}: " + ("it is full" if need == 0 else
                                                                 "all its open cells must fill")
                forced += [(v, 1 if need else 0, rule) for v in open_]
        return None, forced

    def _row(self, vals: list, line: list[int], clue: int, name: str):
        """Cells of one tank in one row fill together: which tank segments can make the count?"""
        need = clue - sum(vals[v] == 1 for v in line)
        segs: dict[int, list[int]] = {}
        for v in line:
            if vals[v] is None:
                segs.setdefault(self.region[v], []).append(v)
        blocks = list(segs.values())
        sizes = [len(b) for b in blocks]
        must, may = (1 << len(blocks)) - 1, 0
        for mask in range(1 << len(blocks)):
            if sum(sizes[i] for i in range(len(blocks)) if mask >> i & 1) == need:
                must &= mask
                may |= mask
        if may == 0 and need != 0:
            return f"{name}: no choice of tank segments makes the count", []
        forced = []
        for i, block in enumerate(blocks):
            if must >> i & 1 and need:
                forced += [(v, 1, f"{name}: every way to make the count floods this segment") for v in block]
            elif not may >> i & 1:
                forced += [(v, 0, f"{name}: no way to make the count uses this segment") for v in block]
        return None, forced

    def branch(self, vals: list) -> tuple[int, list[int]]:
        # guess the lowest open cell of a tank: water there is the tank's deepest choice
        v = max((v for v in range(self.size) if vals[v] is None), key=lambda v: (v // self.n, -v))
        return v, [1, 0]

    def final(self, vals: list) -> str | None:
        return None  # deduce has checked every row, column and tank


register(Aquarium())
