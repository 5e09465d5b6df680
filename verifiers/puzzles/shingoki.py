"""Verifier for shingoki: the segments must form one simple closed loop on the point grid that
passes every circle, straight through white ones and turning at black ones, with each circle's
two straight legs summing to its number. Judged by the rules, so any valid loop passes."""

from __future__ import annotations

from verifiers.puzzles._place import int_field, parse_edges, str_grid
from verifiers.registry import register
from verifiers.verdict import Verdict

Point = tuple[int, int]


def _circles(state: dict) -> tuple[int, int, dict[Point, tuple[str, int]]]:
    grid = str_grid(state.get("grid"), "grid")
    rows, cols = int_field(state, "rows", 1, 100), int_field(state, "cols", 1, 100)
    if len(grid) != rows or len(grid[0]) != cols:
        raise ValueError("initial_state.grid does not match rows x cols")
    circles = {}
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            if cell not in (".", ""):
                kind, value = cell[0].upper(), int(cell[1:])
                if kind not in "WB":
                    raise ValueError(f"bad cell {cell!r}")
                circles[(r, c)] = ("white" if kind == "W" else "black", value)
    return rows, cols, circles


def check(state: dict, answer: str) -> Verdict:
    rows, cols, circles = _circles(state)
    links: dict[Point, list[Point]] = {}
    seen_edges: set[tuple[Point, Point]] = set()
    for a, b, k in parse_edges(answer):
        name = f"({a[0]},{a[1]})-({b[0]},{b[1]})"
        if k is not None:
            return Verdict.reject(f"{name}:{k}: loop segments carry no count")
        if not all(0 <= p[0] < rows and 0 <= p[1] < cols for p in (a, b)):
            return Verdict.reject(f"{name} leaves the {rows}x{cols} point grid")
        if abs(a[0] - b[0]) + abs(a[1] - b[1]) != 1:
            return Verdict.reject(f"{name} does not join two adjacent points")
        edge = (min(a, b), max(a, b))
        if edge in seen_edges:
            return Verdict.reject(f"{name} is listed twice")
        seen_edges.add(edge)
        links.setdefault(a, []).append(b)
        links.setdefault(b, []).append(a)
    if not links:
        return Verdict.reject("no segments")
    for p in sorted(links):
        if len(links[p]) != 2:
            return Verdict.reject(f"point ({p[0]},{p[1]}) has {len(links[p])} segments; a loop needs 2")
    start = min(links)
    order, prev, cur = [start], None, start
    while True:
        nxt = links[cur][0] if links[cur][0] != prev else links[cur][1]
        if nxt == start:
            break
        order.append(nxt)
        prev, cur = cur, nxt
    if len(order) != len(links):
        return Verdict.reject("the segments form more than one loop")
    position = {p: i for i, p in enumerate(order)}
    m = len(order)
    turn = [_turns(order[i - 1], order[i], order[(i + 1) % m]) for i in range(m)]
    for p, (color, value) in sorted(circles.items()):
        if p not in position:
            return Verdict.reject(f"the loop misses the {color} circle at ({p[0]},{p[1]})")
        i = position[p]
        if turn[i] != (color == "black"):
            how = "turn" if color == "black" else "go straight"
            return Verdict.reject(f"the loop must {how} at the {color} circle ({p[0]},{p[1]})")
        legs = 0
        for step in (1, -1):
            k = i
            while True:
                k = (k + step) % m
                legs += 1
                if turn[k]:
                    break
        if legs != value:
            return Verdict.reject(f"circle ({p[0]},{p[1]}): its segments add up to {legs}, not {value}")
    return Verdict.accept()


def _turns(a: Point, b: Point, c: Point) -> bool:
    return (b[0] - a[0], b[1] - a[1]) != (c[0] - b[0], c[1] - b[1])


register("shingoki", check)
