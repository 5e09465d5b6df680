"""The digit-grid puzzles' shared ground (sudoku, kakuro, nonogram, futoshiki, skyscrapers):
candidate bit masks, Latin squares (the search of futoshiki, the fill of skyscrapers), grid anchors
as plain text, and the common board drawing."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw

from generators.search import Contradiction, GuessSearch
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


class LatinSearch(GuessSearch):
    """An n x n Latin square (each row and column holds 1..n once) with candidate masks; the
    puzzle-specific rules come from `extra_deductions`. Singles are found here."""

    def __init__(self, n: int, givens: list[list[int]], record: bool = True):
        super().__init__(record)
        self.n = n
        self.cand = [full_mask(n)] * (n * n)
        self.value = [0] * (n * n)
        self.lines = ([[r * n + c for c in range(n)] for r in range(n)]
                      + [[r * n + c for r in range(n)] for c in range(n)])
        self.line_names = [f"row {r}" for r in range(n)] + [f"column {c}" for c in range(n)]
        self.pending = [(r * n + c, givens[r][c]) for r in range(n) for c in range(n) if givens[r][c]]

    def name(self, i: int) -> str:
        return cell_name(i // self.n, i % self.n)

    def assign(self, i: int, d: int) -> None:
        if self.value[i] == d:
            return
        if not self.cand[i] >> d & 1:
            raise Contradiction(f"{d} is no longer possible at {self.name(i)}")
        self.value[i] = d
        self.cand[i] = 1 << d
        n = self.n
        r, c = divmod(i, n)
        for j in [r * n + k for k in range(n)] + [k * n + c for k in range(n)]:
            if j != i and self.cand[j] >> d & 1:
                self.cand[j] &= ~(1 << d)
                if not self.cand[j]:
                    raise Contradiction(f"{self.name(j)} has no number left")

    def narrow(self, i: int, mask: int, why: str) -> str | None:
        """Restrict cell i to `mask`; returns a note when something changed."""
        new = self.cand[i] & mask
        if new == self.cand[i]:
            return None
        if not new:
            raise Contradiction(f"{self.name(i)} has no number left ({why})")
        self.cand[i] = new
        return f"{self.name(i)} in {show_set(new)} ({why})" if self.record else ""

    def extra_deductions(self):  # -> Iterator[str]
        return iter(())

    def deductions(self):
        for i, d in self.pending:
            self.assign(i, d)
        self.pending = []
        progress = True
        while progress:
            progress = False
            for note in self.extra_deductions():
                progress = True
                yield note
            for i in range(self.n * self.n):
                m = self.cand[i]
                if not self.value[i] and m & (m - 1) == 0:
                    d = m.bit_length() - 1
                    self.placements += 1
                    self.assign(i, d)
                    progress = True
                    yield f"{self.name(i)} = {d} (only candidate)"
            for k, line in enumerate(self.lines):
                for d in range(1, self.n + 1):
                    spots = [i for i in line if self.cand[i] >> d & 1]
                    if not spots:
                        raise Contradiction(f"{d} has no place in {self.line_names[k]}")
                    if len(spots) == 1 and not self.value[spots[0]]:
                        self.placements += 1
                        self.assign(spots[0], d)
                        progress = True
                        yield f"{self.name(spots[0])} = {d} (only place for {d} in {self.line_names[k]})"

    def choose(self):
        open_cells = [i for i in range(self.n * self.n) if not self.value[i]]
        if not open_cells:
            return None
        i = min(open_cells, key=lambda j: (bin(self.cand[j]).count("1"), j))
        return i, list(digits_of(self.cand[i])), self.name(i)

    def snapshot(self):
        return list(self.cand), list(self.value)

    def restore(self, snap) -> None:
        self.cand, self.value = list(snap[0]), list(snap[1])

    def grid(self) -> list[list[int]]:
        return [self.value[r * self.n:(r + 1) * self.n] for r in range(self.n)]

    def anchor(self) -> str:
        return grid_anchor(self.grid())


def random_latin(rng, n: int) -> list[list[int]]:
    """A random Latin square: randomized search, cell by cell, digits in random order."""
    grid = [[0] * n for _ in range(n)]

    def fill(k: int) -> bool:
        if k == n * n:
            return True
        r, c = divmod(k, n)
        used = set(grid[r][:c]) | {grid[x][c] for x in range(r)}
        for d in rng.sample(range(1, n + 1), n):
            if d not in used:
                grid[r][c] = d
                if fill(k + 1):
                    return True
        grid[r][c] = 0
        return False

    fill(0)
    return grid
