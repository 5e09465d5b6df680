"""Layouts and a fast graph painter shared by the graph tasks of this module group.

Each edge label looks for a free spot along its edge (never on a node, never on another label,
which a label at a fixed point of every edge cannot promise), and the picture is drawn on a small
fixed palette (a third of the PNG work of a full RGB picture, identical pixels for identical input).
"""

from __future__ import annotations

import math
from typing import Iterable, Sequence

from PIL import Image, ImageDraw

from generators.render import font, to_png

Point = tuple[float, float]

# palette indices
_WHITE, _GREY, _NODE, _BLACK, _RED, _LIGHT, _SOURCE, _SINK = range(8)
_PALETTE = [255, 255, 255, 140, 140, 140, 170, 205, 240, 0, 0, 0,
            200, 30, 30, 215, 215, 215, 150, 220, 150, 245, 185, 120]
SOURCE, SINK = _SOURCE, _SINK  # highlight colours callers may use for special nodes

# where along an edge a label may sit, tried in this order
_LABEL_SPOTS = (0.5, 0.38, 0.62, 0.28, 0.72, 0.45, 0.55, 0.33, 0.67, 0.22, 0.78)
# on arrows, prefer spots nearer the tail: the head end is crowded with arrowheads
_ARROW_SPOTS = tuple(sorted(_LABEL_SPOTS, key=lambda t: abs(t - 0.42)))


def circle_positions(n: int) -> dict[int, Point]:
    """Nodes evenly on a circle in [0, 1]^2, node 0 at the top, clockwise."""
    angles = [2 * math.pi * i / n for i in range(n)]
    return {i: (0.5 + 0.5 * math.sin(a), 0.5 - 0.5 * math.cos(a)) for i, a in enumerate(angles)}


def point_segment_distance(p: Point, a: Point, b: Point) -> float:
    (px, py), (ax, ay), (bx, by) = p, a, b
    dx, dy = bx - ax, by - ay
    length2 = dx * dx + dy * dy or 1e-12
    t = max(0.0, min(1.0, ((px - ax) * dx + (py - ay) * dy) / length2))
    return math.hypot(px - ax - t * dx, py - ay - t * dy)


def edge_is_clear(positions: dict[int, Point], u: int, v: int, clearance: float) -> bool:
    """True when the straight edge u-v keeps `clearance` (unit coordinates) from every other node,
    so that no edge is hidden behind a node it does not touch."""
    a, b = positions[u], positions[v]
    return all(point_segment_distance(p, a, b) >= clearance
               for w, p in positions.items() if w != u and w != v)


def draw_network(positions: dict[int, Point], edges: Sequence[tuple[int, int]], *,
                 labels: Sequence[str] | None = None, directed: bool = False, caption: str = "",
                 highlight: dict[int, int] | None = None, size: int = 480,
                 height: int | None = None, radius: int = 16) -> bytes:
    """Paint a graph: edges, then nodes on top, then edge labels on white patches placed where
    they touch no node and no other label. `labels[i]` belongs to `edges[i]`. Positions are in
    the unit square, stretched to `size` wide and `height` (default `size`) tall."""
    margin = radius + 14
    top = 32 if caption else 0
    height = height or size
    image = Image.new("P", (size, height + top), _WHITE)
    image.putpalette(_PALETTE)
    draw = ImageDraw.Draw(image)
    if caption:
        draw.text((size / 2, 17), caption, font=font(17), fill=_BLACK, anchor="mm")
    span_x, span_y = size - 2 * margin, height - 2 * margin
    at = {v: (margin + x * span_x, top + margin + y * span_y) for v, (x, y) in positions.items()}

    for u, v in edges:
        start, end = _trim(at[u], at[v], radius)
        draw.line([start, end], fill=_GREY, width=2)
        if directed:
            _arrow_head(draw, start, end)
    for v in sorted(at):
        x, y = at[v]
        draw.ellipse([x - radius, y - radius, x + radius, y + radius],
                     fill=(highlight or {}).get(v, _NODE), outline=_BLACK, width=2)
        draw.text((x, y), str(v), font=font(14 if radius >= 15 else 12), fill=_BLACK, anchor="mm")
    if labels:
        _place_labels(draw, at, edges, labels, radius, directed)
    return to_png(image)


def _trim(a: Point, b: Point, radius: float) -> tuple[Point, Point]:
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    return (a[0] + ux * radius, a[1] + uy * radius), (b[0] - ux * radius, b[1] - uy * radius)


def _arrow_head(draw: ImageDraw.ImageDraw, start: Point, tip: Point) -> None:
    dx, dy = tip[0] - start[0], tip[1] - start[1]
    length = math.hypot(dx, dy) or 1.0
    ux, uy = dx / length, dy / length
    bx, by = tip[0] - ux * 12, tip[1] - uy * 12
    draw.polygon([tip, (bx - uy * 5, by + ux * 5), (bx + uy * 5, by - ux * 5)], fill=_BLACK)


def _place_labels(draw: ImageDraw.ImageDraw, at: dict[int, Point],
                  edges: Sequence[tuple[int, int]], labels: Sequence[str], radius: int,
                  directed: bool) -> None:
    placed: list[tuple[float, float, float, float]] = []
    nodes = list(at.values())
    segments = [(at[u], at[v]) for u, v in edges]
    spots = _LABEL_SPOTS if not directed else _ARROW_SPOTS
    for index, ((u, v), text) in enumerate(zip(edges, labels)):
        (x1, y1), (x2, y2) = at[u], at[v]
        half_w, half_h = 4 + 4 * len(text), 9
        best, best_cost = None, math.inf
        for t in spots:
            cx, cy = x1 + (x2 - x1) * t, y1 + (y2 - y1) * t
            box = (cx - half_w, cy - half_h, cx + half_w, cy + half_h)
            cost = sum(_overlap(box, other) for other in placed)
            cost += sum(_disc_overlap(box, p, radius + 2) for p in nodes)
            # a label on a crossing is ambiguous: other edges must pass clear of the patch
            reach = half_w + 2
            cost += sum(60 for j, (a, b) in enumerate(segments)
                        if j != index and point_segment_distance((cx, cy), a, b) < reach)
            if cost < best_cost:
                best, best_cost = box, cost
                if cost == 0:
                    break
        assert best is not None
        placed.append(best)
        draw.rectangle(best, fill=_WHITE, outline=_LIGHT)
        draw.text(((best[0] + best[2]) / 2, (best[1] + best[3]) / 2), text, font=font(13),
                  fill=_RED, anchor="mm")


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return w * h if w > -1 and h > -1 else 0.0


def _disc_overlap(box: tuple[float, float, float, float], centre: Point, radius: float) -> float:
    nx = min(max(centre[0], box[0]), box[2])
    ny = min(max(centre[1], box[1]), box[3])
    gap = radius - math.hypot(centre[0] - nx, centre[1] - ny)
    return gap * gap * 4 if gap > 0 else 0.0


def adjacency_text(n: int, edges: Iterable[Sequence[int]], *, directed: bool = False,
                   weight_name: str = "weight") -> str:
    """One line per node listing its neighbours in increasing order, with the edge number
    (weight, capacity) where edges carry one: `3: 1 (weight 4), 5 (weight 2)`."""
    rows: dict[int, list[tuple[int, str]]] = {v: [] for v in range(n)}
    for edge in edges:
        u, v = edge[0], edge[1]
        extra = f" ({weight_name} {edge[2]})" if len(edge) > 2 else ""
        rows[u].append((v, f"{v}{extra}"))
        if not directed:
            rows[v].append((u, f"{u}{extra}"))
    sep = " -> " if directed else ": "
    return "\n".join(f"{v}{sep}" + (", ".join(t for _, t in sorted(rows[v])) or "(none)")
                     for v in range(n))
