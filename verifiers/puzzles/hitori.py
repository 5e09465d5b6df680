"""Verifier for hitori: judged by the rules from the number grid (no repeated unshaded number in a
row or column, no two shaded cells side by side, unshaded cells connected)."""

from __future__ import annotations

from verifiers.parse import parse_pairs
from verifiers.puzzles._grid_readers import connected, int_grid
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict | list, answer: str) -> Verdict:
    numbers = int_grid(state["grid"] if isinstance(state, dict) else state, "grid")
    h, w = len(numbers), len(numbers[0])
    shaded = set(parse_pairs(answer))
    parsed = "{" + ", ".join(f"({r}, {c})" for r, c in sorted(shaded)) + "}"
    outside = [p for p in sorted(shaded) if not (0 <= p[0] < h and 0 <= p[1] < w)]
    if outside:
        return Verdict.reject(f"cell {outside[0]} lies outside the {h}x{w} grid", parsed)
    for r, c in sorted(shaded):
        for nb in ((r + 1, c), (r, c + 1)):
            if nb in shaded:
                return Verdict.reject(f"shaded cells ({r}, {c}) and {nb} share a side", parsed)
    for r in range(h):
        seen: dict[int, int] = {}
        for c in range(w):
            if (r, c) not in shaded:
                if numbers[r][c] in seen:
                    return Verdict.reject(f"row {r} keeps {numbers[r][c]} unshaded twice "
                                          f"(columns {seen[numbers[r][c]]} and {c})", parsed)
                seen[numbers[r][c]] = c
    for c in range(w):
        seen = {}
        for r in range(h):
            if (r, c) not in shaded:
                if numbers[r][c] in seen:
                    return Verdict.reject(f"column {c} keeps {numbers[r][c]} unshaded twice "
                                          f"(rows {seen[numbers[r][c]]} and {r})", parsed)
                seen[numbers[r][c]] = r
    white = {(r, c) for r in range(h) for c in range(w)} - shaded
    if not connected(white):
        return Verdict.reject("the unshaded cells are not all connected", parsed)
    return Verdict.accept(parsed)


register("hitori", check)
