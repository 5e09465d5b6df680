"""eulero: the official cell is the grid as raw text; helix keeps it as size + list of rows.

Official (raw text): n lines of n cells separated by '|', a cell either a letter-number pair
(`C2`) or a single space when empty, e.g. ` |C2|A1`.
helix: `{"size": n, "grid": [[None, "C2", "A1"], ...]}` with None for an empty cell.

Order 6 has no Graeco-Latin square: the public generator's level 4 (6 x 6) rows are partial grids
whose reference answers keep blank cells, so no answer can satisfy them. They still convert (a 6 x 6
state), and helix's verifier then rejects every answer, the reference answer included. helix's own
level 4 is 7 x 7 and its level 5 8 x 8 (the official sizes are 3, 4, 5, 6, 7).
"""

from __future__ import annotations

import re
from typing import Any

from verifiers.official import AdapterError, register

_PAIR = re.compile(r"([A-Z])([0-9]{1,2})")
# the public generator writes ' '; the official reader also takes '', '_', '-' (doubled too), and
# helix's text question writes '..'
_EMPTY = {"", "_", "__", "-", "--", ".", ".."}


def _cell(token: str, n: int, where: str) -> str | None:
    token = token.strip()
    if token in _EMPTY:
        return None
    m = _PAIR.fullmatch(token)
    if not m:
        raise AdapterError(f"eulero {where}: {token[:10]!r} is not a letter-number pair "
                           "(like C2) or a blank")
    letter, number = m.group(1), int(m.group(2))
    if ord(letter) - 65 >= n or not 1 <= number <= n:
        raise AdapterError(f"eulero {where}: {token!r} is outside letters A..{chr(64 + n)} and "
                           f"numbers 1..{n}")
    return f"{letter}{number}"


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    # every line holds a '|' (n >= 2), so trimming the cell's whitespace never drops a line and
    # blank first/last cells survive as empty tokens
    lines = [line.rstrip("\r") for line in initial_state.strip().split("\n")]
    n = len(lines)
    if not 2 <= n <= 26:
        raise AdapterError(f"eulero initial_state has {n} lines, expected one line per row (2..26)")
    grid: list[list[str | None]] = []
    for r, line in enumerate(lines):
        tokens = line.split("|")
        if len(tokens) != n:
            raise AdapterError(f"eulero initial_state line {r + 1} has {len(tokens)} cells, "
                               f"expected {n} separated by '|'")
        grid.append([_cell(tok, n, f"initial_state line {r + 1} cell {c + 1}")
                     for c, tok in enumerate(tokens)])
    return {"size": n, "grid": grid}


def to_official(state: dict[str, Any], answer: str) -> str:
    n, grid = state.get("size"), state.get("grid")
    if type(n) is not int or not 2 <= n <= 26:
        raise AdapterError(f"eulero state: size {n!r}, expected an integer 2..26")
    if (not isinstance(grid, list) or len(grid) != n
            or any(not isinstance(row, list) or len(row) != n for row in grid)):
        raise AdapterError(f"eulero state: 'grid' must be {n} rows of {n} cells")
    lines = []
    for r, row in enumerate(grid):
        cells = []
        for c, x in enumerate(row):
            if x is not None and not isinstance(x, str):
                raise AdapterError(f"eulero state cell ({r},{c}): {x!r}, expected a pair or null")
            value = None if x is None else _cell(x, n, f"state cell ({r},{c})")
            cells.append(value or " ")  # the public generator writes a space for an empty cell
        lines.append("|".join(cells))
    return "\n".join(lines)


register("eulero", to_helix=to_helix, to_official=to_official)
