"""Helpers shared by the digit-grid puzzles (sudoku, kakuro, nonogram, futoshiki, skyscrapers):
candidate bit masks, grid anchors as plain text, and the common board drawing."""

from __future__ import annotations

from functools import lru_cache

from PIL import Image, ImageDraw

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
