"""sudoku: the official cell is the grid as raw text; helix keeps it as a 9 x 9 list of integers.

Official (raw text): 9 lines of 9 space-separated tokens, a digit 1-9 for a given and '.' for an
empty cell, e.g. `. . 8 . . . 2 . .`.
helix: `{"grid": [[0, 0, 8, ...], ...]}`, 9 rows of 9 integers, 0 = empty.
"""

from __future__ import annotations

from typing import Any

from verifiers.official import AdapterError, register

# '.' is what the public generator writes; '0' is what its text question says empty cells are
_EMPTY = {".", "0"}


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    lines = [line for line in initial_state.split("\n") if line.strip()]
    if len(lines) != 9:
        raise AdapterError(f"sudoku initial_state has {len(lines)} grid lines, expected 9")
    grid: list[list[int]] = []
    for r, line in enumerate(lines):
        tokens = line.split()
        if len(tokens) != 9:
            raise AdapterError(f"sudoku initial_state line {r + 1} has {len(tokens)} cells, expected "
                               "9 separated by spaces")
        row = []
        for c, token in enumerate(tokens):
            if token in _EMPTY:
                row.append(0)
            elif len(token) == 1 and token in "123456789":
                row.append(int(token))
            else:
                raise AdapterError(f"sudoku initial_state line {r + 1} cell {c + 1}: {token[:10]!r}, "
                                   "expected a digit 1-9 or '.'")
        grid.append(row)
    return {"grid": grid}


def to_official(state: dict[str, Any], answer: str) -> str:
    grid = state.get("grid")
    if (not isinstance(grid, list) or len(grid) != 9
            or any(not isinstance(row, list) or len(row) != 9 for row in grid)):
        raise AdapterError("sudoku state: 'grid' must be 9 rows of 9 integers")
    lines = []
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if type(v) is not int or not 0 <= v <= 9:
                raise AdapterError(f"sudoku state cell ({r},{c}): {v!r}, expected an integer 0-9")
        lines.append(" ".join("." if v == 0 else str(v) for v in row))
    return "\n".join(lines)


register("sudoku", to_helix=to_helix, to_official=to_official)
