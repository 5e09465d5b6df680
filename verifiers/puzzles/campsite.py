"""Verifier for campsite, by the official rules: tents on empty cells, each tent orthogonally next
to at least one tree (no one-to-one tent-tree pairing is asked), no two tents touching (not even
diagonally), and row and column counts met. Any valid layout is accepted. The answer is read as a
set of cells (a cell listed twice is one tent, as the official evaluator reads it). Coordinates
are 1-based [row, column].

Deliberate difference: the official evaluator (VLMEvalKit mmhelix campsite_eval.py) never checks
that a tent stands on an empty cell, so it accepts a tent drawn on a tree that has another tree
beside it; the question places tents on the empty cells, so helix rejects that."""

from __future__ import annotations

from verifiers.parse import parse_pairs
from verifiers.puzzles._place import str_grid
from verifiers.registry import register
from verifiers.verdict import Verdict

_STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def check(state: dict, answer: str) -> Verdict:
    grid = str_grid(state.get("input_grid", state.get("grid")), "input_grid")
    rows, cols = len(grid), len(grid[0])
    row_need, col_need = state.get("row_constraints"), state.get("col_constraints")
    if not (isinstance(row_need, list) and isinstance(col_need, list)
            and len(row_need) == rows and len(col_need) == cols
            and all(isinstance(k, int) for k in row_need + col_need)):
        raise ValueError("initial_state row/col constraints do not fit the grid")
    tents = set()
    for r, c in parse_pairs(answer):
        if not (1 <= r <= rows and 1 <= c <= cols):
            return Verdict.reject(f"[{r}, {c}] is outside the {rows}x{cols} grid (1-based)")
        if grid[r - 1][c - 1].upper() == "T":
            return Verdict.reject(f"[{r}, {c}] is a tree, not an empty cell")
        tents.add((r - 1, c - 1))
    for r, c in sorted(tents):
        if not any(0 <= r + dr < rows and 0 <= c + dc < cols and grid[r + dr][c + dc].upper() == "T"
                   for dr, dc in _STEPS):
            return Verdict.reject(f"tent [{r + 1}, {c + 1}] has no tree orthogonally next to it")
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                if (dr or dc) and (r + dr, c + dc) in tents:
                    return Verdict.reject(f"tents [{r + 1}, {c + 1}] and [{r + dr + 1}, {c + dc + 1}] touch")
    for i, need in enumerate(row_need):
        have = sum(r == i for r, _ in tents)
        if have != need:
            return Verdict.reject(f"row {i + 1} has {have} tents, needs {need}")
    for i, need in enumerate(col_need):
        have = sum(c == i for _, c in tents)
        if have != need:
            return Verdict.reject(f"column {i + 1} has {have} tents, needs {need}")
    return Verdict.accept()


register("campsite", check)
