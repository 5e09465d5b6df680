"""Helpers shared by the digit-grid puzzles (sudoku, kakuro, nonogram, futoshiki, skyscrapers):
candidate bit masks, grid anchors as plain text, and the common board drawing."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw

from generators.base import Step
from generators.render import BLACK, canvas, text_center

# -- candidate masks: bit d set = digit d still possible -------------------------------------------


@lru_cache(maxsize=1024)
def digits_of(mask: int) -> tuple[int, ...]:
    """The digits whose bits are set, ascending (bit d = digit d)."""
    return tuple(d for d in range(mask.bit_length()) if mask >> d & 1)


def full_mask(n: int) -> int:
    """Digits 1..n all possible."""
    return ((1 << n) - 1) << 1


def show_set(mask: int) -> str:
    return "{" + ",".join(map(str, digits_of(mask))) + "}"


# -- text ---------------------------------------------------------------------------------------


def cell_name(r: int, c: int) -> str:
    return f"({r},{c})"


def grid_anchor(grid: list[list[int]], empty: str = ".") -> str:
    """One text row per grid row; 0 shows as `empty`. Widths align for two-digit numbers."""
    width = max((len(str(v)) for row in grid for v in row), default=1)
    return "\n".join(" ".join((str(v) if v else empty).rjust(width) for v in row) for row in grid)


def list_rows(grid: list[list[int]]) -> str:
    """`[[4, 2, 1], ...]`: the answer format of the Latin-square puzzles."""
    return "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in grid) + "]"


# -- drawing ------------------------------------------------------------------------------------


def board(rows: int, cols: int, cell: int, pad: tuple[int, int, int, int]
          ) -> tuple[Image.Image, ImageDraw.ImageDraw, int, int]:
    """A white canvas for a rows x cols board with padding (left, top, right, bottom);
    returns the image, its drawer and the board's top-left corner."""
    left, top, right, bottom = pad
    image, draw = canvas(left + cols * cell + right, top + rows * cell + bottom)
    return image, draw, left, top


def put_numbers(draw: ImageDraw.ImageDraw, grid: list[list[int]], x0: int, y0: int, cell: int,
                size: int, fill=BLACK) -> None:
    """Write every non-zero number centred in its cell."""
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v:
                text_center(draw, (x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell), str(v), size,
                            fill=fill)


# -- propagation + guessing with a recorded trace -------------------------------------------------


class Contradiction(Exception):
    """The current assignment cannot be completed; the message says which rule broke."""


class OverBudget(Exception):
    """A search ran past its node budget."""


class GuessSearch:
    """Constraint propagation plus depth-first guessing, shared by the grid puzzles.

    A subclass keeps its own candidate state and implements `deductions` (yields one note per
    forced step, raises Contradiction), `choose` (the open variable with the fewest options, or
    None when solved), `assign`, `snapshot`/`restore` and `anchor`. `solve` records the trace:
    one deduce step per run of deductions, and a try / dead end / backtrack step per guess.
    With `record=False` the same machinery counts solutions for the uniqueness proof."""

    def __init__(self, record: bool = True):
        self.record = record
        self.steps: list[Step] = []
        self.nodes = 0          # guesses made
        self.placements = 0     # values fixed by propagation

    # subclass interface
    def deductions(self):  # -> Iterator[str]
        raise NotImplementedError

    def choose(self) -> tuple[object, list, str] | None:
        raise NotImplementedError

    def assign(self, key, value) -> None:
        raise NotImplementedError

    def snapshot(self):
        raise NotImplementedError

    def restore(self, snap) -> None:
        raise NotImplementedError

    def anchor(self) -> str:
        raise NotImplementedError

    def deduce_title(self) -> str:
        return "Forced"

    # machinery
    def propagate(self) -> None:
        notes: list[str] = []
        try:
            for note in self.deductions():
                if self.record:
                    notes.append(note)
        finally:
            if notes:
                self.steps.append(Step(kind="deduce", text=f"{self.deduce_title()}: "
                                       f"{'; '.join(notes)}.", anchor=self.anchor()))

    def solve(self, depth: int = 0) -> bool:
        try:
            self.propagate()
        except Contradiction as why:
            self.steps.append(Step(kind="dead_end", text=f"Contradiction: {why}."))
            return False
        choice = self.choose()
        if choice is None:
            return True
        key, options, where = choice
        self.steps.append(Step(kind="observe", text=f"Nothing more is forced. {where} has the "
                               f"fewest options, {options}; I must guess there."))
        snap = self.snapshot()
        for value in options:
            self.nodes += 1
            self.steps.append(Step(kind="try", text=f"Guess {where} = {value} (depth {depth + 1})."))
            try:
                self.assign(key, value)
                ok = self.solve(depth + 1)
            except Contradiction as why:
                self.steps.append(Step(kind="dead_end", text=f"Contradiction: {why}."))
                ok = False
            if ok:
                return True
            self.restore(snap)
            self.steps.append(Step(kind="backtrack", text=f"Undo {where} = {value} and everything "
                                   "deduced from it; back to this position.", anchor=self.anchor()))
        return False

    def count(self, limit: int = 2, budget: int = 5000) -> int:
        """Solutions up to `limit` (no recording); raises OverBudget past `budget` guesses."""
        found = 0
        self.solutions: list = []

        def descend() -> bool:
            nonlocal found
            try:
                self.propagate()
            except Contradiction:
                return False
            choice = self.choose()
            if choice is None:
                found += 1
                self.solutions.append(self.snapshot())
                return found >= limit
            key, options, _ = choice
            snap = self.snapshot()
            for value in options:
                self.nodes += 1
                if self.nodes > budget:
                    raise OverBudget
                try:
                    self.assign(key, value)
                    if descend():
                        return True
                except Contradiction:
                    pass
                self.restore(snap)
            return False

        self.record = False
        descend()
        return found
