"""Text and drawing helpers of the grid puzzles that search with `generators.search`
(binairo, hitori, kukurasu, calcudoku, aquarium, eulero, kakuro): cell names, grids as text, region
borders, and fast grey pictures."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

from PIL import Image, ImageDraw

from generators.render import BLACK, font, to_png


# -- small shared helpers ---------------------------------------------------------------------

def rc(var: int, n: int) -> str:
    return f"({var // n},{var % n})"


def grid_text(vals: Sequence, n: int, show, blank: str = ".") -> str:
    cells = [blank if x is None else show(x) for x in vals[:n * n]]
    return "\n".join(" ".join(cells[r * n:(r + 1) * n]) for r in range(n))


def thick_borders(draw: ImageDraw.ImageDraw, x0: int, y0: int, region: Sequence[Sequence[int]],
                  cell: int, width: int = 4, fill=BLACK) -> None:
    """Thick lines wherever two neighbouring cells belong to different regions, and round the grid
    (`fill` 0 on a grey picture)."""
    h, w = len(region), len(region[0])
    for r in range(h):
        for c in range(w):
            x, y = x0 + c * cell, y0 + r * cell
            if c + 1 < w and region[r][c] != region[r][c + 1]:
                draw.line([(x + cell, y), (x + cell, y + cell)], fill=fill, width=width)
            if r + 1 < h and region[r][c] != region[r + 1][c]:
                draw.line([(x, y + cell), (x + cell, y + cell)], fill=fill, width=width)
    draw.rectangle([x0, y0, x0 + w * cell, y0 + h * cell], outline=fill, width=width)


def label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
          fill=BLACK, anchor: str = "mm") -> None:
    draw.text(xy, text, font=font(size), fill=fill, anchor=anchor)


# -- fast grey pictures --------------------------------------------------------------------
# These pictures are black, grey and white: drawn in mode "L" and stored as an 8-bit palette
# PNG they skip the RGB quantisation (most of a picture's time), and cached glyph masks make
# a label cost a paste instead of a FreeType rendering.

def gray_canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (int(width), int(height)), 255)
    return image, ImageDraw.Draw(image)


def gray_png(image: Image.Image) -> bytes:
    return to_png(image.convert("P"))


@lru_cache(maxsize=4096)
def _glyph(text: str, size: int, anchor: str, fx: float, fy: float):
    return font(size).getmask2(text, mode="L", anchor=anchor, start=(fx, fy))


def gray_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
              fill: int = 0, anchor: str = "mm") -> None:
    """`draw.text` on an "L" picture, pixel for pixel, from a cached mask."""
    x, y = xy
    ix, iy = int(x), int(y)
    mask, (ox, oy) = _glyph(text, size, anchor, x - ix, y - iy)
    draw.draw.draw_bitmap((ix + ox, iy + oy), mask, fill)
