"""Layout and drawing for the path tasks (hamiltonian_path/cycle, eulerian_path/cycle).

The layout comes first and the graph is drawn from it: vertices sit on a jittered grid, and only
pairs whose straight segment keeps clear of every other vertex may become edges, so no edge is ever
hidden behind a node. Pictures are palette PNGs (a fifth of the RGB cost, same pixels every run).
"""

from __future__ import annotations

import io
import math
import random

from PIL import Image, ImageDraw

from generators.render import font

CELL = 120          # pixels per grid cell
MARGIN = 26         # pixels around the grid
RADIUS = 17         # node radius in pixels
CAPTION = 34        # caption band height
JITTER = 0.2        # jitter of a node inside its cell, in cells
CLEARANCE = (RADIUS + 7) / CELL  # an edge passes no other node centre closer than this (cells)
MAX_EDGE = 2.3      # longest edge, in cells: long lines would cross half the picture

# palette indices
_WHITE, _BLACK, _EDGE, _NODE, _START, _CAPTION = range(6)
_PALETTE = [255, 255, 255, 0, 0, 0, 120, 120, 120, 170, 205, 240, 204, 40, 40, 40, 40, 40]

Point = tuple[float, float]


def grid_shape(n: int) -> tuple[int, int]:
    cols = math.ceil(math.sqrt(n))
    return cols, math.ceil(n / cols)


def jittered_grid(rng: random.Random, n: int) -> list[Point]:
    """n positions in cell units: a random choice of grid cells, each point jittered in its cell;
    vertex labels are shuffled over the cells so that the numbering carries no hint."""
    cols, rows = grid_shape(n)
    cells = rng.sample(range(cols * rows), n)
    return [(round(c % cols + 0.5 + rng.uniform(-JITTER, JITTER), 4),
             round(c // cols + 0.5 + rng.uniform(-JITTER, JITTER), 4)) for c in cells]


def clear_pairs(points: list[Point]) -> list[tuple[int, int]]:
    """Vertex pairs (u < v) that may be joined: short enough, and the segment keeps CLEARANCE
    from every other vertex (so the picture never hides an edge behind a node)."""
    n = len(points)
    pairs = []
    for u in range(n):
        ux, uy = points[u]
        for v in range(u + 1, n):
            vx, vy = points[v]
            dx, dy = vx - ux, vy - uy
            length2 = dx * dx + dy * dy
            if length2 > MAX_EDGE * MAX_EDGE:
                continue
            if all(_segment_distance2(points[w], ux, uy, dx, dy, length2) > CLEARANCE * CLEARANCE
                   for w in range(n) if w != u and w != v):
                pairs.append((u, v))
    return pairs


def _segment_distance2(p: Point, ux: float, uy: float, dx: float, dy: float, length2: float) -> float:
    px, py = p[0] - ux, p[1] - uy
    t = max(0.0, min(1.0, (px * dx + py * dy) / length2))
    ex, ey = px - t * dx, py - t * dy
    return ex * ex + ey * ey


def draw(points: list[Point], edges: list[tuple[int, int]], caption: str,
         start: int | None = None) -> bytes:
    """The graph as PNG bytes: grey edges, numbered light-blue nodes on top, the start node red."""
    cols, rows = grid_shape(len(points))
    width = max(cols * CELL + 2 * MARGIN, 300)
    height = rows * CELL + 2 * MARGIN + CAPTION
    x0 = (width - cols * CELL) / 2
    image = Image.new("P", (width, height), _WHITE)
    image.putpalette(_PALETTE)
    pen = ImageDraw.Draw(image)
    pen.text((width / 2, CAPTION / 2 + 4), caption, font=font(16), fill=_CAPTION, anchor="mm")

    def at(v: int) -> Point:
        x, y = points[v]
        return (x0 + x * CELL, CAPTION + MARGIN + y * CELL)

    for u, v in edges:
        pen.line([at(u), at(v)], fill=_EDGE, width=3)
    label = font(15)
    for v in range(len(points)):
        x, y = at(v)
        fill = _START if v == start else _NODE
        pen.ellipse([x - RADIUS, y - RADIUS, x + RADIUS, y + RADIUS], fill=fill, outline=_BLACK,
                    width=2)
        pen.text((x, y), str(v), font=label, fill=_WHITE if v == start else _BLACK, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=6)
    return buffer.getvalue()
