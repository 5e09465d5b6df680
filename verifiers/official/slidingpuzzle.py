"""slidingpuzzle: the official cell is the bare board, `[[1, 2, 3, 4], ..., [13, 14, 15, 0]]`
(0 = blank); helix's state is `{"board": [[...], ...]}`.

The official evaluator (`puzzle_15_check`) reads the cell with `ast.literal_eval` and walks it as a
list of rows: given helix's object it iterates the key `"board"` and fails, so the cell must be the
bare list."""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    if not initial_state.strip():
        raise AdapterError("slidingpuzzle: initial_state is empty, expected the board as a JSON list of rows")
    board = json_cell(initial_state, "slidingpuzzle:")
    if not isinstance(board, list) or len(board) < 2:
        raise AdapterError(f"slidingpuzzle: initial_state is a JSON {type(board).__name__}, "
                           "expected a square list of rows")
    n = len(board)
    for r, row in enumerate(board):
        if not isinstance(row, list) or len(row) != n:
            raise AdapterError(f"slidingpuzzle: row {r} must be a list of {n} tiles (the board is square)")
        for c, tile in enumerate(row):
            if isinstance(tile, bool) or not isinstance(tile, int):
                raise AdapterError(f"slidingpuzzle: tile at ({r}, {c}) is {tile!r}, expected an integer")
    tiles = sorted(t for row in board for t in row)
    if tiles != list(range(n * n)):
        raise AdapterError(f"slidingpuzzle: the board must hold 0 (blank) to {n * n - 1} once each")
    return {"board": [list(row) for row in board]}


def to_official(state: dict[str, Any], answer: str) -> str:
    return json.dumps(state["board"], ensure_ascii=False)


register("slidingpuzzle", to_helix=to_helix, to_official=to_official)
