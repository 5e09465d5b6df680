"""Answer parsers and state readers shared by the binairo, hitori, kukurasu, calcudoku, aquarium
and eulero verifiers. Parsers raise `Unparsable`; state readers raise `ValueError` (a broken
state is the data's fault, surfaced as verifier_error)."""

from __future__ import annotations

import re
from typing import Any

from verifiers.verdict import Unparsable

_ROW_SPLIT = re.compile(r"\]\s*,?\s*\[|\n|;")
_NUM = re.compile(r"[+-]?\d{1,9}")


def parse_int_grid(answer: str, n: int) -> list[list[int]]:
    """An n x n integer grid: `[[3, 1, 2], ...]`, or one row per line of numbers."""
    text = answer.strip()
    if not text:
        raise Unparsable("empty answer")
    if re.search(r"[^\d\s,;\[\]()+-]", text):
        raise Unparsable(f"unexpected characters in a grid answer: {text[:60]!r}")
    inner = text
    if inner.startswith("[") and inner.endswith("]"):
        inner = inner[1:-1].strip()
    rows = [r for r in _ROW_SPLIT.split(inner) if r.strip(" ,[]()")]
    grid = [[int(x) for x in _NUM.findall(r)] for r in rows]
    if len(grid) == 1 and len(grid[0]) == n * n:  # one flat run of n*n numbers
        grid = [grid[0][i * n:(i + 1) * n] for i in range(n)]
    if len(grid) != n or any(len(row) != n for row in grid):
        shape = f"{len(grid)} rows of lengths {sorted({len(r) for r in grid})}"
        raise Unparsable(f"expected {n} rows of {n} numbers, got {shape}")
    return grid


def int_grid(value: Any, name: str, allow_none: bool = False) -> list[list[Any]]:
    """A square list-of-lists of ints (or None where allowed) from the state."""
    if not isinstance(value, list) or not value or not all(isinstance(r, list) for r in value):
        raise ValueError(f"{name} must be a non-empty list of rows")
    n = len(value)
    for row in value:
        if len(row) != len(value[0]):
            raise ValueError(f"{name} rows differ in length")
        for x in row:
            if not (isinstance(x, int) and not isinstance(x, bool)) and not (allow_none and x is None):
                raise ValueError(f"{name} holds {x!r}")
    if n > 40 or len(value[0]) > 40:
        raise ValueError(f"{name} is too large")
    return value


def connected(cells: set[tuple[int, int]]) -> bool:
    """Are the cells one orthogonally connected group (the empty set counts as connected)?"""
    if not cells:
        return True
    start = min(cells)
    seen = {start}
    stack = [start]
    while stack:
        r, c = stack.pop()
        for nb in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
            if nb in cells and nb not in seen:
                seen.add(nb)
                stack.append(nb)
    return len(seen) == len(cells)
