"""campsite: the official cell is the helix state plus the reference solution.

Official (JSON): `{"input_grid": [["X", "T", ...], ...], "row_constraints": [...],
"col_constraints": [...], "reference_solution": [["X", "T", "C", ...], ...]}`, where the
reference solution is the grid with its tents written as "C" (the official evaluator never reads
it). helix: the same without `reference_solution`; to_official rebuilds it from helix's answer
(1-based [row, column] pairs).
"""

from __future__ import annotations

import json
import re
from typing import Any

from verifiers.official import AdapterError, register

_KEYS = ("input_grid", "row_constraints", "col_constraints")
_PAIR = re.compile(r"[\[(]\s*(\d+)\s*,\s*(\d+)\s*[\])]")


def _grid(value: Any, key: str, cells: tuple[str, ...]) -> list[list[str]]:
    if not isinstance(value, list) or not value:
        raise AdapterError(f"campsite {key}: expected a non-empty list of rows")
    width = len(value[0]) if isinstance(value[0], list) else -1
    for r, row in enumerate(value):
        if not isinstance(row, list) or len(row) != width or width < 1:
            raise AdapterError(f"campsite {key} row {r + 1}: expected a list of {max(width, 1)} cells "
                               "like the first row")
        bad = next((x for x in row if x not in cells), None)
        if bad is not None:
            raise AdapterError(f"campsite {key} row {r + 1}: {repr(bad)[:12]}, expected one of "
                               + ", ".join(repr(c) for c in cells))
    return [list(row) for row in value]


def _counts(value: Any, key: str, size: int, most: int) -> list[int]:
    if (not isinstance(value, list) or len(value) != size
            or not all(type(k) is int and 0 <= k <= most for k in value)):
        raise AdapterError(f"campsite {key}: {repr(value)[:40]}, expected {size} integers 0..{most}")
    return list(value)


def _state(obj: Any) -> dict[str, Any]:
    grid = _grid(obj.get("input_grid"), "input_grid", ("T", "X"))
    rows, cols = len(grid), len(grid[0])
    return {"input_grid": grid,
            "row_constraints": _counts(obj.get("row_constraints"), "row_constraints", rows, cols),
            "col_constraints": _counts(obj.get("col_constraints"), "col_constraints", cols, rows)}


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    try:
        obj = json.loads(initial_state)
    except json.JSONDecodeError as error:
        raise AdapterError(f"campsite initial_state is not JSON: {error.msg}") from None
    if not isinstance(obj, dict):
        raise AdapterError(f"campsite initial_state is a JSON {type(obj).__name__}, expected an "
                           "object with input_grid, row_constraints, col_constraints")
    extra = sorted(set(obj) - set(_KEYS) - {"reference_solution"})
    if extra:
        raise AdapterError(f"campsite initial_state has unexpected keys {extra}")
    # reference_solution carries the answer, not the puzzle: helix keeps it in the answer
    return _state(obj)


def to_official(state: dict[str, Any], answer: str) -> str:
    puzzle = _state(state)
    solution = [row[:] for row in puzzle["input_grid"]]
    pairs = [(int(a), int(b)) for a, b in _PAIR.findall(answer)]
    if not pairs and sum(puzzle["row_constraints"]):
        raise AdapterError("campsite: helix's reference answer (the tent list) is needed to write "
                           "reference_solution")
    for r, c in pairs:
        if not (1 <= r <= len(solution) and 1 <= c <= len(solution[0])) or solution[r - 1][c - 1] != "X":
            raise AdapterError(f"campsite answer: tent [{r}, {c}] is not an empty cell of the grid")
        solution[r - 1][c - 1] = "C"
    return json.dumps({**puzzle, "reference_solution": solution}, ensure_ascii=False)


register("campsite", to_helix=to_helix, to_official=to_official)
