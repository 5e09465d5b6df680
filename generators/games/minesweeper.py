"""Minesweeper (games; official label `minesweeper`).

Find every mine on a board whose revealed cells show how many of their eight neighbours hold a
mine. The generator lays the mines, opens a starting region, and keeps revealing safe cells until
a logical solver (single-clue rules, subset rules between two clues, the mine total) determines
every mine without guessing; its deductions are the recorded steps, so the mine set is unique.
"""

from __future__ import annotations

import random

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._place import KING, board, grid_text
from generators.registry import register
from generators.render import BLACK, BLUE, text_center, to_png

# level: (board side n, mines)
LEVELS = {1: (5, 3), 2: (6, 4), 3: (7, 5), 4: (8, 7), 5: (9, 9)}
HIDDEN = "?"
Cell = tuple[int, int]


class State(BaseModel):
    n: int
    mines: int
    board: list[list[str]]  # "?" hidden, "0".."8" revealed


class Minesweeper(Task[State]):
    name = "minesweeper"
    category = "games"
    official_name = "minesweeper"
    levels = LEVELS
    unique = True
    rules = ("Some cells of the board are revealed and show how many of their eight neighbours "
             "(including diagonals) hold a mine; revealed cells never hold a mine. The total number "
             "of mines is given. Find every mine; the revealed numbers determine them without "
             "guessing.")
    answer_format = "the mine cells as (row, col) pairs, 0-based, e.g. (2, 0),(3, 1)"

    def generate(self, rng: random.Random, level: int) -> State:
        n, k = self.params(level)
        cells = [(r, c) for r in range(n) for c in range(n)]
        mines = set(rng.sample(cells, k))
        counts = {p: sum((p[0] + dr, p[1] + dc) in mines for dr, dc in KING) for p in cells}
        safe = [p for p in cells if p not in mines]
        zeros = [p for p in safe if counts[p] == 0]
        revealed = _flood(rng.choice(zeros) if zeros else rng.choice(safe), counts, n)
        for _ in range(n * n):
            grid = _board(n, revealed, counts)
            known = _Deducer(State(n=n, mines=k, board=grid), record=False).run()
            if known is not None:
                if known != mines:
                    raise Rejected("deduction disagrees with the mines")  # cannot happen: a guard
                if len(revealed) > n * n - k - 1:
                    raise Rejected("everything revealed")
                return State(n=n, mines=k, board=grid)
            pending = [p for p in safe if p not in revealed]
            revealed |= _flood(rng.choice(pending), counts, n)
        raise Rejected("never deducible")

    def solve(self, state: State) -> Solution:
        deducer = _Deducer(state, record=True)
        mines = deducer.run()
        if mines is None:
            raise Rejected("the board needs a guess")
        answer = ",".join(f"({r}, {c})" for r, c in sorted(mines))
        steps = deducer.steps
        steps.append(Step(kind="check", text=f"All {state.mines} mines are found and every revealed "
                          "number sees exactly its count.", anchor=grid_text(deducer.view())))
        steps.append(Step(kind="conclude", text="The mines, as (row, col)."))
        return Solution(answer=answer, steps=steps, num_solutions=1, effort=deducer.effort)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Minesweeper. " + self.rules
        if variant == "image":
            body = (f"The picture shows the {state.n}x{state.n} board: grey raised cells are hidden, "
                    f"white cells are revealed with their numbers (blank = 0). There are "
                    f"{state.mines} mines. Rows and columns are numbered from 0.")
        else:
            body = (f"The board is {state.n}x{state.n} with {state.mines} mines; ? is hidden, a digit "
                    f"is a revealed cell. Rows top to bottom, numbered from 0:\n{grid_text(state.board)}")
        return f"{intro}\n\n{body}\n\nWhere are the mines? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell = state.n, 48
        image, draw, x0, y0 = board(n, n, cell, bottom=36)
        for r, row in enumerate(state.board):
            for c, v in enumerate(row):
                box = (x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell, y0 + (r + 1) * cell)
                if v == HIDDEN:
                    draw.rectangle(box, fill=(170, 170, 170), outline=BLACK)
                    draw.line([(box[0] + 2, box[3] - 2), (box[0] + 2, box[1] + 2), (box[2] - 2, box[1] + 2)],
                              fill=(235, 235, 235), width=2)
                else:
                    draw.rectangle(box, fill=(250, 250, 250), outline=BLACK)
                    if v != "0":
                        text_center(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), v, 22, fill=BLUE)
        text_center(draw, (x0 + n * cell / 2, y0 + n * cell + 20), f"mines: {state.mines}", 16)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"rows": state.n, "cols": state.n, "mines": state.mines,
                "board": [list(row) for row in state.board]}


def _flood(start: Cell, counts: dict[Cell, int], n: int) -> set[Cell]:
    """The cells a click on `start` reveals: zeros open their neighbours."""
    opened, stack = {start}, [start]
    while stack:
        p = stack.pop()
        if counts[p] == 0:
            for dr, dc in KING:
                q = (p[0] + dr, p[1] + dc)
                if 0 <= q[0] < n and 0 <= q[1] < n and q not in opened:
                    opened.add(q)
                    stack.append(q)
    return opened


def _board(n: int, revealed: set[Cell], counts: dict[Cell, int]) -> list[list[str]]:
    return [[str(counts[(r, c)]) if (r, c) in revealed else HIDDEN for c in range(n)] for r in range(n)]


class _Deducer:
    """Logical deduction only: returns the mine set when every hidden cell is decided, else None."""

    def __init__(self, state: State, record: bool):
        self.n, self.total, self.record = state.n, state.mines, record
        self.clues = {(r, c): int(v) for r, row in enumerate(state.board) for c, v in enumerate(row)
                      if v != HIDDEN}
        self.hidden = {(r, c) for r, row in enumerate(state.board) for c, v in enumerate(row) if v == HIDDEN}
        self.mine: set[Cell] = set()
        self.safe: set[Cell] = set()
        self.steps: list[Step] = []
        self.effort = 0

    def view(self) -> list[list[str]]:
        return [[str(self.clues[(r, c)]) if (r, c) in self.clues else "*" if (r, c) in self.mine
                 else "s" if (r, c) in self.safe else HIDDEN for c in range(self.n)] for r in range(self.n)]

    def _open(self, p: Cell) -> tuple[set[Cell], int]:
        around = {(p[0] + dr, p[1] + dc) for dr, dc in KING} & self.hidden
        return around - self.mine - self.safe, self.clues[p] - len(around & self.mine)

    def _mark(self, cells: set[Cell], mine: bool, why: str) -> None:
        (self.mine if mine else self.safe).update(cells)
        self.effort += len(cells)
        if self.record:
            listed = ", ".join(f"({r},{c})" for r, c in sorted(cells))
            self.steps.append(Step(kind="deduce", text=f"{why}, so {listed} {'are mines' if mine else 'are safe'}.",
                                   anchor=grid_text(self.view())))

    def run(self) -> set[Cell] | None:
        if self.record:
            self.steps.append(Step(kind="observe", text=f"{len(self.clues)} revealed cells, "
                                   f"{len(self.hidden)} hidden, {self.total} mines. * = mine, "
                                   "s = safe, ? = undecided.", anchor=grid_text(self.view())))
        while self._round():
            pass
        if self.mine | self.safe != self.hidden or len(self.mine) != self.total:
            return None
        return set(self.mine)

    def _round(self) -> bool:
        constraints, progress = [], False
        for p in sorted(self.clues):  # single-clue rules, applied in one sweep
            cells, need = self._open(p)
            if not cells:
                continue
            name = f"the {self.clues[p]} at ({p[0]},{p[1]})"
            if need == 0:
                self._mark(cells, False, f"{name} already touches all its mines")
                progress = True
            elif need == len(cells):
                self._mark(cells, True, f"{name} needs {need} more mine(s) and has exactly "
                           f"{len(cells)} undecided neighbour(s)")
                progress = True
            else:
                constraints.append((p, cells, need))
        if progress:
            return True
        for a, cells_a, need_a in constraints:
            for b, cells_b, need_b in constraints:
                if a != b and cells_a < cells_b:
                    rest, extra = cells_b - cells_a, need_b - need_a
                    why = (f"the undecided neighbours of ({a[0]},{a[1]}) are among those of "
                           f"({b[0]},{b[1]}), which needs {extra} more mine(s) outside them")
                    if extra == 0:
                        self._mark(rest, False, why)
                        return True
                    if extra == len(rest):
                        self._mark(rest, True, why)
                        return True
        undecided = self.hidden - self.mine - self.safe
        left = self.total - len(self.mine)
        if undecided and left == 0:
            self._mark(undecided, False, f"all {self.total} mines are found")
            return True
        if undecided and left == len(undecided):
            self._mark(undecided, True, f"{left} mine(s) remain for {left} undecided cell(s)")
            return True
        return False


register(Minesweeper())
