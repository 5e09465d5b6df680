"""Verifier for futoshiki: the answer must be a Latin square of 1..n that keeps every given and
satisfies every inequality. Judged by the rules, so any valid grid is accepted.
Answer: `[[4, 2, 1, 3], [1, 3, 4, 2], ...]` (also one row of numbers per line)."""

from __future__ import annotations

from verifiers.puzzles._digit_grid import givens_violation, int_matrix, latin_violation, parse_matrix
from verifiers.registry import register
from verifiers.verdict import Verdict


def _state(state: dict) -> tuple[list[list[int]], list[list[int]]]:
    if not isinstance(state, dict):
        raise ValueError("initial_state must be an object")
    givens = int_matrix(state, "grid")
    n = len(givens)
    if len(givens[0]) != n or any(v > n for row in givens for v in row):
        raise ValueError("initial_state.grid must be n x n with values 0..n")
    ineq = state.get("inequalities", [])
    if not isinstance(ineq, list) or not all(
            isinstance(q, list) and len(q) == 4 and all(isinstance(v, int) and 0 <= v < n for v in q)
            for q in ineq):
        raise ValueError("initial_state.inequalities must be [r1, c1, r2, c2] lists")
    return givens, ineq


def check(state: dict, answer: str) -> Verdict:
    givens, ineq = _state(state)
    grid = parse_matrix(answer, len(givens))
    shown = str(grid)
    why = latin_violation(grid) or givens_violation(grid, givens)
    if why:
        return Verdict.reject(why, parsed=shown)
    for r1, c1, r2, c2 in ineq:
        if not grid[r1][c1] < grid[r2][c2]:
            return Verdict.reject(f"({r1},{c1}) = {grid[r1][c1]} must be smaller than "
                                  f"({r2},{c2}) = {grid[r2][c2]}", parsed=shown)
    return Verdict.accept(parsed=shown)


register("futoshiki", check)
