"""aquarium: the official cell names the grid's dimensions `grid_size` ([rows, cols]).

Official (JSON): `{"regions": [[0, 1, 2, 3], ...], "row_clues": [0, 1, 4, 4],
"col_clues": [3, 2, 2, 2], "grid_size": [4, 4]}`, region labels arbitrary integers.
helix: `{"size": 4, "regions": [[0, 1, 2, 3], ...], "row_clues": [...], "col_clues": [...]}`,
square, tanks numbered 0, 1, ... in reading order (the order helix's generator numbers them).
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _clues(data: dict[str, Any], key: str, n: int) -> list[int]:
    seq = data.get(key)
    if not isinstance(seq, list) or len(seq) != n:
        raise AdapterError(f"aquarium: '{key}' must be a list of {n} integers")
    for i, v in enumerate(seq):
        if not _is_int(v) or not 0 <= v <= n:
            raise AdapterError(f"aquarium: {key}[{i}] is {v!r}, expected an integer 0..{n}")
    return list(seq)


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    data = json_cell(initial_state, "aquarium:")
    if not isinstance(data, dict):
        raise AdapterError(f"aquarium: initial_state is a JSON {type(data).__name__}, expected an "
                           "object with regions, row_clues, col_clues, grid_size")
    regions = data.get("regions")
    if not isinstance(regions, list) or not regions:
        raise AdapterError("aquarium: 'regions' must be a non-empty list of rows of region labels")
    n = len(regions)
    if n > 40:
        raise AdapterError(f"aquarium: the grid has {n} rows, more than 40")
    for r, row in enumerate(regions):
        if not isinstance(row, list) or len(row) != n:
            raise AdapterError(f"aquarium: regions row {r} must list {n} labels (helix's grids are square)")
        for c, label in enumerate(row):
            if not _is_int(label):
                raise AdapterError(f"aquarium: region label at row {r}, column {c} is {label!r}, "
                                   "expected an integer")
    size = data.get("grid_size")
    if (not isinstance(size, list) or len(size) != 2 or not all(_is_int(v) for v in size)):
        raise AdapterError(f"aquarium: grid_size is {size!r}, expected [rows, cols]")
    if size != [n, n]:
        raise AdapterError(f"aquarium: grid_size {size} does not match the {n}x{n} regions grid")
    # relabel in reading order: the same partition, named as helix's generator names it
    names: dict[int, int] = {}
    for row in regions:
        for label in row:
            names.setdefault(label, len(names))
    return {"size": n, "regions": [[names[label] for label in row] for row in regions],
            "row_clues": _clues(data, "row_clues", n), "col_clues": _clues(data, "col_clues", n)}


def to_official(state: dict[str, Any], answer: str) -> str:
    n = state["size"]
    return json.dumps({"regions": state["regions"], "row_clues": state["row_clues"],
                       "col_clues": state["col_clues"], "grid_size": [n, n]}, ensure_ascii=False)


register("aquarium", to_helix=to_helix, to_official=to_official)
