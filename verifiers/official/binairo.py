"""binairo: the official cell is the bare grid of givens.

Official (JSON): `[[0, 0, 1, null, 1, 1], ...]`, `null` = empty (the evaluator receives the text
itself, since it is no JSON object, and parses it).
helix: `{"size": 6, "grid": [[0, 0, 1, null, 1, 1], ...]}`, square with an even side.
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    grid = json_cell(initial_state, "binairo:")
    if not isinstance(grid, list) or not grid:
        raise AdapterError(f"binairo: initial_state is a JSON {type(grid).__name__}, expected a "
                           "non-empty list of rows of 0, 1 or null")
    n = len(grid)
    if n % 2 or n > 40:
        raise AdapterError(f"binairo: the grid has {n} rows, expected an even number up to 40")
    for r, row in enumerate(grid):
        if not isinstance(row, list) or len(row) != n:
            raise AdapterError(f"binairo: row {r} must hold {n} cells (the grid is square)")
        for c, v in enumerate(row):
            # bool is an int subclass, and True == 1: refuse it rather than read it as a digit
            if v is not None and (isinstance(v, bool) or v not in (0, 1)):
                raise AdapterError(f"binairo: cell ({r},{c}) is {v!r}, expected 0, 1 or null")
    return {"size": n, "grid": [list(row) for row in grid]}


def to_official(state: dict[str, Any], answer: str) -> str:
    return json.dumps(state["grid"], ensure_ascii=False)


register("binairo", to_helix=to_helix, to_official=to_official)
