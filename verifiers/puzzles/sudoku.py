"""Verifier for sudoku: the 81 digits must fill the grid, keep every given and put 1-9 once in
every row, column and 3x3 box. Judged by the rules, so any valid completion is accepted.

Accepted spellings: 81 digits separated by spaces (the official form), 9 lines (or 9 groups) of
9 digits, or 81 digits run together; commas, brackets and bars between digits are ignored."""

from __future__ import annotations

import re

from verifiers.puzzles._digit_grid import givens_violation, int_matrix
from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_SEPARATORS = re.compile(r"[\[\](),|;]")


def _givens(state: dict | list | str) -> list[list[int]]:
    grid = state.get("grid") if isinstance(state, dict) else state
    if isinstance(grid, str):  # the public rows store the grid as text
        digits = [int(ch) for ch in grid if ch.isdigit()]
        if len(digits) != 81:
            raise ValueError("initial_state grid text must hold 81 digits")
        grid = [digits[r * 9:(r + 1) * 9] for r in range(9)]
    return int_matrix(grid, "grid", 9, 9, 0, 9)


def parse(answer: str) -> list[list[int]]:
    tokens = _SEPARATORS.sub(" ", answer).split()
    if not tokens or not all(t.isascii() and t.isdigit() for t in tokens):
        raise Unparsable("expected 81 digits separated by spaces")
    if not (len(tokens) == 81 or (len(tokens) == 9 and all(len(t) == 9 for t in tokens))
            or (len(tokens) == 1 and len(tokens[0]) == 81)):
        raise Unparsable(f"expected 81 single digits (or 9 groups of 9), got {len(tokens)} groups "
                         f"with {sum(map(len, tokens))} digits")
    digits = [int(ch) for t in tokens for ch in t]
    return [digits[r * 9:(r + 1) * 9] for r in range(9)]


def check(state: dict, answer: str) -> Verdict:
    givens = _givens(state)
    grid = parse(answer)
    shown = " ".join(str(v) for row in grid for v in row)
    for r in range(9):
        for c in range(9):
            if grid[r][c] == 0:
                return Verdict.reject(f"cell ({r},{c}) is left empty (0)", parsed=shown)
    why = givens_violation(grid, givens)
    if why:
        return Verdict.reject(why, parsed=shown)
    units = ([(f"row {r}", [grid[r][c] for c in range(9)]) for r in range(9)]
             + [(f"column {c}", [grid[r][c] for r in range(9)]) for c in range(9)]
             + [(f"box {b}", [grid[(b // 3) * 3 + k // 3][(b % 3) * 3 + k % 3] for k in range(9)])
                for b in range(9)])
    for name, values in units:
        if len(set(values)) != 9:
            twice = sorted({v for v in values if values.count(v) > 1})
            return Verdict.reject(f"{name} repeats {twice}", parsed=shown)
    return Verdict.accept(parsed=shown)


register("sudoku", check)
