"""Verifier for skyscrapers, by the official rules: the answer must be a Latin square of 1..n in
which every clue equals the number of buildings seen from its side. As in the official evaluator
(VLMEvalKit mmhelix skyscrapers_evaluator.py) a clue 0 is no constraint. Judged by the rules, so
any valid grid is accepted. The state is the official one, `n` and the four clue lists; a `grid`
of given heights (0 = empty) is read only for rows made by version 1 of the task, which gave
some heights.
Answer: `[[3, 2, 1], [1, 3, 2], ...]` (also one row of numbers per line)."""

from __future__ import annotations

from verifiers.puzzles._digit_grid import givens_violation, int_matrix, latin_violation, parse_matrix
from verifiers.registry import register
from verifiers.verdict import Verdict

SIDES = ("top", "bottom", "left", "right")


def _seen(line: list[int]) -> int:
    count = tallest = 0
    for h in line:
        if h > tallest:
            count, tallest = count + 1, h
    return count


def _state(state: dict) -> tuple[int, dict[str, list[int]], list[list[int]] | None]:
    if not isinstance(state, dict):
        raise ValueError("initial_state must be an object")
    n = state.get("n")
    if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 12:
        raise ValueError("initial_state.n must be an integer 1..12")
    clues = {}
    for side in SIDES:
        values = state.get(side, [0] * n)
        if not isinstance(values, list) or len(values) != n or not all(
                isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= n for v in values):
            raise ValueError(f"initial_state.{side} must be {n} clues 0..{n}")
        clues[side] = values
    # version-1 rows only: the official puzzle has no givens
    givens = int_matrix(state, "grid", n, n, 0, n) if state.get("grid") is not None else None
    return n, clues, givens


def _lines(grid: list[list[int]], side: str, k: int) -> list[int]:
    """The line a clue looks along, in viewing order."""
    if side in ("top", "bottom"):
        line = [row[k] for row in grid]
    else:
        line = list(grid[k])
    return line[::-1] if side in ("bottom", "right") else line


def check(state: dict, answer: str) -> Verdict:
    n, clues, givens = _state(state)
    grid = parse_matrix(answer, n)
    shown = str(grid)
    why = latin_violation(grid) or (givens_violation(grid, givens) if givens else None)
    if why:
        return Verdict.reject(why, parsed=shown)
    for side in SIDES:
        for k, clue in enumerate(clues[side]):
            if clue and _seen(_lines(grid, side, k)) != clue:
                what = "column" if side in ("top", "bottom") else "row"
                return Verdict.reject(f"the {side} clue of {what} {k} is {clue}, but "
                                      f"{_seen(_lines(grid, side, k))} buildings are seen there",
                                      parsed=shown)
    return Verdict.accept(parsed=shown)


register("skyscrapers", check)
