"""Verifier for nonogram: the picture's blocks in every row and column must equal the clues.
Judged by the rules (the generator proves the picture unique, so this agrees with comparing to the
stored answer). Answer: one line per row of `X` (filled) and `.` (empty); also accepted: `x`, `#`,
`1` for filled, `0`, `_` for empty, spaces between cells, rows separated by commas."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_FILLED, _EMPTY = set("Xx#1■"), set("._0□")


def _clues(state: dict, key: str) -> list[list[int]]:
    clues = state.get(key) if isinstance(state, dict) else None
    if not isinstance(clues, list) or not clues or not all(
            isinstance(cl, list) and all(isinstance(v, int) and v >= 0 for v in cl) for cl in clues):
        raise ValueError(f"initial_state.{key} must be a list of integer lists")
    return [[v for v in cl if v] for cl in clues]  # [0] and [] both mean an empty line


def _blocks(bits: list[int]) -> list[int]:
    return [len(run) for run in "".join(map(str, bits)).split("0") if run]


def parse(answer: str, rows: int, cols: int) -> list[list[int]]:
    lines = [line.replace(" ", "").replace("\t", "") for line in re.split(r"[\n,;]", answer)]
    lines = [line for line in lines if line]
    if len(lines) != rows:
        raise Unparsable(f"expected {rows} rows, found {len(lines)}")
    if len(lines[-1]) == cols + 1 and lines[-1].endswith(".") and all(len(x) == cols for x in lines[:-1]):
        lines[-1] = lines[-1][:-1]  # the sentence's full stop after the last row ("...X.")
    grid = []
    for r, line in enumerate(lines):
        if len(line) != cols or not all(ch in _FILLED or ch in _EMPTY for ch in line):
            raise Unparsable(f"row {r} must be {cols} cells of X and ., got {line[:40]!r}")
        grid.append([int(ch in _FILLED) for ch in line])
    return grid


def check(state: dict, answer: str) -> Verdict:
    row_clues, col_clues = _clues(state, "row_clues"), _clues(state, "col_clues")
    grid = parse(answer, len(row_clues), len(col_clues))
    shown = "\n".join("".join("X" if v else "." for v in row) for row in grid)
    for r, clue in enumerate(row_clues):
        if _blocks(grid[r]) != clue:
            return Verdict.reject(f"row {r} has blocks {_blocks(grid[r]) or [0]}, the clue is "
                                  f"{clue or [0]}", parsed=shown)
    for c, clue in enumerate(col_clues):
        column = [grid[r][c] for r in range(len(grid))]
        if _blocks(column) != clue:
            return Verdict.reject(f"column {c} has blocks {_blocks(column) or [0]}, the clue is "
                                  f"{clue or [0]}", parsed=shown)
    return Verdict.accept(parsed=shown)


register("nonogram", check)
