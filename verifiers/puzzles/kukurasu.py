"""Verifier for kukurasu: a 0/1 grid judged by the weighted row and column sums (weights are the
1-based column numbers for rows and the 1-based row numbers for columns)."""

from __future__ import annotations

from verifiers.puzzles._grid_readers import parse_int_grid
from verifiers.registry import register
from verifiers.verdict import Verdict


def _sums(state: dict) -> tuple[list[int], list[int]]:
    rows, cols = state.get("row_sums"), state.get("col_sums")
    for name, seq in (("row_sums", rows), ("col_sums", cols)):
        if not isinstance(seq, list) or not seq or not all(isinstance(x, int) for x in seq):
            raise ValueError(f"{name} must be a non-empty list of integers")
    if len(rows) != len(cols) or len(rows) > 40:
        raise ValueError("row_sums and col_sums must describe a square grid")
    return rows, cols


def check(state: dict, answer: str) -> Verdict:
    rows, cols = _sums(state)
    n = len(rows)
    grid = parse_int_grid(answer, n)
    parsed = "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in grid) + "]"
    bad = next(((r, c) for r in range(n) for c in range(n) if grid[r][c] not in (0, 1)), None)
    if bad:
        return Verdict.reject(f"cell {bad} holds {grid[bad[0]][bad[1]]}, not 0 or 1", parsed)
    for r in range(n):
        got = sum(c + 1 for c in range(n) if grid[r][c])
        if got != rows[r]:
            return Verdict.reject(f"row {r + 1} (1-based) sums to {got}, not {rows[r]}", parsed)
    for c in range(n):
        got = sum(r + 1 for r in range(n) if grid[r][c])
        if got != cols[c]:
            return Verdict.reject(f"column {c + 1} (1-based) sums to {got}, not {cols[c]}", parsed)
    return Verdict.accept(parsed)


register("kukurasu", check)
