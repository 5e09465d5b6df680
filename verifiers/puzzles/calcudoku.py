"""Verifier for calcudoku: a Latin square of 1..n checked cage by cage (cells 1-based; operators
+ - * / and = for single cells; − and ÷ read larger over smaller, as in the puzzle's rules)."""

from __future__ import annotations

import math

from verifiers.puzzles._grid_readers import parse_int_grid
from verifiers.registry import register
from verifiers.verdict import Verdict

_OPS = {"+": "+", "-": "-", "−": "-", "*": "*", "×": "*", "x": "*", "X": "*", "/": "/", "÷": "/",
        "=": "=", "": "="}


def _cages(state: dict) -> tuple[int, list[tuple[list[tuple[int, int]], str, int]]]:
    n = state.get("size")
    if not isinstance(n, int) or not 1 <= n <= 16:
        raise ValueError("size must be an integer 1..16")
    cages = []
    for cage in state.get("cages") or []:
        cells = [(int(r) - 1, int(c) - 1) for r, c in cage["cells"]]
        op = _OPS[str(cage.get("operator", "=")).strip()]
        cages.append((cells, op, int(cage["target"])))
    return n, cages


def _value(values: list[int], op: str) -> int | None:
    if op == "+":
        return sum(values)
    if op == "*":
        return math.prod(values)
    if op == "=":
        return values[0] if len(values) == 1 else None
    if len(values) != 2:
        return None
    hi, lo = max(values), min(values)
    if op == "-":
        return hi - lo
    return hi // lo if hi % lo == 0 else None


def check(state: dict, answer: str) -> Verdict:
    n, cages = _cages(state)
    grid = parse_int_grid(answer, n)
    parsed = "[" + ", ".join("[" + ", ".join(map(str, row)) + "]" for row in grid) + "]"
    digits = set(range(1, n + 1))
    for r in range(n):
        if set(grid[r]) != digits:
            return Verdict.reject(f"row {r + 1} does not hold each of 1..{n} once", parsed)
    for c in range(n):
        if {grid[r][c] for r in range(n)} != digits:
            return Verdict.reject(f"column {c + 1} does not hold each of 1..{n} once", parsed)
    for cells, op, target in cages:
        values = [grid[r][c] for r, c in cells]
        got = _value(values, op)
        if got != target:
            where = ", ".join(f"({r + 1},{c + 1})" for r, c in cells)
            return Verdict.reject(f"cage {where} gives {got} with {op}, not {target}", parsed)
    return Verdict.accept(parsed)


register("calcudoku", check)
