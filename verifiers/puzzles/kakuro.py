"""Verifier for kakuro: every white cell gets one digit 1-9, each clued run sums to its clue with
no digit repeated. Judged by the rules (the generator proves the solution unique, so this agrees
with comparing to the stored answer). Answer: `(1,1):4 (1,2):3 ...`; commas, newlines and spaces
inside the pairs are tolerated; the order of the pairs is free."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_PAIR = re.compile(r"\(\s*(\d{1,3})\s*,\s*(\d{1,3})\s*\)\s*[:=]\s*(\d{1,3})")
_GLUE = re.compile(r"[\s,;]*")


def _grid(state: dict | list) -> list[list[dict]]:
    grid = state.get("grid") if isinstance(state, dict) else state
    if (not isinstance(grid, list) or not grid
            or not all(isinstance(row, list) and all(isinstance(c, dict) for c in row) for row in grid)):
        raise ValueError("initial_state.grid must be rows of cell objects")
    for row in grid:
        for cell in row:
            if cell.get("type") not in ("black", "white"):
                raise ValueError("every cell must have type black or white")
    return grid


def parse(answer: str) -> dict[tuple[int, int], int]:
    values: dict[tuple[int, int], int] = {}
    at = 0
    for match in _PAIR.finditer(answer):
        if _GLUE.fullmatch(answer, at, match.start()) is None:
            raise Unparsable(f"unexpected text {answer[at:match.start()][:40]!r}")
        rc, d = (int(match.group(1)), int(match.group(2))), int(match.group(3))
        if rc in values and values[rc] != d:
            raise Unparsable(f"cell {rc} is given two digits, {values[rc]} and {d}")
        values[rc] = d
        at = match.end()
    if not values:
        raise Unparsable("expected (row,column):digit pairs")
    if _GLUE.fullmatch(answer, at) is None:
        raise Unparsable(f"unexpected text {answer[at:][:40]!r}")
    return values


def check(state: dict, answer: str) -> Verdict:
    grid = _grid(state)
    values = parse(answer)
    shown = " ".join(f"({r},{c}):{d}" for (r, c), d in sorted(values.items()))
    whites = {(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row)
              if cell["type"] == "white"}
    extra = sorted(set(values) - whites)
    if extra:
        return Verdict.reject(f"{extra[0]} is not a white cell", parsed=shown)
    missing = sorted(whites - set(values))
    if missing:
        return Verdict.reject(f"white cell {missing[0]} has no digit", parsed=shown)
    for rc, d in sorted(values.items()):
        if not 1 <= d <= 9:
            return Verdict.reject(f"cell {rc} holds {d}, not a digit 1-9", parsed=shown)
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            for key, (dr, dc) in (("right", (0, 1)), ("down", (1, 0))):
                if key not in cell:
                    continue
                run, rr, cc = [], r + dr, c + dc
                while (rr, cc) in whites:
                    run.append(values[(rr, cc)])
                    rr, cc = rr + dr, cc + dc
                if len(set(run)) != len(run):
                    return Verdict.reject(f"the {key} run of ({r},{c}) repeats a digit: {run}",
                                          parsed=shown)
                if sum(run) != cell[key]:
                    return Verdict.reject(f"the {key} run of ({r},{c}) sums to {sum(run)}, "
                                          f"the clue is {cell[key]}", parsed=shown)
    return Verdict.accept(parsed=shown)


register("kakuro", check)
