"""Parsers and state readers shared by the placement-puzzle verifiers (campsite, tapa, bridges,
shingoki, minesweeper). They raise `Unparsable` for text outside the answer format and
ValueError for a malformed state; they never evaluate text."""

from __future__ import annotations

import re
from typing import Any

from verifiers.verdict import Unparsable

MAX_ITEMS = 2000
_NUM = r"\s*([+-]?\d{1,6})\s*"
_PAIR = re.compile(r"[\[(]" + _NUM + "," + _NUM + r"[\])]")
_EDGE = re.compile(r"[\[(]" + _NUM + "," + _NUM + r"[\])]\s*(?:-|–|—|->|→|to)?\s*"
                   r"[\[(]" + _NUM + "," + _NUM + r"[\])](?:\s*(?::|=|x|×)\s*([+-]?\d{1,6}))?")
_SEPARATORS = re.compile(r"[\s,;\[\]{}()]*")


def parse_pairs(answer: str) -> list[tuple[int, int]]:
    """Integer pairs written `(a, b)` or `[a, b]`, separated by commas/spaces/newlines, optionally
    wrapped in one outer list or set: `[[2, 5], [3, 3]]`, `(0,1), (0,2)`, `{(0, 4)}`.
    Anything else between the pairs makes the text unparsable."""
    return [(int(m.group(1)), int(m.group(2))) for m in _scan(answer, _PAIR, "(row, col) pairs")]


def parse_edges(answer: str) -> list[tuple[tuple[int, int], tuple[int, int], int | None]]:
    """Segments `(a,b)-(c,d)` with an optional `:k` multiplicity, separated by spaces, commas or
    newlines."""
    found = _scan(answer, _EDGE, "segments like (0,0)-(0,1)")
    return [((int(m.group(1)), int(m.group(2))), (int(m.group(3)), int(m.group(4))),
             int(m.group(5)) if m.group(5) is not None else None) for m in found]


def _scan(answer: str, pattern: re.Pattern, what: str) -> list[re.Match]:
    text = answer.strip()
    matches, pos = [], 0
    for match in pattern.finditer(text):
        if not _SEPARATORS.fullmatch(text[pos:match.start()]):
            raise Unparsable(f"unexpected text {text[pos:match.start()][:40]!r}; expected {what}")
        matches.append(match)
        pos = match.end()
        if len(matches) > MAX_ITEMS:
            raise Unparsable(f"more than {MAX_ITEMS} items")
    if not _SEPARATORS.fullmatch(text[pos:]):
        raise Unparsable(f"unexpected text {text[pos:][:40]!r}; expected {what}")
    if not matches and not re.fullmatch(r"[\s\[\]{}()]*", text) or not text:
        raise Unparsable(f"expected {what}")
    return matches


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
