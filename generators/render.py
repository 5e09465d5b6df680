"""Shared drawing helpers: pillow only (a matplotlib figure at high dpi costs 0.3-0.6 s a picture,
these cost a few milliseconds), a bundled font, and deterministic PNG bytes."""

from __future__ import annotations

import io
import math
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Sequence

from PIL import Image, ImageDraw, ImageFont

WHITE = (255, 255, 255)
BLACK = (0, 0, 0)
GREY = (150, 150, 150)
LIGHT = (225, 225, 225)
BLUE = (52, 101, 164)
LIGHT_BLUE = (170, 205, 240)
RED = (204, 40, 40)
GREEN = (46, 139, 87)
ORANGE = (230, 140, 20)


@lru_cache(maxsize=1)
def _font_path() -> str | None:
    # DejaVu ships inside matplotlib (a core dependency); located without importing matplotlib
    spec = find_spec("matplotlib")
    if spec and spec.submodule_search_locations:
        for base in spec.submodule_search_locations:
            path = Path(base) / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
            if path.exists():
                return str(path)
    return None


@lru_cache(maxsize=64)
def font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = _font_path()
    if path:
        return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def canvas(width: int, height: int, background=WHITE) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (int(width), int(height)), background)
    return image, ImageDraw.Draw(image)


def to_png(image: Image.Image) -> bytes:
    """PNG bytes; same pixels give the same bytes (no timestamps, fixed compression).

    Pictures here are flat colours plus anti-aliased text, so a 64-colour palette (no dither)
    loses nothing a reader sees, and palette PNGs at compress level 3 encode about 2x faster
    than RGB at level 6 (encoding was most of the time of a simple task's instance)."""
    if image.mode == "RGB":
        image = image.quantize(colors=64, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=3)
    return buffer.getvalue()


def text_center(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
                fill=BLACK) -> None:
    draw.text(xy, text, font=font(size), fill=fill, anchor="mm")


def title(draw: ImageDraw.ImageDraw, width: int, text: str, size: int = 18, y: int = 16) -> None:
    text_center(draw, (width / 2, y), text, size)


def grid(draw: ImageDraw.ImageDraw, x0: int, y0: int, rows: int, cols: int, cell: int,
         line=BLACK, width: int = 1) -> None:
    for r in range(rows + 1):
        draw.line([(x0, y0 + r * cell), (x0 + cols * cell, y0 + r * cell)], fill=line, width=width)
    for c in range(cols + 1):
        draw.line([(x0 + c * cell, y0), (x0 + c * cell, y0 + rows * cell)], fill=line, width=width)


def cell_box(x0: int, y0: int, r: int, c: int, cell: int) -> tuple[int, int, int, int]:
    return (x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell, y0 + (r + 1) * cell)


def cell_center(x0: int, y0: int, r: int, c: int, cell: int) -> tuple[float, float]:
    return (x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell)


def bar_chart(values: Sequence[int], caption: str, *, color=BLUE, bar: int = 0,
              height: int = 360, show_values: bool = True, show_index: bool = True) -> bytes:
    """A labelled bar chart (algorithm tasks): every value is written on its bar and every
    index under it, so the picture carries the whole sequence."""
    n = len(values)
    bar = bar or max(14, min(48, 900 // max(n, 1)))
    top = max(max(values, default=1), 1)
    margin_l, margin_r, margin_t, margin_b = 44, 16, 44, 40
    width = margin_l + margin_r + n * bar
    image, draw = canvas(max(width, 240), height)
    title(draw, image.width, caption)
    plot_h = height - margin_t - margin_b
    base_y = margin_t + plot_h
    label_size = max(9, min(14, bar - 4))
    for tick in _ticks(top):
        y = base_y - plot_h * tick / top
        draw.line([(margin_l - 4, y), (margin_l + n * bar, y)], fill=LIGHT)
        draw.text((margin_l - 6, y), str(tick), font=font(10), fill=GREY, anchor="rm")
    for i, v in enumerate(values):
        x = margin_l + i * bar
        y = base_y - plot_h * v / top
        draw.rectangle([x + 1, y, x + bar - 1, base_y], fill=color, outline=BLACK)
        if show_values:
            text_center(draw, (x + bar / 2, y - 8), str(v), label_size)
        if show_index:
            text_center(draw, (x + bar / 2, base_y + 10), str(i), max(8, label_size - 2), fill=GREY)
    draw.line([(margin_l, base_y), (margin_l + n * bar, base_y)], fill=BLACK, width=2)
    return to_png(image)


def _ticks(top: int) -> list[int]:
    step = max(1, 10 ** int(math.log10(top)) if top >= 10 else 1)
    while top / step > 6:
        step *= 2
    return list(range(0, top + 1, step))


def _arrow_head(draw: ImageDraw.ImageDraw, tip: tuple[float, float], direction: tuple[float, float],
                length: float = 11, half_width: float = 5) -> None:
    ux, uy = direction
    bx, by = tip[0] - ux * length, tip[1] - uy * length
    draw.polygon([tip, (bx - uy * half_width, by + ux * half_width),
                  (bx + uy * half_width, by - ux * half_width)], fill=BLACK)
