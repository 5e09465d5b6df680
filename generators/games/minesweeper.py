"""Minesweeper (games; official label `minesweeper`).

The official puzzle: the whole board is shown. Every safe cell shows how many of its eight
neighbours hold a mine, except that a 0 is left blank, and mines are blank too; the number of
mines is not given. Find every mine. A blank that is not a mine is a 0, so none of its neighbours
is a mine: blank cells that touch (also diagonally) are all mines or all safe together. The
solver decides these blank groups from the numbers (single-number rules, then trial with
backtracking); the generator counts the placements that fit (stopping at 2) and keeps only boards
with exactly one, so the stored mine set is the only answer (the official scorer compares sets).
"""

from __future__ import annotations

import random
import string
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._place import KING, board, grid_text
from generators.registry import register
from generators.render import BLACK, BLUE, text_center, to_png


class Level(NamedTuple):
    side: int
    mines: int  # shapes the board but is not told


LEVELS = {1: Level(5, 3), 2: Level(6, 4), 3: Level(7, 5), 4: Level(8, 7), 5: Level(9, 9)}
BLANK = "."
LABELS = string.ascii_lowercase + string.ascii_uppercase  # names of the blank groups on maps
Cell = tuple[int, int]
Assignment = dict[int, bool]  # blank group -> mine?


class State(BaseModel):
    n: int
    board: list[list[str]]  # "1".."8" a numbered (safe) cell; "." blank: a mine or a 0


class Minesweeper(Task[State]):
    name = "minesweeper"
    category = "games"
    official_name = "minesweeper"
    version = 2  # the official puzzle: whole board shown, blanks are mines or 0s, no mine total
    levels = LEVELS
    score_function = "minesweeper_evaluator"
    unique = True
    rules = ("Every cell of the board is either a mine or safe. A safe cell shows how many of its "
             "eight neighbours (including diagonals) hold a mine, except that a 0 is left blank; "
             "mines are blank too. So a numbered cell is never a mine, and a blank cell is either a "
             "mine or a safe cell with no mine around it. The number of mines is not given. Find "
             "every mine; the numbers determine them.")
    answer_format = "the mine cells as (row, col) pairs, 0-based, e.g. (2, 0),(3, 1)"

    def generate(self, rng: random.Random, level: int) -> State:
        n, k = self.params(level)
        cells = [(r, c) for r in range(n) for c in range(n)]
        mines = set(rng.sample(cells, k))
        counts = {p: sum((p[0] + dr, p[1] + dc) in mines for dr, dc in KING) for p in cells}
        grid = [[BLANK if (r, c) in mines or counts[(r, c)] == 0 else str(counts[(r, c)])
                 for c in range(n)] for r in range(n)]
        state = State(n=n, board=grid)
        if _Solver(state, record=False).count(limit=2) != 1:
            raise Rejected("more than one mine placement fits the numbers")
        return state

    def solve(self, state: State) -> Solution:
        solver = _Solver(state, record=True)
        mines = solver.solve()
        if mines is None:
            raise Rejected("no mine placement fits the numbers")  # cannot happen: a guard
        answer = ",".join(f"({r}, {c})" for r, c in sorted(mines))
        steps = solver.steps
        steps.append(Step(kind="check", text=f"{len(mines)} mines: every number sees exactly its "
                          "count of mines, and every safe blank (a 0) touches none.",
                          anchor=grid_text(solver.view(solver.final))))
        steps.append(Step(kind="conclude", text="The mines, as (row, col)."))
        return Solution(answer=answer, steps=steps, num_solutions=1, effort=solver.effort)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Minesweeper. " + self.rules
        if variant == "image":
            body = (f"The picture shows the {state.n}x{state.n} board: each cell is blank or shows "
                    "its number. Rows and columns are numbered from 0 (labels on the left and top).")
        else:
            body = (f"The {state.n}x{state.n} board, one row per line from the top, cells between "
                    "bars (a space is a blank cell); rows and columns are numbered from 0:\n"
                    + _bar_rows(state.board))
        return f"{intro}\n\n{body}\n\nWhere are the mines? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell = state.n, 48
        image, draw, x0, y0 = board(n, n, cell)
        for r, row in enumerate(state.board):
            for c, v in enumerate(row):
                box = (x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell, y0 + (r + 1) * cell)
                draw.rectangle(box, fill=(252, 252, 252), outline=BLACK)
                if v != BLANK:
                    text_center(draw, ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2), v, 22, fill=BLUE)
        draw.rectangle([x0, y0, x0 + n * cell, y0 + n * cell], outline=BLACK, width=3)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"rows": state.n, "cols": state.n, "board": [list(row) for row in state.board]}


def _bar_rows(grid: list[list[str]]) -> str:
    """The official transcription: `| |1| |` rows, a blank written as a space."""
    return "\n".join("|" + "|".join(" " if v == BLANK else v for v in row) + "|" for row in grid)


def _blank_groups(state: State) -> list[list[Cell]]:
    """Blank cells joined through blank neighbours (8 ways), each group sorted, in reading order."""
    blank = {(r, c) for r, row in enumerate(state.board) for c, v in enumerate(row) if v == BLANK}
    groups, seen = [], set()
    for start in sorted(blank):
        if start in seen:
            continue
        seen.add(start)
        group, stack = [], [start]
        while stack:
            p = stack.pop()
            group.append(p)
            for dr, dc in KING:
                q = (p[0] + dr, p[1] + dc)
                if q in blank and q not in seen:
                    seen.add(q)
                    stack.append(q)
        groups.append(sorted(group))
    return groups


class _Solver:
    """Each blank group is all mines or all safe; a number counts the group cells around it that
    are mines. Decides the groups by single-number rules, and by trial when those stall."""

    def __init__(self, state: State, record: bool):
        self.record = record
        self.board = state.board
        self.groups = _blank_groups(state)
        if len(self.groups) > len(LABELS):
            raise Rejected("too many blank groups to name")
        group_of = {p: g for g, cells in enumerate(self.groups) for p in cells}
        self.clues: dict[Cell, int] = {(r, c): int(v) for r, row in enumerate(state.board)
                                       for c, v in enumerate(row) if v != BLANK}
        # number -> {group: how many of its cells touch the number}
        self.touch: dict[Cell, dict[int, int]] = {}
        for p in sorted(self.clues):
            around: dict[int, int] = {}
            for dr, dc in KING:
                g = group_of.get((p[0] + dr, p[1] + dc))
                if g is not None:
                    around[g] = around.get(g, 0) + 1
            self.touch[p] = around
        self.steps: list[Step] = []
        self.effort = 0
        self.final: Assignment = {}

    # -- naming and maps --------------------------------------------------------------------
    def name(self, g: int) -> str:
        cells = self.groups[g]
        if len(cells) == 1:
            return f"group {LABELS[g]} (the blank {cells[0][0]},{cells[0][1]})"
        return f"group {LABELS[g]} ({len(cells)} blanks)"

    def verdict(self, g: int, mine: bool) -> str:
        what = "safe" if not mine else "a mine" if len(self.groups[g]) == 1 else "all mines"
        return f"{self.name(g)} is {what}"

    def view(self, assign: Assignment) -> list[list[str]]:
        """Numbers as given; a blank shows its group letter while undecided, * a mine, 0 safe."""
        out = [list(row) for row in self.board]
        for g, cells in enumerate(self.groups):
            mark = LABELS[g] if g not in assign else "*" if assign[g] else "0"
            for r, c in cells:
                out[r][c] = mark
        return out

    def _say(self, kind: str, text: str, assign: Assignment | None = None) -> None:
        if self.record:
            anchor = grid_text(self.view(assign)) if assign is not None else None
            self.steps.append(Step(kind=kind, text=text, anchor=anchor))

    # -- solving ----------------------------------------------------------------------------
    def solve(self) -> set[Cell] | None:
        self._say("observe", f"{len(self.clues)} numbered cells; the blank cells form "
                  f"{len(self.groups)} group(s) of touching cells (also diagonally), lettered on "
                  "the map. A blank that is not a mine is a 0, so none of its neighbours is a mine: "
                  "each group is all mines or all safe. A number counts the mine cells around it.",
                  {})
        assign: Assignment = {}
        if not self._propagate(assign):
            return None
        found = self._search(assign)
        if found is None:
            return None
        self.final = found
        return {p for g, mine in found.items() if mine for p in self.groups[g]}

    def count(self, limit: int) -> int:
        """Placements that fit every number, counted up to `limit`."""
        assign: Assignment = {}
        return self._count(assign, limit) if self._propagate(assign) else 0

    def _count(self, assign: Assignment, limit: int) -> int:
        g = self._pick(assign)
        if g is None:
            return 1
        total = 0
        for mine in (True, False):
            trial = {**assign, g: mine}
            if self._propagate(trial):
                total += self._count(trial, limit - total)
                if total >= limit:
                    break
        return total

    def _search(self, assign: Assignment) -> Assignment | None:
        g = self._pick(assign)
        if g is None:
            return assign
        for mine in (True, False):
            self.effort += 1
            trial = {**assign, g: mine}
            self._say("try", f"The numbers decide nothing more. Suppose {self.verdict(g, mine)}.",
                      trial)
            if self._propagate(trial):
                found = self._search(trial)
                if found is not None:
                    return found
            self._say("backtrack", f"So it is not true that {self.verdict(g, mine)}; undo that "
                      "guess.")
        return None

    def _pick(self, assign: Assignment) -> int | None:
        """The undecided group touching most numbers (first in reading order on ties)."""
        weight = {g: 0 for g in range(len(self.groups)) if g not in assign}
        if not weight:
            return None
        for around in self.touch.values():
            for g in around:
                if g in weight:
                    weight[g] += 1
        return max(weight, key=lambda g: (weight[g], -g))

    def _propagate(self, assign: Assignment) -> bool:
        """Apply the single-number rules until none applies; False on a contradiction."""
        progress = True
        while progress:
            progress = False
            for p, around in self.touch.items():
                k = self.clues[p]
                need = k - sum(w for g, w in around.items() if assign.get(g) is True)
                open_ = {g: w for g, w in around.items() if g not in assign}
                room = sum(open_.values())
                who = f"the {k} at ({p[0]},{p[1]})"
                if need < 0 or need > room:
                    self._say("dead_end", f"Contradiction: {who} would see "
                              f"{'too many' if need < 0 else 'too few'} mines.")
                    return False
                if not open_:
                    continue
                self.effort += 1  # a number read against its undecided groups
                if need == 0:
                    decided, mine, why = set(open_), False, f"{who} already has its mine(s)"
                elif need == room:
                    decided, mine = set(open_), True
                    why = (f"{who} needs {need} more mine(s) and exactly {room} undecided "
                           "blank(s) touch it")
                else:
                    big = sorted(g for g, w in open_.items() if w > need)
                    must = sorted(g for g, w in open_.items() if room - w < need)
                    if big:
                        decided, mine = {big[0]}, False
                        why = (f"{who} needs only {need} more mine(s), but {open_[big[0]]} cells of "
                               f"{self.name(big[0])} touch it")
                    elif must:
                        decided, mine = {must[0]}, True
                        why = (f"without {self.name(must[0])} at most {room - open_[must[0]]} "
                               f"undecided blank(s) touch {who}, which needs {need} more mine(s)")
                    else:
                        continue
                for g in sorted(decided):
                    assign[g] = mine
                said = "; ".join(self.verdict(g, mine) for g in sorted(decided))
                self._say("deduce", f"{why[0].upper()}{why[1:]}, so {said}.", assign)
                progress = True
        return True


register(Minesweeper())
