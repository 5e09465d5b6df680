"""kukurasu: the official cell carries the solution grid besides the sums.

Official (JSON): `{"row_sums": [5, 6, 1], "col_sums": [5, 3, 3], "size": 3,
"solution": [[0, 1, 1], [1, 1, 1], [1, 0, 0]]}`.
helix: `{"size": 3, "row_sums": [5, 6, 1], "col_sums": [5, 3, 3]}`; the solution is the row's
answer, so `to_helix` drops it and `to_official` rebuilds it from helix's reference answer.
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register
from verifiers.puzzles._grid_readers import parse_int_grid


def _sums(data: dict[str, Any], key: str) -> list[int]:
    seq = data.get(key)
    if not isinstance(seq, list) or not seq:
        raise AdapterError(f"kukurasu: '{key}' must be a non-empty list of integers")
    for i, v in enumerate(seq):
        if isinstance(v, bool) or not isinstance(v, int) or v < 0:
            raise AdapterError(f"kukurasu: {key}[{i}] is {v!r}, expected a non-negative integer")
    return list(seq)


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    data = json_cell(initial_state, "kukurasu:")
    if not isinstance(data, dict):
        raise AdapterError(f"kukurasu: initial_state is a JSON {type(data).__name__}, expected an "
                           "object with row_sums, col_sums, size")
    rows, cols = _sums(data, "row_sums"), _sums(data, "col_sums")
    n = data.get("size", len(rows))
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 40:
        raise AdapterError(f"kukurasu: size is {n!r}, expected an integer 1..40")
    if len(rows) != n or len(cols) != n:
        raise AdapterError(f"kukurasu: size {n} but {len(rows)} row sums and {len(cols)} column sums")
    return {"size": n, "row_sums": rows, "col_sums": cols}


def to_official(state: dict[str, Any], answer: str) -> str:
    n = state["size"]
    try:
        solution = parse_int_grid(answer, n)
    except ValueError as error:
        raise AdapterError(f"kukurasu: the official cell carries the solution; helix's reference "
                           f"answer is not a {n}x{n} 0/1 grid ({error})") from None
    if any(v not in (0, 1) for row in solution for v in row):
        raise AdapterError("kukurasu: the reference answer holds values other than 0 and 1")
    return json.dumps({"row_sums": state["row_sums"], "col_sums": state["col_sums"], "size": n,
                       "solution": solution}, ensure_ascii=False)


register("kukurasu", to_helix=to_helix, to_official=to_official)
