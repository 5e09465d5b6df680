"""Campsite (puzzles; official label `campsite`), also known as Tents.

The official rules: tents go on empty cells; every tent stands orthogonally next to at least one
tree (there is no one-to-one pairing: a tree may have no tent, and two tents may share a tree);
no two tents touch, not even diagonally; the tents per row and column match the margins. The
generator pitches non-touching tents, grows a tree beside each and a few extra trees elsewhere
(as in the public puzzles, trees may outnumber tents); a propagating backtracking search proves
the tent set unique under these rules (capped count), and ambiguous draws are rejected.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._place import KING, ORTHO, board, grid_text, pairs_text
from generators.search import count, solve_traced
from generators.registry import register
from generators.render import BLUE, GREEN, text_center, to_png


class Level(NamedTuple):
    side: int
    tents: int
    extra_trees: int  # trees beyond the one beside each tent


LEVELS = {
    1: Level(4, 3, 1),
    2: Level(5, 5, 1),
    3: Level(6, 7, 2),
    4: Level(7, 9, 2),
    5: Level(8, 12, 3),
}
NODE_BUDGET = 50_000  # placements and guesses per search; a draw that needs more is rejected
TREE, TENT, EMPTY, OPEN = "T", "C", ".", "?"


class State(BaseModel):
    grid: list[str]               # rows of "T" (tree) and "X" (empty cell), as the benchmark writes
    row_constraints: list[int]
    col_constraints: list[int]


class Campsite(Task[State]):
    name = "campsite"
    category = "puzzles"
    official_name = "campsite"
    score_function = "campsite_evaluator"
    # 2: the official rules (a tent needs a tree beside it, not a tree of its own)
    version = 3  # 3: the search runs on the shared core (generators/search.py)
    levels = LEVELS
    unique = False
    rules = ("Place tents on empty cells (never on a tree). 1) Each tent must be orthogonally "
             "adjacent (up, down, left or right) to at least one tree; a tree may be left "
             "without a tent, and tents may share a tree. 2) No two tents are adjacent, not even "
             "diagonally. 3) The number of tents in each row and each column equals the number "
             "given for that row or column.")
    answer_format = ("the tent cells as a list of [row, column] pairs, 1-based with the top-left "
                     "cell [1, 1], e.g. [[1, 3], [3, 1], [4, 3]]")

    def generate(self, rng: random.Random, level: int) -> State:
        n, tents, extra = self.params(level)
        cells = [(r, c) for r in range(n) for c in range(n)]
        rng.shuffle(cells)
        placed: list[tuple[int, int]] = []
        for r, c in cells:
            if len(placed) < tents and all(max(abs(r - a), abs(c - b)) > 1 for a, b in placed):
                placed.append((r, c))
        if len(placed) < tents:
            raise Rejected("tents do not fit")
        grid = [["X"] * n for _ in range(n)]
        taken = set(placed)
        for r, c in placed:
            spots = [(r + dr, c + dc) for dr, dc in ORTHO
                     if 0 <= r + dr < n and 0 <= c + dc < n and (r + dr, c + dc) not in taken]
            if not spots:
                raise Rejected("no room for a tree")
            tr, tc = rng.choice(spots)
            grid[tr][tc] = TREE
            taken.add((tr, tc))
        # extra trees: the count of trees says nothing about the count of tents
        for r, c in rng.sample(sorted(set(cells) - taken), extra):
            grid[r][c] = TREE
        state = State(grid=["".join(row) for row in grid],
                      row_constraints=[sum(r == i for r, _ in placed) for i in range(n)],
                      col_constraints=[sum(c == i for _, c in placed) for i in range(n)])
        model = _Model(state)
        found, _ = count(model, [None] * model.size, budget=NODE_BUDGET)
        if found != 1:
            raise Rejected("more than one tent layout")
        return state

    def solve(self, state: State) -> Solution:
        model = _Model(state)
        n = model.n
        intro = (f"The grid is {n}x{n} with {len(model.trees)} trees and {sum(model.rows)} tents "
                 "to place; cells are (row,column) from 1. A tent needs a tree orthogonally next "
                 "to it, so cells with no tree beside them stay empty (.); C marks a tent, ? an "
                 "undecided cell.")
        sol, found, nodes, steps = solve_traced(model, [None] * model.size, intro, budget=NODE_BUDGET)
        tents = [(r + 1, c + 1) for (r, c), v in zip(model.cells, sol) if v == TENT]
        answer = pairs_text(tents, "[]")
        steps.append(Step(kind="conclude", text=f"The {len(tents)} tents, 1-based (row, column).",
                          anchor=answer))
        return Solution(answer=answer, steps=steps, num_solutions=found, effort=nodes)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Campsite (Tents). " + self.rules
        if variant == "image":
            body = ("The picture shows the grid: trees are drawn as green trees, the number to the "
                    "right of each row and below each column is its tent count; rows and columns "
                    "are numbered from 1.")
        else:
            rows = "\n".join(f"row {i + 1}: {' '.join(row)}  (tents: {k})"
                             for i, (row, k) in enumerate(zip(state.grid, state.row_constraints)))
            body = (f"The grid has {len(state.grid)} rows and columns; T is a tree, X an empty "
                    f"cell.\n{rows}\nTents per column, left to right: {state.col_constraints}")
        return f"{intro}\n\n{body}\n\nWhere are the tents? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell = len(state.grid), 56
        image, draw, x0, y0 = board(n, n, cell, right=cell, bottom=cell, index_base=1)
        for r, row in enumerate(state.grid):
            for c, ch in enumerate(row):
                box = (x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell, y0 + (r + 1) * cell)
                draw.rectangle(box, fill=(236, 246, 226), outline=(0, 0, 0))
                if ch == TREE:
                    _tree(draw, box)
        for i, k in enumerate(state.row_constraints):
            text_center(draw, (x0 + n * cell + cell / 2, y0 + (i + 0.5) * cell), str(k), 22, fill=BLUE)
        for i, k in enumerate(state.col_constraints):
            text_center(draw, (x0 + (i + 0.5) * cell, y0 + n * cell + cell / 2), str(k), 22, fill=BLUE)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"input_grid": [list(row) for row in state.grid],
                "row_constraints": list(state.row_constraints),
                "col_constraints": list(state.col_constraints)}


def _tree(draw, box: tuple[int, int, int, int]) -> None:
    x0, y0, x1, y1 = box
    w, h = x1 - x0, y1 - y0
    draw.rectangle((x0 + w * 0.44, y0 + h * 0.66, x0 + w * 0.56, y0 + h * 0.86), fill=(120, 72, 30))
    draw.polygon([(x0 + w / 2, y0 + h * 0.12), (x0 + w * 0.2, y0 + h * 0.7),
                  (x0 + w * 0.8, y0 + h * 0.7)], fill=GREEN)


class _Model:
    """Campsite as a search model: variables are the empty cells beside a tree (row-major; no
    other cell can hold a tent), values TENT or EMPTY."""

    def __init__(self, state: State):
        n = self.n = len(state.grid)
        self.rows, self.cols = state.row_constraints, state.col_constraints
        self.trees = {(r, c) for r, row in enumerate(state.grid) for c, ch in enumerate(row) if ch == TREE}
        near = {(r + dr, c + dc) for r, c in self.trees for dr, dc in ORTHO}
        self.cells = [(r, c) for r in range(n) for c in range(n)
                      if (r, c) in near and (r, c) not in self.trees]
        self.size = len(self.cells)
        var = {cell: v for v, cell in enumerate(self.cells)}
        self.king = [[var[(r + dr, c + dc)] for dr, dc in KING if (r + dr, c + dc) in var]
                     for r, c in self.cells]
        # each row, then each column: (name, tents wanted, its candidate cells in order)
        self.lines = [(f"row {i + 1}", k, [v for v, (r, _) in enumerate(self.cells) if r == i])
                      for i, k in enumerate(self.rows)] + \
                     [(f"column {i + 1}", k, [v for v, (_, c) in enumerate(self.cells) if c == i])
                      for i, k in enumerate(self.cols)]

    def cell(self, var: int) -> str:
        r, c = self.cells[var]
        return f"({r + 1},{c + 1})"

    def show(self, val: str) -> str:
        return "tent" if val == TENT else "empty"

    def anchor(self, vals: list) -> str:
        n = self.n
        grid = [[TREE if (r, c) in self.trees else EMPTY for c in range(n)] for r in range(n)]
        for (r, c), v in zip(self.cells, vals):
            grid[r][c] = OPEN if v is None else v
        return grid_text(grid)

    def deduce(self, vals: list):
        forced: list = []
        for v, val in enumerate(vals):
            if val == TENT:
                for w in self.king[v]:
                    if vals[w] == TENT:
                        return f"the tents at {self.cell(v)} and {self.cell(w)} touch", []
                    if vals[w] is None:
                        forced.append((w, EMPTY, "next to a tent"))
        for name, need, line in self.lines:
            tents = sum(vals[v] == TENT for v in line)
            opens = [v for v in line if vals[v] is None]
            if tents > need:
                return f"{name} has more than its {need} tent(s)", []
            if tents + len(opens) < need:
                return f"{name} can no longer get its {need} tent(s)", []
            if opens and tents == need:
                forced += [(v, EMPTY, f"{name} has its {need} tent(s)") for v in opens]
            elif opens and tents + len(opens) == need:
                forced += [(v, TENT, f"{name} needs all its open cells as tents") for v in opens]
        return None, forced

    def branch(self, vals: list) -> tuple[int, list[str]]:
        # the first open cell of the row or column with the fewest open cells
        best: list[int] = []
        for _, _, line in self.lines:
            opens = [v for v in line if vals[v] is None]
            if opens and (not best or len(opens) < len(best)):
                best = opens
        return best[0], [TENT, EMPTY]

    def final(self, vals: list) -> str | None:
        return None  # deduce has checked the counts and that no tents touch


register(Campsite())
