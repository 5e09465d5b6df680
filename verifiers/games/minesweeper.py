"""Verifier for minesweeper: judged by the rules from the board (mines only on hidden cells, the
mine total, every revealed number's count of neighbouring mines). The generator proves the mine
set unique, so a set that passes equals the stored one."""

from __future__ import annotations

from verifiers.puzzles._place import int_field, parse_pairs, str_grid
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    grid = str_grid(state.get("board"), "board")
    rows, cols = len(grid), len(grid[0])
    total = int_field(state, "mines", 0, rows * cols)
    mines: set[tuple[int, int]] = set()
    for r, c in parse_pairs(answer):
        if not (0 <= r < rows and 0 <= c < cols):
            return Verdict.reject(f"({r}, {c}) is off the {rows}x{cols} board")
        if grid[r][c].isdigit():
            return Verdict.reject(f"({r}, {c}) is a revealed cell, it holds no mine")
        if (r, c) in mines:
            return Verdict.reject(f"({r}, {c}) is listed twice")
        mines.add((r, c))
    if len(mines) != total:
        return Verdict.reject(f"{len(mines)} mines given, the board has {total}")
    for r in range(rows):
        for c in range(cols):
            if grid[r][c].isdigit():
                seen = sum((r + dr, c + dc) in mines for dr in (-1, 0, 1) for dc in (-1, 0, 1))
                if seen != int(grid[r][c]):
                    return Verdict.reject(f"the {grid[r][c]} at ({r}, {c}) would see {seen} mines")
    return Verdict.accept()


register("minesweeper", check)
