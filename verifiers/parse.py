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
