"""numbrix: the official cell is the grid as text, an empty first line and then one `|`-row per
grid row, a given number in its cell and a blank (one space) for an empty cell, e.g.
`\\n| |1| |7|\\n|3| |5| |\\n...`. helix's state is `{"n": n, "grid": [[...], ...]}` with 0 for an
empty cell. The cell holds every fact, so the question is not read."""

from __future__ import annotations

from typing import Any

from verifiers.official import AdapterError, register


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    lines = [line.strip() for line in initial_state.strip().splitlines() if line.strip()]
    if not lines:
        raise AdapterError("numbrix: initial_state is empty, expected rows like '| |1| |7|'")
    grid: list[list[int]] = []
    for r, line in enumerate(lines):
        if len(line) < 2 or not (line.startswith("|") and line.endswith("|")):
            raise AdapterError(f"numbrix: row {r} is {line[:40]!r}, expected cells between '|' "
                               "like '| |1| |7|'")
        row = []
        for c, cell in enumerate(line[1:-1].split("|")):
            cell = cell.strip()
            if cell and not (cell.isascii() and cell.isdigit()):
                raise AdapterError(f"numbrix: row {r} cell {c} holds {cell[:20]!r}, expected a "
                                   "number or a blank")
            row.append(int(cell) if cell else 0)
        grid.append(row)
    n = len(grid)
    for r, row in enumerate(grid):
        if len(row) != n:
            raise AdapterError(f"numbrix: row {r} has {len(row)} cells, the grid has {n} rows "
                               "(it must be square)")
    seen: set[int] = set()
    for row in grid:
        for v in row:
            if v and not 1 <= v <= n * n:
                raise AdapterError(f"numbrix: given {v} is outside 1..{n * n}")
            if v in seen:
                raise AdapterError(f"numbrix: given {v} appears twice")
            if v:
                seen.add(v)
    return {"n": n, "grid": grid}


def to_official(state: dict[str, Any], answer: str) -> str:
    grid = state.get("grid")
    if not isinstance(grid, list) or not grid or not all(isinstance(row, list) for row in grid):
        raise AdapterError("numbrix: state.grid must be a list of rows")
    cells = [v for row in grid for v in row]
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in cells):
        raise AdapterError("numbrix: state.grid must hold non-negative integers (0 = empty)")
    # the official generator writes an empty first line, then the rows; a blank is one space
    return "\n" + "\n".join("|" + "|".join(str(v) if v else " " for v in row) + "|"
                            for row in grid)


register("numbrix", to_helix=to_helix, to_official=to_official)
