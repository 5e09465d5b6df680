"""shingoki: the official cell is the bare grid of points, `[[".", "W2", "."], ["B2", ".", "."], ...]`
(`W<n>` white circle, `B<n>` black circle, `.` none); helix's state is
`{"rows": r, "cols": c, "grid": [...]}` with the same cell strings."""

from __future__ import annotations

import json
import re
from typing import Any

from verifiers.official import AdapterError, json_cell, register

_CELL = re.compile(r"\.|[WB][1-9]\d{0,3}")


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    if not initial_state.strip():
        raise AdapterError("shingoki: initial_state is empty, expected the grid as a JSON list of rows")
    grid = json_cell(initial_state, "shingoki:")
    if not isinstance(grid, list) or not grid:
        raise AdapterError(f"shingoki: initial_state is a JSON {type(grid).__name__}, "
                           "expected a non-empty list of rows")
    cols = len(grid[0]) if isinstance(grid[0], list) else 0
    for r, row in enumerate(grid):
        if not isinstance(row, list) or not row or len(row) != cols:
            raise AdapterError(f"shingoki: row {r} must be a list of {cols or 'some'} cells "
                               "like the first row")
        for c, cell in enumerate(row):
            if not isinstance(cell, str) or not _CELL.fullmatch(cell):
                raise AdapterError(f"shingoki: cell ({r},{c}) is {cell!r}, expected '.', 'W<n>' or 'B<n>'")
    if all(cell == "." for row in grid for cell in row):
        raise AdapterError("shingoki: the grid has no circle")
    return {"rows": len(grid), "cols": cols, "grid": [list(row) for row in grid]}


def to_official(state: dict[str, Any], answer: str) -> str:
    return json.dumps(state["grid"], ensure_ascii=False)


register("shingoki", to_helix=to_helix, to_official=to_official)
