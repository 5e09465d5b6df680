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
NODE_BUDGET = 20_000  # search nodes per solve; a draw that needs more is rejected
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
    version = 2  # the official rules: a tent needs a tree beside it, not a tree of its own
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
        search = _Search(state, record=False)
        search.run()
        if search.exhausted:
            raise Rejected("search budget exceeded")
        if search.count != 1:
            raise Rejected("more than one tent layout")
        return state

    def solve(self, state: State) -> Solution:
        search = _Search(state, record=True)
        search.run()
        if search.first is None or search.exhausted:
            raise Rejected("unsolved within the search budget")
        tents = [(r + 1, c + 1) for r, c in search.first]
        steps = search.steps
        steps.append(Step(kind="check", text="Every row and column count matches, no two tents "
                          "touch, and every tent has a tree orthogonally next to it.",
                          anchor=grid_text(search.first_grid)))
        steps.append(Step(kind="conclude", text=f"The {len(tents)} tents, 1-based (row, column)."))
        return Solution(answer=pairs_text(tents, "[]"), steps=steps,
                        num_solutions=search.count, effort=search.effort)

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


class _Search:
    """Backtracking over the cells beside a tree, with propagation (row/column counts, a tent
    empties its eight neighbours). Records steps up to the first solution, then counts a second."""

    def __init__(self, state: State, record: bool):
        self.n = len(state.grid)
        self.rows, self.cols = state.row_constraints, state.col_constraints
        self.trees = [(r, c) for r, row in enumerate(state.grid) for c, ch in enumerate(row) if ch == TREE]
        self.record = record
        self.steps: list[Step] = []
        self.count = self.nodes = self.effort = 0
        self.exhausted = False
        self.first: list[tuple[int, int]] | None = None
        self.first_grid: list[list[str]] = []

    def run(self) -> None:
        n = self.n
        trees = set(self.trees)
        grid = [[TREE if (r, c) in trees else OPEN for c in range(n)] for r in range(n)]
        near = {(r + dr, c + dc) for r, c in self.trees for dr, dc in ORTHO}
        for r in range(n):
            for c in range(n):
                if grid[r][c] == OPEN and (r, c) not in near:
                    grid[r][c] = EMPTY
        self._note("observe", f"The grid is {n}x{n} with {len(self.trees)} trees and "
                   f"{sum(self.rows)} tents to place. A tent needs a tree orthogonally next to it, "
                   "so cells with no tree beside them stay empty (.); C marks a tent, ? an "
                   "undecided cell.", grid)
        self._dfs(grid)

    def _note(self, kind: str, text: str, grid: list[list[str]] | None = None) -> None:
        if self.record and self.first is None:
            self.steps.append(Step(kind=kind, text=text, anchor=grid_text(grid) if grid else None))

    def _dfs(self, grid: list[list[str]]) -> None:
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            self.exhausted = True
            return
        reasons = self._propagate(grid)
        if reasons is None:
            self._note("dead_end", "A contradiction: a row or column count can no longer be met.")
            return
        if reasons:
            self._note("deduce", "; ".join(reasons[:6]) + (" ..." if len(reasons) > 6 else ""), grid)
        cell = self._pick(grid)
        if cell is None:
            # propagation leaves no open cell only with every count met exactly
            tents = [(r, c) for r in range(self.n) for c in range(self.n) if grid[r][c] == TENT]
            self.count += 1
            if self.first is None:
                self.first, self.first_grid = tents, [row[:] for row in grid]
            return
        r, c = cell
        for value in (TENT, EMPTY):
            if self.count >= 2 or self.exhausted:
                return
            trial = [row[:] for row in grid]
            trial[r][c] = value
            what = "a tent" if value == TENT else "no tent"
            self._note("try", f"Guess {what} at row {r + 1}, column {c + 1}.")
            self._dfs(trial)
            if self.first is None and value == TENT:
                self._note("backtrack", f"Undo the tent at row {r + 1}, column {c + 1}; "
                           "that cell must be empty.")

    def _pick(self, grid: list[list[str]]) -> tuple[int, int] | None:
        """The first undecided cell of the row or column with the fewest undecided cells."""
        best, best_k = None, 99
        n = self.n
        for axis in (0, 1):
            for i in range(n):
                line = [(i, j) if axis == 0 else (j, i) for j in range(n)]
                opens = [(r, c) for r, c in line if grid[r][c] == OPEN]
                if opens and len(opens) < best_k:
                    best, best_k = opens[0], len(opens)
        return best

    def _at(self, grid: list[list[str]], r: int, c: int) -> str | None:
        return grid[r][c] if 0 <= r < self.n and 0 <= c < self.n else None

    def _put(self, grid: list[list[str]], r: int, c: int, value: str) -> bool:
        if grid[r][c] != value:
            self.effort += 1
        grid[r][c] = value
        if value == TENT:
            for dr, dc in KING:
                v = self._at(grid, r + dr, c + dc)
                if v == TENT:
                    return False
                if v == OPEN:
                    grid[r + dr][c + dc] = EMPTY
        return True

    def _propagate(self, grid: list[list[str]]) -> list[str] | None:
        n, reasons = self.n, []
        # a tent placed by guessing also empties its neighbours
        for r in range(n):
            for c in range(n):
                if grid[r][c] == TENT and not self._put(grid, r, c, TENT):
                    return None
        changed = True
        while changed:
            changed = False
            for axis, needs in ((0, self.rows), (1, self.cols)):
                for i, need in enumerate(needs):
                    line = [(i, j) if axis == 0 else (j, i) for j in range(n)]
                    tents = sum(grid[r][c] == TENT for r, c in line)
                    opens = [(r, c) for r, c in line if grid[r][c] == OPEN]
                    name = f"{'row' if axis == 0 else 'column'} {i + 1}"
                    if tents > need or tents + len(opens) < need:
                        return None
                    if opens and tents == need:
                        for r, c in opens:
                            grid[r][c] = EMPTY
                        reasons.append(f"{name} has its {need} tent(s), the rest is empty")
                        changed = True
                    elif opens and tents + len(opens) == need:
                        for r, c in opens:
                            if grid[r][c] == OPEN and not self._put(grid, r, c, TENT):
                                return None
                            if grid[r][c] != TENT:
                                return None
                        reasons.append(f"{name} needs all its open cells as tents")
                        changed = True
        return reasons


register(Campsite())
