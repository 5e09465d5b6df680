"""wordsearch: the official cell is the bare letter grid, `[["H", "Z", ...], ...]`; helix's state
is `{"grid": [[...], ...], "word": "ZEBRA"}`.

The word is not in the cell. helix's questions name it ("Find the word ZEBRA."). The official
questions do not (the public generator draws it only in the picture); an official row's reference
answer begins with it ("ZEBRA NE (1, 5) @"), and that is used when given. Without either, the
word is recovered from the grid: the word of the public generator's fixed list of animals that reads in
the grid along one of the four directions that generator writes in (E, S, SE, NE; all eight if none
does). Random filler letters can spell a short word too, so the longest such word wins (in a
simulation of 1,000 15 x 15 public-generator grids that picked a wrong word twice); two readable
words of the same greatest length are ambiguous and raise AdapterError (about 4 % at 15 x 15)."""

from __future__ import annotations

import json
import re
from typing import Any

from verifiers.official import AdapterError, json_cell, register

# the public generator's whole word list (its words are drawn from these only)
OFFICIAL_WORDS = ("dog", "cat", "pig", "horse", "donkey", "turtle", "goat", "sheep", "cow", "lion",
                  "tiger", "elephant", "giraffe", "zebra", "monkey", "bird", "fish", "bear", "deer",
                  "wolf", "fox", "rabbit", "mouse", "duck", "bee")
# the public generator writes its word E, S, SE or NE only; a reading elsewhere is filler
_PLACED = ((0, 1), (1, 0), (1, 1), (-1, 1))
_STEPS = _PLACED + ((-1, 0), (1, -1), (0, -1), (-1, -1))
# helix's questions: "... Find the word RANT. ..." (the official ones never name it)
_NAMED = re.compile(r"\bFind the word ([A-Z]{2,40})\.")
_STATED = re.compile(r"\s*([A-Za-z]{2,40})\b")


def _grid(initial_state: str) -> list[list[str]]:
    if not initial_state.strip():
        raise AdapterError("wordsearch: initial_state is empty, "
                           "expected the letter grid as a JSON list of rows")
    grid = json_cell(initial_state, "wordsearch:")
    if not isinstance(grid, list) or not grid:
        raise AdapterError(f"wordsearch: initial_state is a JSON {type(grid).__name__}, "
                           "expected a non-empty list of rows")
    width = len(grid[0]) if isinstance(grid[0], list) else 0
    out = []
    for r, row in enumerate(grid):
        if not isinstance(row, list) or not row or len(row) != width:
            raise AdapterError(f"wordsearch: row {r} must be a list of {width or 'some'} letters "
                               "like the first row")
        for c, ch in enumerate(row):
            if not (isinstance(ch, str) and len(ch) == 1 and ch.isascii() and ch.isalpha()):
                raise AdapterError(f"wordsearch: cell ({r},{c}) is {ch!r}, expected one letter A-Z")
        out.append([ch.upper() for ch in row])
    return out


def _reads(grid: list[list[str]], word: str, steps: tuple[tuple[int, int], ...]) -> bool:
    h, w, k = len(grid), len(grid[0]), len(word) - 1
    for r in range(h):
        for c in range(w):
            if grid[r][c] != word[0]:
                continue
            for dr, dc in steps:
                if (0 <= r + k * dr < h and 0 <= c + k * dc < w
                        and all(grid[r + i * dr][c + i * dc] == word[i] for i in range(1, k + 1))):
                    return True
    return False


def _word(grid: list[list[str]], question: str, answer: str) -> str:
    named = _NAMED.search(question)
    if named:
        if not _reads(grid, named.group(1), _STEPS):
            raise AdapterError(f"wordsearch: the question's word {named.group(1)} does not read in the grid")
        return named.group(1)
    # an official row's reference answer begins with the word ("ZEBRA NE (1, 5) @"): the row's
    # own statement of it, preferred to reading the grid
    stated = _STATED.match(answer)
    if stated and _reads(grid, stated.group(1).upper(), _STEPS):
        return stated.group(1).upper()
    words = [w.upper() for w in OFFICIAL_WORDS]
    found = ([w for w in words if _reads(grid, w, _PLACED)]
             or [w for w in words if _reads(grid, w, _STEPS)])
    if not found:
        raise AdapterError("wordsearch: the question names no word and no word of the official "
                           "list reads in the grid")
    longest = max(len(w) for w in found)
    best = [w for w in found if len(w) == longest]
    if len(best) > 1:
        raise AdapterError(f"wordsearch: the question names no word and the grid reads several "
                           f"official words ({', '.join(best)})")
    return best[0]


def to_helix(initial_state: str, question: str, answer: str = "") -> dict[str, Any]:
    grid = _grid(initial_state)
    return {"grid": grid, "word": _word(grid, question, answer)}


def to_official(state: dict[str, Any], answer: str) -> str:
    return json.dumps([list(row) for row in state["grid"]], ensure_ascii=False)


register("wordsearch", to_helix=to_helix, to_official=to_official)
