"""Verifier for minesweeper (the official puzzle): the whole board is shown, a numbered cell is
safe and counts the mines among its eight neighbours, a blank cell ("." in the state) is either a
mine or a safe 0. Judged by the rules from the board: mines only on blank cells, every number sees
exactly its count, and every blank not listed as a mine (so a 0) touches no listed mine. The mine
total is not given, so it is not checked. A cell listed twice is one mine, as in the official
scorer (which compares sets). The generator proves the mine set unique, so a set that passes
equals the stored one."""

from __future__ import annotations

from verifiers.parse import parse_pairs
from verifiers.puzzles._place import str_grid
from verifiers.registry import register
from verifiers.verdict import Verdict

BLANK = "."
NUMBERS = set("12345678")


def _board(state: dict) -> list[list[str]]:
    grid = str_grid(state.get("board"), "board")
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if v != BLANK and v not in NUMBERS:
                raise ValueError(f"initial_state.board[{r}][{c}] is {v[:10]!r}; expected '.' or 1-8")
    return grid


def check(state: dict, answer: str) -> Verdict:
    grid = _board(state)
    rows, cols = len(grid), len(grid[0])
    mines: set[tuple[int, int]] = set()
    for r, c in parse_pairs(answer):
        if not (0 <= r < rows and 0 <= c < cols):
            return Verdict.reject(f"({r}, {c}) is off the {rows}x{cols} board")
        if grid[r][c] != BLANK:
            return Verdict.reject(f"({r}, {c}) shows a number, it holds no mine")
        mines.add((r, c))
    for r in range(rows):
        for c in range(cols):
            if (r, c) in mines:
                continue
            seen = sum((r + dr, c + dc) in mines for dr in (-1, 0, 1) for dc in (-1, 0, 1))
            if grid[r][c] != BLANK and seen != int(grid[r][c]):
                return Verdict.reject(f"the {grid[r][c]} at ({r}, {c}) would see {seen} mine(s)")
            if grid[r][c] == BLANK and seen:
                return Verdict.reject(f"the blank ({r}, {c}) is not listed as a mine, so it is a 0, "
                                      f"yet it touches {seen} listed mine(s)")
    return Verdict.accept()


register("minesweeper", check)
