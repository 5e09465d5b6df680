"""futoshiki: the official cell writes each inequality as two cells and a sign.

Official (JSON): `{"grid": [[0, 2, 0], ...], "inequalities": [{"cell1": [0, 0], "cell2": [1, 0],
"symbol": ">"}, ...], "size": 3}`, cell1 the upper or left cell, 0 = empty, 0-based cells.
helix: `{"n": 3, "grid": [[0, 2, 0], ...], "inequalities": [[1, 0, 0, 0], ...]}`, each
`[r1, c1, r2, c2]` meaning cell (r1,c1) < cell (r2,c2), listed in the order of the pair's upper
or left cell then the other cell (helix's generator order, which is also the official one).
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register

Cell = tuple[int, int]


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _cell(value: Any, where: str, n: int) -> Cell:
    if (not isinstance(value, list) or len(value) != 2 or not all(_is_int(v) and 0 <= v < n for v in value)):
        raise AdapterError(f"futoshiki: {where} is {value!r}, expected [row, col] with 0 <= row, col < {n}")
    return value[0], value[1]


def _order(pair: tuple[Cell, Cell]) -> tuple[Cell, Cell]:
    """The pair's upper or left cell first: the key both generators list inequalities by."""
    return min(pair), max(pair)


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    data = json_cell(initial_state, "futoshiki:")
    if not isinstance(data, dict):
        raise AdapterError(f"futoshiki: initial_state is a JSON {type(data).__name__}, expected an "
                           "object with grid, inequalities, size")
    grid = data.get("grid")
    if not isinstance(grid, list) or not grid:
        raise AdapterError("futoshiki: 'grid' must be a non-empty list of rows")
    n = len(grid)
    if n > 16:
        raise AdapterError(f"futoshiki: the grid has {n} rows, more than 16")
    size = data.get("size", n)
    if not _is_int(size) or size != n:
        raise AdapterError(f"futoshiki: size is {size!r} but the grid has {n} rows")
    for r, row in enumerate(grid):
        if not isinstance(row, list) or len(row) != n:
            raise AdapterError(f"futoshiki: grid row {r} must hold {n} numbers")
        for c, v in enumerate(row):
            if not _is_int(v) or not 0 <= v <= n:
                raise AdapterError(f"futoshiki: grid cell ({r},{c}) is {v!r}, expected 0 (empty) or 1..{n}")
    raw = data.get("inequalities", [])
    if not isinstance(raw, list):
        raise AdapterError("futoshiki: 'inequalities' must be a list of {cell1, cell2, symbol}")
    less: list[tuple[Cell, Cell]] = []  # (smaller cell, larger cell)
    for k, item in enumerate(raw):
        if not isinstance(item, dict):
            raise AdapterError(f"futoshiki: inequality {k} is {item!r}, expected {{cell1, cell2, symbol}}")
        a = _cell(item.get("cell1"), f"inequality {k} cell1", n)
        b = _cell(item.get("cell2"), f"inequality {k} cell2", n)
        if a == b:
            raise AdapterError(f"futoshiki: inequality {k} compares cell {list(a)} with itself")
        symbol = item.get("symbol")
        if symbol == "<":
            less.append((a, b))
        elif symbol == ">":
            less.append((b, a))
        else:
            raise AdapterError(f"futoshiki: inequality {k} symbol {symbol!r}, expected '<' or '>'")
    less.sort(key=_order)
    return {"n": n, "grid": [list(row) for row in grid],
            "inequalities": [[a[0], a[1], b[0], b[1]] for a, b in less]}


def to_official(state: dict[str, Any], answer: str) -> str:
    inequalities = []
    for r1, c1, r2, c2 in state["inequalities"]:
        small, large = (r1, c1), (r2, c2)
        first, second = _order((small, large))
        inequalities.append({"cell1": list(first), "cell2": list(second),
                             "symbol": "<" if first == small else ">"})
    return json.dumps({"grid": state["grid"], "inequalities": inequalities, "size": state["n"]},
                      ensure_ascii=False)


register("futoshiki", to_helix=to_helix, to_official=to_official)
