"""nonogram: the official cell is `[[row clues...], [column clues...]]` with `[]` for an empty
line; helix's state is `{"row_clues": [...], "col_clues": [...]}` with `[0]` for an empty line."""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register


def _clues(raw: Any, what: str) -> list[list[int]]:
    if not isinstance(raw, list) or not raw:
        raise AdapterError(f"nonogram: the {what} clues must be a non-empty list of lists")
    out = []
    for i, clue in enumerate(raw):
        if not isinstance(clue, list) or any(isinstance(v, bool) or not isinstance(v, int) for v in clue):
            raise AdapterError(f"nonogram: {what} clue {i} is {clue!r}, expected a list of integers")
        blocks = [v for v in clue if v != 0]
        if any(v < 0 for v in blocks) or (blocks and len(blocks) != len(clue)):
            raise AdapterError(f"nonogram: {what} clue {i} is {clue!r}, expected positive block lengths")
        out.append(blocks or [0])  # helix writes an empty line as [0]
    return out


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    if not initial_state.strip():
        raise AdapterError("nonogram: initial_state is empty, expected [[row clues], [column clues]]")
    pair = json_cell(initial_state, "nonogram:")
    if not isinstance(pair, list) or len(pair) != 2:
        raise AdapterError("nonogram: initial_state must be a JSON list of two lists: "
                           "[[row clues], [column clues]]")
    rows, cols = _clues(pair[0], "row"), _clues(pair[1], "column")
    for what, clues, length in (("row", rows, len(cols)), ("column", cols, len(rows))):
        for i, clue in enumerate(clues):
            if sum(clue) + len(clue) - 1 > length:
                raise AdapterError(f"nonogram: {what} clue {i} {clue} does not fit in {length} cells")
    return {"row_clues": rows, "col_clues": cols}


def to_official(state: dict[str, Any], answer: str) -> str:
    def bare(clues: list[list[int]]) -> list[list[int]]:
        return [[v for v in clue if v] for clue in clues]

    return json.dumps([bare(state["row_clues"]), bare(state["col_clues"])], ensure_ascii=False)


register("nonogram", to_helix=to_helix, to_official=to_official)
