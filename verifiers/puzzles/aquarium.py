"""Verifier for aquarium: water cells given as (x, y) with x = column, y = row (0-based), judged
by the row and column clues and by the tank rule (water in a tank fills that row and every lower
row of the tank: no dry cell of a tank at or below one of its water cells)."""

from __future__ import annotations

from verifiers.parse import parse_pairs
from verifiers.puzzles._grid_readers import int_grid
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    regions = int_grid(state.get("regions"), "regions")
    h, w = len(regions), len(regions[0])
    rows, cols = state.get("row_clues"), state.get("col_clues")
    if not (isinstance(rows, list) and isinstance(cols, list) and len(rows) == h and len(cols) == w):
        raise ValueError("row_clues and col_clues must match the grid")
    water = set(parse_pairs(answer))  # (x, y)
    parsed = "[" + ", ".join(f"({x}, {y})" for x, y in sorted(water, key=lambda p: (p[1], p[0]))) + "]"
    outside = [p for p in sorted(water) if not (0 <= p[0] < w and 0 <= p[1] < h)]
    if outside:
        return Verdict.reject(f"(x, y) = {outside[0]} lies outside the {w}x{h} grid", parsed)
    for y in range(h):
        got = sum((x, y) in water for x in range(w))
        if got != rows[y]:
            return Verdict.reject(f"row y={y} holds {got} water cells, not {rows[y]}", parsed)
    for x in range(w):
        got = sum((x, y) in water for y in range(h))
        if got != cols[x]:
            return Verdict.reject(f"column x={x} holds {got} water cells, not {cols[x]}", parsed)
    top: dict[int, int] = {}  # tank -> highest (smallest y) water row
    for x, y in water:
        top[regions[y][x]] = min(top.get(regions[y][x], h), y)
    for y in range(h):
        for x in range(w):
            tank = regions[y][x]
            if (x, y) not in water and tank in top and y >= top[tank]:
                return Verdict.reject(f"(x, y) = ({x}, {y}) is dry although its tank holds water "
                                      f"in row y={top[tank]}, at or above it", parsed)
    return Verdict.accept(parsed)


register("aquarium", check)
