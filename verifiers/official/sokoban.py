"""sokoban: the official cell is the map as raw text; helix keeps the same map as a list of rows.

Official (raw text, rows joined by newlines): '#' wall, ' ' floor, '.' goal, '$' box, '*' box on
a goal, '@' player, '+' player on a goal; a rectangle walled all round.
helix: `{"map": [rows]}` with the same symbols except '-' for floor (a visible floor character, so
rows keep their width when a text is trimmed).
"""

from __future__ import annotations

from typing import Any

from verifiers.official import AdapterError, register

_SYMBOLS = "#.$*@+"
# the public generator writes ' ' for floor; '-' and '_' (helix's and other tools' floor) are read too
_FLOOR_IN = " -_"


def _check(rows: list[str], what: str) -> None:
    """A rectangle, walled all round, one player and as many boxes as goals (as both generators
    write it: the official evaluator also demands every goal covered, helix every box placed)."""
    if len(rows) < 3:
        raise AdapterError(f"sokoban {what} has {len(rows)} rows, expected a walled room of >= 3")
    width = len(rows[0])
    for r, row in enumerate(rows):
        if len(row) != width:
            raise AdapterError(f"sokoban {what} row {r + 1} has {len(row)} characters, expected "
                               f"{width} (the map is a rectangle)")
        edge = r in (0, len(rows) - 1)
        if (edge and row != "#" * width) or row[:1] != "#" or row[-1:] != "#":
            raise AdapterError(f"sokoban {what} row {r + 1} breaks the outer wall")
    text = "".join(rows)
    players = text.count("@") + text.count("+")
    if players != 1:
        raise AdapterError(f"sokoban {what} holds {players} players, expected exactly one")
    boxes = text.count("$") + text.count("*")
    goals = text.count(".") + text.count("*") + text.count("+")
    if boxes == 0 or boxes != goals:
        raise AdapterError(f"sokoban {what} holds {boxes} boxes and {goals} goals, expected the "
                           "same positive number")


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    # only line breaks are trimmed: spaces are floor
    rows = [line.rstrip("\r") for line in initial_state.strip("\r\n").split("\n")]
    out = []
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if ch not in _SYMBOLS and ch not in _FLOOR_IN:
                raise AdapterError(f"sokoban initial_state row {r + 1} column {c + 1}: unknown "
                                   f"map symbol {ch!r}")
        out.append("".join("-" if ch in _FLOOR_IN else ch for ch in row))
    _check(out, "initial_state")
    return {"map": out}


def to_official(state: dict[str, Any], answer: str) -> str:
    rows = state.get("map")
    if not isinstance(rows, list) or not all(isinstance(row, str) for row in rows):
        raise AdapterError("sokoban state: 'map' must be a list of text rows")
    for r, row in enumerate(rows):
        bad = set(row) - set(_SYMBOLS) - {"-"}
        if bad:
            raise AdapterError(f"sokoban state row {r}: unknown map symbol {sorted(bad)[0]!r}")
    _check(rows, "state")
    return "\n".join(row.replace("-", " ") for row in rows)


register("sokoban", to_helix=to_helix, to_official=to_official)
