"""nibbles: the official cell is text,

    Grid: 6x6
    Snake: (2,4) (2,3)          head first, (row,col)
    Direction: right
    Apples: (4,3)               in the generator's random order
    Goal: Eat 1 apple

and helix keeps `{"grid_size": {"rows", "cols"}, "snake", "direction", "apples"}` with [row, col]
lists and the apples sorted. The cell carries everything (the text question repeats the first four
lines), so the question is not read. The Goal line only restates the apple count: the official
scorer reads all apples from the Apples line, so helix does too and writes Goal from them."""

from __future__ import annotations

import re
from typing import Any

from verifiers.official import AdapterError, register

_DELTAS = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
_CELL = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)")
_CELLS = re.compile(r"(?:\(\s*\d+\s*,\s*\d+\s*\)\s*)*")
_GRID = re.compile(r"(\d+)\s*[xX×]\s*(\d+)")
_GOAL = re.compile(r"Eat (\d+) apples?")
_KEYS = ("Grid", "Snake", "Direction", "Apples")


def _fields(text: str) -> dict[str, str]:
    fields: dict[str, str] = {}
    for number, line in enumerate(text.strip().splitlines(), 1):
        key, colon, value = line.strip().partition(":")
        if not colon or key not in _KEYS + ("Goal",):
            raise AdapterError(f"nibbles: line {number} is {line.strip()[:40]!r}; expected "
                               "'Grid:', 'Snake:', 'Direction:', 'Apples:' or 'Goal:'")
        if key in fields:
            raise AdapterError(f"nibbles: the {key} line appears twice")
        fields[key] = value.strip()
    missing = [key for key in _KEYS if key not in fields]
    if missing:
        raise AdapterError(f"nibbles: initial_state lacks the {', '.join(missing)} line(s)")
    return fields


def _cells(value: str, what: str, rows: int, cols: int) -> list[list[int]]:
    if not _CELLS.fullmatch(value):
        raise AdapterError(f"nibbles: {what} is {value[:40]!r}; expected cells like (2,4) (2,3)")
    cells = [[int(r), int(c)] for r, c in _CELL.findall(value)]
    off = [cell for cell in cells if not (cell[0] < rows and cell[1] < cols)]
    if off:
        raise AdapterError(f"nibbles: {what} cell {tuple(off[0])} is off the {rows}x{cols} grid")
    return cells


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    fields = _fields(initial_state)
    grid = _GRID.fullmatch(fields["Grid"])
    if not grid or int(grid.group(1)) < 1 or int(grid.group(2)) < 1:
        raise AdapterError(f"nibbles: Grid is {fields['Grid'][:20]!r}; expected rows x cols, e.g. 6x6")
    rows, cols = int(grid.group(1)), int(grid.group(2))
    snake = _cells(fields["Snake"], "Snake", rows, cols)
    if not snake:
        raise AdapterError("nibbles: Snake lists no cell")
    direction = fields["Direction"].lower()
    if direction not in _DELTAS:
        raise AdapterError(f"nibbles: Direction is {fields['Direction'][:20]!r}; expected up, "
                           "down, left or right")
    # the official scorer refuses every answer when the head does not point away from the neck
    if len(snake) > 1 and (snake[0][0] - snake[1][0], snake[0][1] - snake[1][1]) != _DELTAS[direction]:
        raise AdapterError(f"nibbles: Direction {direction} is not the way from the snake's second "
                           f"cell {tuple(snake[1])} to its head {tuple(snake[0])}")
    apples = sorted(_cells(fields["Apples"], "Apples", rows, cols))
    if any(a == b for a, b in zip(apples, apples[1:])):
        raise AdapterError("nibbles: Apples lists a cell twice")
    if "Goal" in fields and not _GOAL.fullmatch(fields["Goal"]):
        raise AdapterError(f"nibbles: Goal is {fields['Goal'][:30]!r}; expected 'Eat N apple(s)'")
    return {"grid_size": {"rows": rows, "cols": cols}, "snake": snake, "direction": direction,
            "apples": apples}


def to_official(state: dict[str, Any], answer: str) -> str:
    size = state["grid_size"]
    apples = state["apples"]
    cells = lambda listed: " ".join(f"({r},{c})" for r, c in listed)  # noqa: E731
    # the official generator's lines, "apple" singular for one (and for none)
    return "\n".join([f"Grid: {size['rows']}x{size['cols']}", f"Snake: {cells(state['snake'])}",
                      f"Direction: {state['direction']}", f"Apples: {cells(apples)}",
                      f"Goal: Eat {len(apples)} apple{'s' if len(apples) > 1 else ''}"])


register("nibbles", to_helix=to_helix, to_official=to_official)
