"""Parsers and state readers shared by the placement-puzzle verifiers (campsite, tapa, bridges,
shingoki, minesweeper). They raise `Unparsable` for text outside the answer format and
ValueError for a malformed state; they never evaluate text."""

from __future__ import annotations

import re
from typing import Any

from verifiers.parse import scan_items

_NUM = r"\s*([+-]?\d{1,6})\s*"
_EDGE = re.compile(r"[\[(]" + _NUM + "," + _NUM + r"[\])]\s*(?:-|–|—|->|→|to)?\s*"
                   r"[\[(]" + _NUM + "," + _NUM + r"[\])](?:\s*(?::|=|x|×)\s*([+-]?\d{1,6}))?")


def parse_edges(answer: str) -> list[tuple[tuple[int, int], tuple[int, int], int | None]]:
    """Segments `(a,b)-(c,d)` with an optional `:k` multiplicity, separated by spaces, commas or
    newlines."""
    found = scan_items(answer, _EDGE, "segments like (0,0)-(0,1)")
    return [((int(m.group(1)), int(m.group(2))), (int(m.group(3)), int(m.group(4))),
             int(m.group(5)) if m.group(5) is not None else None) for m in found]


def int_field(state: dict[str, Any], key: str, low: int = 0, high: int = 10_000) -> int:
    value = state.get(key)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise ValueError(f"initial_state.{key} must be an integer in {low}..{high}")
    return value


def str_grid(value: Any, name: str) -> list[list[str]]:
    """A rectangular grid of strings (rows given as lists of strings or as strings)."""
    if not isinstance(value, list) or not value or len(value) > 100:
        raise ValueError(f"initial_state.{name} must be a non-empty list of rows")
    rows = [list(row) if isinstance(row, (list, str)) else None for row in value]
    if any(row is None or len(row) != len(rows[0]) or not all(isinstance(x, str) for x in row)
           for row in rows):
        raise ValueError(f"initial_state.{name} must be rectangular rows of strings")
    return rows
