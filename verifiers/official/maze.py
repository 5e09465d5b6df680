"""maze: the official cell is the public generator's text drawing; helix keeps its own drawing.

Official (raw text, 2n+1 lines of 2n+1 characters):

    +-+-+        '+' on every even row and even column, '|' / '-' walls between cells,
    |S 0|        ' ' an open gap, '0' a cell, 'S' / 'E' the start and exit cells
    + + +
    |0|E|
    +-+-+

helix: `{"size": n, "maze": [rows]}`, the same grid with '#' for every wall character and corner,
'.' for open cells and gaps, 'S' / 'E' kept. Cell (r, c) sits at (2r+1, 2c+1) in both, so the
conversion is character by character and the moves mean the same in both.
"""

from __future__ import annotations

from typing import Any

from verifiers.official import AdapterError, register


def _lines(text: str) -> list[str]:
    # every row starts and ends with a wall character, so surrounding whitespace is never part of it
    return [line.rstrip("\r") for line in text.strip().split("\n")]


def _check_size(rows: list[str], what: str) -> int:
    side = len(rows)
    if side < 3 or side % 2 == 0:
        raise AdapterError(f"maze {what} has {side} lines, expected an odd number 2n+1 >= 3")
    for r, row in enumerate(rows):
        if len(row) != side:
            raise AdapterError(f"maze {what} line {r + 1} has {len(row)} characters, expected "
                               f"{side} (the drawing is square)")
    return (side - 1) // 2


def _one(rows: list[str], mark: str, what: str) -> None:
    count = sum(row.count(mark) for row in rows)
    if count != 1:
        raise AdapterError(f"maze {what} holds {count} '{mark}' marks, expected exactly one")


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    rows = _lines(initial_state)
    n = _check_size(rows, "initial_state")
    side = 2 * n + 1
    out: list[str] = []
    for r, row in enumerate(rows):
        chars = []
        for c, ch in enumerate(row):
            border = r in (0, side - 1) or c in (0, side - 1)
            if r % 2 == 0 and c % 2 == 0:
                allowed, walls = "+", "+"
            elif r % 2 == 1 and c % 2 == 1:
                allowed, walls = "0SE", ""
            elif r % 2 == 1:  # between two cells of one row
                allowed, walls = ("|" if border else "| "), "|"
            else:  # between two cells of one column
                allowed, walls = ("-" if border else "- "), "-"
            if ch not in allowed:
                raise AdapterError(f"maze initial_state line {r + 1} column {c + 1}: {ch!r}, "
                                   f"expected one of {allowed!r}")
            if ch in walls:
                chars.append("#")
            elif ch in "SE":
                chars.append(ch)
            else:
                chars.append(".")
        out.append("".join(chars))
    _one(rows, "S", "initial_state")
    _one(rows, "E", "initial_state")
    return {"size": n, "maze": out}


def to_official(state: dict[str, Any], answer: str) -> str:
    rows = state.get("maze")
    if not isinstance(rows, list) or not all(isinstance(row, str) for row in rows):
        raise AdapterError("maze state: 'maze' must be a list of text rows")
    n = _check_size(rows, "state")
    if state.get("size") != n:
        raise AdapterError(f"maze state: size {state.get('size')!r} does not match {n}x{n} cells drawn")
    out: list[str] = []
    for r, row in enumerate(rows):
        chars = []
        for c, ch in enumerate(row):
            if r % 2 == 0 and c % 2 == 0:
                chars.append("+")
            elif r % 2 == 1 and c % 2 == 1:
                if ch not in ".SE":
                    raise AdapterError(f"maze state row {r} column {c}: {ch!r} on a cell")
                chars.append("0" if ch == "." else ch)
            elif ch in "#.":
                wall = "|" if r % 2 == 1 else "-"
                chars.append(wall if ch == "#" else " ")
            else:
                raise AdapterError(f"maze state row {r} column {c}: {ch!r} between cells, "
                                   "expected '#' or '.'")
        out.append("".join(chars))
    _one(rows, "S", "state")
    _one(rows, "E", "state")
    return "\n".join(out)


register("maze", to_helix=to_helix, to_official=to_official)
