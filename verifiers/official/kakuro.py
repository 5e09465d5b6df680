"""kakuro: the official cell is the bare grid of cell objects,
`[[{"type": "black", "right": 5}, {"type": "white"}, ...], ...]`; helix's state wraps the same
grid as `{"grid": [...]}`. Both write a clue only where there is one (no zero clues) and order a
black cell's keys type, right, down."""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register

_KEYS = {"type", "right", "down"}


def _clue(value: Any, where: str, key: str) -> int:
    # the public generator keeps (sum, length) internally and writes only the sum; take either
    if isinstance(value, list) and len(value) == 2:
        value = value[0]
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise AdapterError(f"kakuro: {where} has {key}={value!r}, expected a clue sum (integer)")
    return value


def _cell(raw: Any, r: int, c: int) -> dict[str, Any]:
    where = f"cell ({r},{c})"
    if not isinstance(raw, dict):
        raise AdapterError(f"kakuro: {where} is {type(raw).__name__}, expected an object with a type")
    unknown = sorted(set(raw) - _KEYS)
    if unknown:
        raise AdapterError(f"kakuro: {where} has unexpected key {unknown[0]!r} (expected type, right, down)")
    kind = raw.get("type")
    if kind == "white":
        if len(raw) != 1:
            raise AdapterError(f"kakuro: white {where} carries a clue")
        return {"type": "white"}
    if kind != "black":
        raise AdapterError(f"kakuro: {where} has type {kind!r}, expected 'black' or 'white'")
    cell: dict[str, Any] = {"type": "black"}
    for key in ("right", "down"):
        if raw.get(key) is not None and (value := _clue(raw[key], where, key)):
            cell[key] = value
    return cell


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    if not initial_state.strip():
        raise AdapterError("kakuro: initial_state is empty, "
                           "expected the grid as a JSON list of rows of cells")
    grid = json_cell(initial_state, "kakuro:")
    if not isinstance(grid, list) or not grid:
        raise AdapterError(f"kakuro: initial_state is a JSON {type(grid).__name__}, "
                           "expected a non-empty list of rows of cells")
    width = len(grid[0]) if isinstance(grid[0], list) else 0
    out = []
    for r, row in enumerate(grid):
        if not isinstance(row, list) or not row or len(row) != width:
            raise AdapterError(f"kakuro: row {r} must be a list of {width or 'some'} cells "
                               "like the first row")
        out.append([_cell(raw, r, c) for c, raw in enumerate(row)])
    if not any(cell["type"] == "white" for row in out for cell in row):
        raise AdapterError("kakuro: the grid has no white cell to fill")
    return {"grid": out}


def to_official(state: dict[str, Any], answer: str) -> str:
    return json.dumps(state["grid"], ensure_ascii=False)


register("kakuro", to_helix=to_helix, to_official=to_official)
