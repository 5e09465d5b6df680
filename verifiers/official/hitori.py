"""hitori: the official cell is the bare number grid, `[[4, 2, 3, 2], [3, 4, 2, 3], ...]`;
helix's state is `{"size": n, "grid": [[...], ...]}` (square, positive integers)."""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register


def _grid(initial_state: str) -> list[list[int]]:
    if not initial_state.strip():
        raise AdapterError("hitori: initial_state is empty, expected the number grid as a JSON list of rows")
    grid = json_cell(initial_state, "hitori:")
    if not isinstance(grid, list) or not grid:
        raise AdapterError(f"hitori: initial_state is a JSON {type(grid).__name__}, "
                           "expected a non-empty list of rows")
    n = len(grid)
    for r, row in enumerate(grid):
        if not isinstance(row, list) or len(row) != n:
            raise AdapterError(f"hitori: row {r} must be a list of {n} numbers (the grid is square)")
        for c, value in enumerate(row):
            # bool is an int subclass: true/false are not numbers here
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise AdapterError(f"hitori: cell ({r}, {c}) is {value!r}, expected a positive integer")
    return grid


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    grid = _grid(initial_state)
    return {"size": len(grid), "grid": [list(row) for row in grid]}


def to_official(state: dict[str, Any], answer: str) -> str:
    return json.dumps(state["grid"], ensure_ascii=False)


register("hitori", to_helix=to_helix, to_official=to_official)
