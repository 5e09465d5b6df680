"""tapa: the official cell is the grid as text, one line per row, one character per cell: `.` for
a free cell, a digit for a clue cell (its single number), e.g. `.2.\\n.3.\\n.2.`. helix's state is
`{"rows": R, "cols": C, "clues": {"r,c": k, ...}}` with the clues in row-major order. The cell holds
every fact, so the question is not read."""

from __future__ import annotations

from typing import Any

from verifiers.official import AdapterError, register


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    # a row's trailing spaces or carriage return are transport noise, not cells
    lines = [line.rstrip() for line in initial_state.strip().split("\n")]
    if not lines or not lines[0]:
        raise AdapterError("tapa: initial_state is empty, expected rows of '.' and clue digits")
    cols = len(lines[0])
    clues: dict[str, int] = {}
    for r, line in enumerate(lines):
        if len(line) != cols:
            raise AdapterError(f"tapa: row {r} has {len(line)} cells, row 0 has {cols}")
        for c, char in enumerate(line):
            if char == ".":
                continue
            if not ("0" <= char <= "8"):
                raise AdapterError(f"tapa: row {r} column {c} holds {char!r}, expected '.' or a "
                                   "clue digit 0..8")
            clues[f"{r},{c}"] = int(char)
    return {"rows": len(lines), "cols": cols, "clues": clues}


def to_official(state: dict[str, Any], answer: str) -> str:
    rows, cols, clues = state.get("rows"), state.get("cols"), state.get("clues")
    if not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in (rows, cols)):
        raise AdapterError("tapa: state.rows and state.cols must be positive integers")
    if not isinstance(clues, dict):
        raise AdapterError("tapa: state.clues must map 'row,col' to a number")
    grid = [["."] * cols for _ in range(rows)]
    for key, value in clues.items():
        try:
            r, c = (int(x) for x in str(key).split(","))
        except ValueError:
            raise AdapterError(f"tapa: clue key {key!r} is not 'row,col'") from None
        if isinstance(value, list) and len(value) == 1:  # older helix exports
            value = value[0]
        if not (0 <= r < rows and 0 <= c < cols):
            raise AdapterError(f"tapa: clue {key!r} is outside the {rows}x{cols} grid")
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 8:
            raise AdapterError(f"tapa: clue {key!r} is {value!r}, the official cell holds one digit 0..8")
        grid[r][c] = str(value)
    return "\n".join("".join(row) for row in grid)


register("tapa", to_helix=to_helix, to_official=to_official)
