"""snake: the official cell is the bare grid with the two ends marked,
`[[null, null, "S"], [null, null, null], ["E", null, null]]`; the row and column counts are only
in the question (official: "Row counts: 0, 1, 1"; helix's text question: "Row counts, top to
bottom: [0, 1, 1]"). helix's state is
`{"n": n, "start": [r, c], "end": [r, c], "row_counts": [...], "col_counts": [...]}`."""

from __future__ import annotations

import json
import re
from typing import Any

from verifiers.official import AdapterError, json_cell, register

# "Row counts: 0, 1, 1" / "- Row counts: 0, 1, 1" / "Row counts, top to bottom: [0, 1, 1]"
_COUNTS = {key: re.compile(rf"{label} counts[^:\n]{{0,40}}:[ \t]*\[?([0-9][0-9, \t]*)\]?")
           for key, label in (("row_counts", "Row"), ("col_counts", "Column"))}


def _ends(initial_state: str) -> tuple[int, list[int], list[int]]:
    if not initial_state.strip():
        raise AdapterError("snake: initial_state is empty, expected the grid as a JSON list of rows")
    grid = json_cell(initial_state, "snake:")
    if not isinstance(grid, list) or len(grid) < 2:
        raise AdapterError(f"snake: initial_state is a JSON {type(grid).__name__}, "
                           "expected a square list of rows")
    n = len(grid)
    marks: dict[str, list[list[int]]] = {"S": [], "E": []}
    for r, row in enumerate(grid):
        if not isinstance(row, list) or len(row) != n:
            raise AdapterError(f"snake: row {r} must be a list of {n} cells (the grid is square)")
        for c, cell in enumerate(row):
            if cell is None:
                continue
            if not isinstance(cell, str) or cell not in marks:
                raise AdapterError(f"snake: cell ({r},{c}) is {cell!r}, expected null, 'S' or 'E'")
            marks[cell].append([r, c])
    for mark, where in marks.items():
        if len(where) != 1:
            raise AdapterError(f"snake: the grid marks {mark} {len(where)} times, expected once")
    return n, marks["S"][0], marks["E"][0]


def _counts(question: str, key: str, n: int) -> list[int]:
    match = _COUNTS[key].search(question)
    what = "row" if key == "row_counts" else "column"
    if not match:
        raise AdapterError(f"snake: the question states no {what} counts (expected a line like "
                           f"'{what.capitalize()} counts: 0, 1, 2')")
    counts = [int(v) for v in re.split(r"[,\s]+", match.group(1).strip(" ,\t")) if v]
    if len(counts) != n or any(v > n for v in counts):
        raise AdapterError(f"snake: the question's {what} counts {counts} do not fit the {n} x {n} grid")
    return counts


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    n, start, end = _ends(initial_state)
    rows, cols = _counts(question, "row_counts", n), _counts(question, "col_counts", n)
    if sum(rows) != sum(cols):
        raise AdapterError(f"snake: the question's row counts add up to {sum(rows)} snake cells, "
                           f"its column counts to {sum(cols)}")
    return {"n": n, "start": start, "end": end, "row_counts": rows, "col_counts": cols}


def to_official(state: dict[str, Any], answer: str) -> str:
    n = state["n"]
    grid: list[list[str | None]] = [[None] * n for _ in range(n)]
    grid[state["start"][0]][state["start"][1]] = "S"
    grid[state["end"][0]][state["end"][1]] = "E"
    return json.dumps(grid, ensure_ascii=False)


register("snake", to_helix=to_helix, to_official=to_official)
