"""Helpers shared by the grid-placement puzzles (campsite, tapa, bridges, shingoki) and
minesweeper: a numbered board canvas, plain-text grid anchors and answer formatting."""

from __future__ import annotations

from typing import Iterable, Sequence

from PIL import Image, ImageDraw

from generators.render import GREY, canvas, text_center

ORTHO = ((-1, 0), (1, 0), (0, -1), (0, 1))
KING = tuple((dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc)


def board(rows: int, cols: int, cell: int, *, left: int = 28, top: int = 28, right: int = 12,
          bottom: int = 12, index_base: int = 0, labels: bool = True
          ) -> tuple[Image.Image, ImageDraw.ImageDraw, int, int]:
    """A blank canvas with room for a rows x cols board; row and column indices (from
    `index_base`) are written on the left and top margins so coordinates can be read off the
    picture. Returns (image, draw, x0, y0) with (x0, y0) the board's top-left corner."""
    image, draw = canvas(left + cols * cell + right, top + rows * cell + bottom)
    if labels:
        size = max(10, min(16, cell // 3))
        for c in range(cols):
            text_center(draw, (left + (c + 0.5) * cell, top / 2), str(c + index_base), size, fill=GREY)
        for r in range(rows):
            text_center(draw, (left / 2, top + (r + 0.5) * cell), str(r + index_base), size, fill=GREY)
    return image, draw, left, top


def grid_text(rows: Iterable[Sequence[str]]) -> str:
    """A grid as plain-text rows, cells separated by spaces (a skeleton anchor)."""
    return "\n".join(" ".join(row) for row in rows)


def pairs_text(cells: Iterable[tuple[int, int]], style: str = "()") -> str:
    """`(0,1), (0,2)` or, with style "[]", `[[1, 2], [3, 4]]` (the campsite form)."""
    cells = sorted(cells)
    if style == "[]":
        return "[" + ", ".join(f"[{r}, {c}]" for r, c in cells) + "]"
    return ", ".join(f"({r},{c})" for r, c in cells)
