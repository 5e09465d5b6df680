"""Parsers and rule checks shared by the digit-grid puzzle verifiers (sudoku, kakuro, nonogram,
futoshiki, skyscrapers). Parsers raise `Unparsable`; state readers raise ValueError (a broken
exported state is the exporter's fault, surfaced as verifier_error)."""

from __future__ import annotations

import re
from typing import Any

from verifiers.verdict import Unparsable

_MATRIX_ROW = re.compile(r"\[([^\[\]]*)\]")
_INT = re.compile(r"[+-]?\d{1,4}")


def int_matrix(state: dict[str, Any] | list, key: str, rows: int | None = None,
               cols: int | None = None, low: int = 0, high: int = 99) -> list[list[int]]:
    """A rectangular integer matrix from the state (`state[key]`, or the state itself when the
    exported row holds the bare list)."""
    grid = state.get(key) if isinstance(state, dict) else state
    if not isinstance(grid, list) or not grid or not all(isinstance(r, list) for r in grid):
        raise ValueError(f"initial_state.{key} must be a list of rows")
    width = len(grid[0])
    for row in grid:
        if len(row) != width or not all(isinstance(v, int) and not isinstance(v, bool)
                                        and low <= v <= high for v in row):
            raise ValueError(f"initial_state.{key} must hold rows of equal length, values {low}..{high}")
    if (rows is not None and len(grid) != rows) or (cols is not None and width != cols):
        raise ValueError(f"initial_state.{key} must be {rows}x{cols}")
    return grid


def parse_matrix(answer: str, n: int) -> list[list[int]]:
    """`[[4, 2, 1], [1, 4, 2], ...]` (outer brackets optional; also one row per line of plain
    numbers) as an n x n integer matrix."""
    text = answer.strip()
    rows = _MATRIX_ROW.findall(text)
    if not rows:
        rows = [line for line in text.splitlines() if line.strip()]
    if len(rows) != n:
        raise Unparsable(f"expected {n} rows, found {len(rows)}")
    grid = []
    for k, row in enumerate(rows):
        parts = [p for p in re.split(r"[\s,|]+", row.strip()) if p]
        if len(parts) != n or not all(_INT.fullmatch(p) for p in parts):
            raise Unparsable(f"row {k} must hold {n} integers, got {row.strip()[:60]!r}")
        grid.append([int(p) for p in parts])
    leftover = _MATRIX_ROW.sub("", text).strip() if _MATRIX_ROW.search(text) else ""
    if leftover.strip("[], \n\t"):
        raise Unparsable(f"unexpected text around the rows: {leftover[:40]!r}")
    return grid


def latin_violation(grid: list[list[int]]) -> str | None:
    """Why an n x n grid is not a Latin square of 1..n, or None."""
    n = len(grid)
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if not 1 <= v <= n:
                return f"cell ({r},{c}) holds {v}, outside 1..{n}"
    for r, row in enumerate(grid):
        if len(set(row)) != n:
            return f"row {r} repeats a number: {row}"
    for c in range(n):
        column = [grid[r][c] for r in range(n)]
        if len(set(column)) != n:
            return f"column {c} repeats a number: {column}"
    return None


def givens_violation(grid: list[list[int]], givens: list[list[int]]) -> str | None:
    """Why the answer changes a given number (0 = no given), or None."""
    for r, row in enumerate(givens):
        for c, v in enumerate(row):
            if v and grid[r][c] != v:
                return f"cell ({r},{c}) is given as {v} but the answer has {grid[r][c]}"
    return None
