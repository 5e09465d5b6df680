"""Small parsers shared by the verifiers. They raise `Unparsable` with a message naming what is
wrong; they never evaluate text as code."""

from __future__ import annotations

import re

from verifiers.verdict import Unparsable

_INT = re.compile(r"[+-]?\d{1,30}")
_NUMBER = re.compile(r"[+-]?(?:\d{1,30}(?:\.\d{0,30})?|\.\d{1,30})")


# thousands separators only where they group thousands: "1,024" is 1024, "2, 3" is two numbers
_GROUPED = re.compile(r"([+-]?\d{1,3})((?:,\d{3})+|(?: \d{3})+)(\.\d*)?")


def _ungroup(text: str) -> str:
    match = _GROUPED.fullmatch(text)
    return text.replace(",", "").replace(" ", "") if match else text


def parse_int(answer: str) -> int:
    """An integer, allowing thousands separators (1,024 or 1 024), surrounding spaces and a '.0'
    ending. Two numbers ("2, 3", "2 3") are not one."""
    text = _ungroup(answer.strip().rstrip(".").strip())
    if text.endswith(".0"):
        text = text[:-2]
    if not _INT.fullmatch(text):
        raise Unparsable(f"expected an integer, got {answer[:60]!r}")
    return int(text)


def parse_number(answer: str) -> float:
    text = _ungroup(answer.strip())
    if not _NUMBER.fullmatch(text):
        raise Unparsable(f"expected a number, got {answer[:60]!r}")
    return float(text)


def parse_int_list(answer: str) -> list[int]:
    """`[4, 5, 2]`, `4, 5, 2` or `4 5 2` (also `4 -> 5 -> 2`)."""
    text = answer.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    items = [item.strip() for item in text.split(",")]
    if len(items) > 1 and any(not item for item in items[:-1]):
        # "[, 8, 6]" or "4,, 5": a number is missing, the list is not the one meant
        raise Unparsable("an empty entry in the list")
    parts = [p for p in re.split(r"\s*(?:,|->|→|\s)\s*", text.strip()) if p]
    if not parts:
        raise Unparsable("expected a list of integers, got an empty list")
    bad = next((p for p in parts if not _INT.fullmatch(p)), None)
    if bad is not None:
        raise Unparsable(f"{bad[:30]!r} is not an integer")
    return [int(p) for p in parts]


# -- collections of (row, col) pairs and other repeated items -------------------------------------

MAX_ITEMS = 2000
_COORD = r"\s*([+-]?\d{1,6})\s*"
_PAIR = re.compile(r"[\[(]" + _COORD + "," + _COORD + r"[\])]")
_BETWEEN = re.compile(r"[\s,;\[\]{}()]*")
_EMPTY = ("[]", "{}", "()", "set()", "none", "None")


def scan_items(answer: str, pattern: re.Pattern, what: str) -> list[re.Match]:
    """Every match of `pattern` in `answer`, where only separators (commas, semicolons, spaces,
    newlines, brackets of an outer list or set) may stand between and around them. Anything else
    makes the text unparsable, so a stray word or number is never skipped silently."""
    text = answer.strip()
    matches, pos = [], 0
    for match in pattern.finditer(text):
        if not _BETWEEN.fullmatch(text[pos:match.start()]):
            raise Unparsable(f"unexpected text {text[pos:match.start()][:40]!r}; expected {what}")
        matches.append(match)
        pos = match.end()
        if len(matches) > MAX_ITEMS:
            raise Unparsable(f"more than {MAX_ITEMS} items")
    if not _BETWEEN.fullmatch(text[pos:]):
        raise Unparsable(f"unexpected text {text[pos:][:40]!r}; expected {what}")
    if not text or not matches and not re.fullmatch(r"[\s\[\]{}()]*", text):
        raise Unparsable(f"expected {what}")
    return matches


def parse_pairs(answer: str) -> list[tuple[int, int]]:
    """Integer pairs written `(a, b)` or `[a, b]`, separated by commas, spaces or newlines,
    optionally inside one outer list or set: `[[2, 5], [3, 3]]`, `(0,1), (0,2)`, `{(0, 4)}`.
    An empty collection (`[]`, `{}`, `set()`, `None`) is an empty list. The one reader of this
    answer style: every verifier that takes cells as pairs judges the same text the same way."""
    if answer.strip() in _EMPTY:
        return []
    return [(int(m.group(1)), int(m.group(2)))
            for m in scan_items(answer, _PAIR, "(row, col) pairs")]
