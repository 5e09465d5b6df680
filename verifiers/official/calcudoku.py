"""calcudoku: the official cell names the cages `regions` and writes operators its own way.

Official (JSON): `{"size": 3, "regions": [{"cells": [[1, 2], [1, 1]], "operator": "+", "target": 3},
...]}`, cells 1-based (row, column) in the order the region grew, operators `+ * - ÷`, a
single-cell region written as `+` with the cell's value.
helix: `{"size": 3, "cages": [{"cells": [[1, 1], [1, 2]], "operator": "+", "target": 3}, ...]}`,
cells 1-based and sorted within a cage, operators `+ * - /` and `=` for a single cell.

The official evaluator reads `regions` and skips every cage check when the key is missing, so a
cell written with helix's `cages` let any Latin square pass: `to_official` always writes `regions`.
It also knows only `+ * - ÷` (anything else computes 0, failing the cage), hence the operator
mapping both ways.
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register

# official (and helix, for legacy cells) operator spellings -> helix's
_TO_HELIX_OP = {"+": "+", "*": "*", "×": "*", "x": "*", "X": "*", "-": "-", "−": "-",
                "÷": "/", "/": "/", "=": "="}
_TO_OFFICIAL_OP = {"+": "+", "*": "*", "-": "-", "/": "÷", "=": "+"}


def _int(value: Any, where: str, low: int, high: int) -> int:
    # bool is an int subclass: true/false are not numbers here
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise AdapterError(f"calcudoku: {where} is {value!r}, expected an integer {low}..{high}")
    return value


def _cage(region: Any, k: int, n: int) -> dict[str, Any]:
    if not isinstance(region, dict):
        raise AdapterError(f"calcudoku: region {k} is a JSON {type(region).__name__}, expected an "
                           "object with cells, operator, target")
    cells = region.get("cells")
    if not isinstance(cells, list) or not cells:
        raise AdapterError(f"calcudoku: region {k} 'cells' must be a non-empty list of [row, col]")
    pairs = []
    for cell in cells:
        if not isinstance(cell, list) or len(cell) != 2:
            raise AdapterError(f"calcudoku: region {k} cell {cell!r} is not a [row, col] pair")
        pairs.append((_int(cell[0], f"region {k} row", 1, n), _int(cell[1], f"region {k} column", 1, n)))
    raw_op = region.get("operator")
    op = _TO_HELIX_OP.get(raw_op.strip()) if isinstance(raw_op, str) else None
    if op is None:
        raise AdapterError(f"calcudoku: region {k} operator {raw_op!r}, expected one of + * - ÷")
    if len(pairs) == 1 and op in ("+", "*", "="):
        op = "="  # a one-cell sum or product is the cell itself: helix's single-cell cage
    elif op == "=" and len(pairs) != 1:
        raise AdapterError(f"calcudoku: region {k} has {len(pairs)} cells with operator '='")
    elif op in ("-", "/") and len(pairs) != 2:
        raise AdapterError(f"calcudoku: region {k} operator {raw_op!r} needs exactly 2 cells, "
                           f"has {len(pairs)}")
    target = _int(region.get("target"), f"region {k} target", 0, 10 ** 12)
    # helix lists a cage's cells sorted; the order never changes a cage's value
    return {"cells": [[r, c] for r, c in sorted(pairs)], "operator": op, "target": target}


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    data = json_cell(initial_state, "calcudoku:")
    if not isinstance(data, dict):
        raise AdapterError(f"calcudoku: initial_state is a JSON {type(data).__name__}, expected an "
                           "object with size and regions")
    n = _int(data.get("size"), "size", 1, 16)
    # `regions` is the official key; `cages` is what helix's own rows held before this adapter
    regions = data.get("regions", data.get("cages"))
    if not isinstance(regions, list) or not regions:
        raise AdapterError("calcudoku: initial_state needs 'regions', a non-empty list of "
                           "{cells, operator, target}")
    cages = [_cage(region, k, n) for k, region in enumerate(regions)]
    owner: dict[tuple[int, int], int] = {}
    for k, cage in enumerate(cages):
        for r, c in cage["cells"]:
            if (r, c) in owner:
                raise AdapterError(f"calcudoku: cell ({r},{c}) is in regions {owner[(r, c)]} and {k}")
            owner[(r, c)] = k
    if len(owner) != n * n:
        missing = next((r, c) for r in range(1, n + 1) for c in range(1, n + 1) if (r, c) not in owner)
        raise AdapterError(f"calcudoku: cell {missing} is in no region; regions must cover the "
                           f"{n}x{n} grid")
    return {"size": n, "cages": cages}


def to_official(state: dict[str, Any], answer: str) -> str:
    regions = []
    for k, cage in enumerate(state["cages"]):
        op = _TO_OFFICIAL_OP.get(cage["operator"])
        if op is None:
            raise AdapterError(f"calcudoku state: cage {k} operator {cage['operator']!r} has no "
                               "official spelling")
        regions.append({"cells": [list(cell) for cell in cage["cells"]], "operator": op,
                        "target": cage["target"]})
    return json.dumps({"size": state["size"], "regions": regions}, ensure_ascii=False)


register("calcudoku", to_helix=to_helix, to_official=to_official)
