"""Verifier for wordsearch: the answer names the word, a direction and the (x, y) of the first
letter (x = column, y = row, 1-based). It is right when the word reads in full from there in that
direction; the generator guarantees a single reading, so this is the stored position.

Accepted spellings: `ELEPHANT NE @ (5,14)` (the benchmark form), `ELEPHANT NE (5, 14) @` (the
public generator's form), with or without the `@`, any case, and the direction also written out
(`north-east`, `NorthEast`)."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

STEPS = {"N": (-1, 0), "NE": (-1, 1), "E": (0, 1), "SE": (1, 1),
         "S": (1, 0), "SW": (1, -1), "W": (0, -1), "NW": (-1, -1)}
_LONG = {"NORTH": "N", "SOUTH": "S", "EAST": "E", "WEST": "W", "UP": "N", "DOWN": "S",
         "RIGHT": "E", "LEFT": "W"}
_ANSWER = re.compile(
    r"([A-Za-z]{1,40})\s+([A-Za-z][A-Za-z\- ]{0,20}?)\s*@?\s*\(\s*(\d{1,4})\s*,\s*(\d{1,4})\s*\)\s*@?")


def _direction(text: str) -> str:
    key = re.sub(r"[\s\-]+", "", text).upper()
    for long, short in _LONG.items():
        key = key.replace(long, short)
    if key not in STEPS:
        raise Unparsable(f"{text!r} is not one of N, NE, E, SE, S, SW, W, NW")
    return key


def _grid(state: dict) -> list[str]:
    rows = state.get("grid")
    if not isinstance(rows, list) or not rows:
        raise ValueError("initial_state.grid must be a list of rows")
    out = ["".join(r) if isinstance(r, list) else r for r in rows]
    if not all(isinstance(r, str) and len(r) == len(out[0]) for r in out):
        raise ValueError("initial_state.grid rows must be equal-length letter rows")
    return [r.upper() for r in out]


def check(state: dict, answer: str) -> Verdict:
    rows = _grid(state)
    word = state.get("word")
    if not isinstance(word, str) or not word:
        raise ValueError("initial_state.word must be a non-empty string")
    word = word.upper()
    match = _ANSWER.fullmatch(answer.strip().removesuffix(".").strip())  # a sentence's full stop
    if not match:
        raise Unparsable("expected WORD DIRECTION @ (x,y), e.g. ELEPHANT NE @ (5,14)")
    said, direction = match.group(1).upper(), _direction(match.group(2))
    x, y = int(match.group(3)), int(match.group(4))
    parsed = f"{said} {direction} @ ({x},{y})"
    if said != word:
        return Verdict.reject(f"the word to find is {word}, not {said}", parsed=parsed)
    height, width = len(rows), len(rows[0])
    if not (1 <= x <= width and 1 <= y <= height):
        return Verdict.reject(f"({x},{y}) is outside the {width} x {height} grid", parsed=parsed)
    dr, dc = STEPS[direction]
    read = ""
    for k in range(len(word)):
        r, c = y - 1 + k * dr, x - 1 + k * dc
        if not (0 <= r < height and 0 <= c < width):
            return Verdict.reject(f"from ({x},{y}) going {direction} the grid ends after "
                                  f"{read or 'no letters'}", parsed=parsed)
        read += rows[r][c]
    if read != word:
        return Verdict.reject(f"from ({x},{y}) going {direction} the grid reads {read}, "
                              f"not {word}", parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("wordsearch", check)
