"""Verifier for maze: walk the moves from S cell by cell and refuse any move through a wall (the
public verifier forgot the walls). Any walk is accepted, revisits included, as long as it never
crosses a wall or leaves the maze and it ends on E.

Reads helix's state (`{"maze": [rows]}` with '#' walls and '.' open) and the public benchmark's
text maze ('+', '|', '-' walls, '0' open cells, ' ' open gaps); in both, cell (r, c) sits at
character (2r+1, 2c+1) and a move crosses the gap character between two cells."""

from __future__ import annotations

from verifiers.games._games_moves import DELTAS, parse_moves
from verifiers.registry import register
from verifiers.verdict import Verdict

_OPEN = set(".0 SE")


def _rows(state) -> list[str]:
    maze = state.get("maze") if isinstance(state, dict) else state
    if isinstance(maze, str):
        maze = maze.split("\n")
    if not isinstance(maze, list) or not maze or not all(isinstance(r, str) for r in maze):
        raise ValueError("initial_state.maze must be text rows")
    return maze


def _find(rows: list[str], mark: str) -> tuple[int, int]:
    hits = [(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == mark]
    if len(hits) != 1 or hits[0][0] % 2 == 0 or hits[0][1] % 2 == 0:
        raise ValueError(f"the maze must hold exactly one {mark} on a cell")
    return hits[0]


def check(state: dict, answer: str) -> Verdict:
    rows = _rows(state)
    start, end = _find(rows, "S"), _find(rows, "E")
    moves = parse_moves(answer)
    parsed = " ".join(moves)

    def is_open(r: int, c: int) -> bool:
        return 0 <= r < len(rows) and 0 <= c < len(rows[r]) and rows[r][c] in _OPEN

    r, c = start
    for i, move in enumerate(moves, 1):
        dr, dc = DELTAS[move]
        if not is_open(r + dr, c + dc) or not is_open(r + 2 * dr, c + 2 * dc):
            where = "a wall" if is_open(r + 2 * dr, c + 2 * dc) or 0 < r + 2 * dr < len(rows) - 1 \
                and 0 < c + 2 * dc < len(rows[0]) - 1 else "the maze's edge"
            return Verdict.reject(f"move {i} ({move}) from cell {((r - 1) // 2, (c - 1) // 2)} "
                                  f"runs into {where}", parsed=parsed)
        r, c = r + 2 * dr, c + 2 * dc
    if (r, c) != end:
        return Verdict.reject(f"the moves end at cell {((r - 1) // 2, (c - 1) // 2)}, not at E "
                              f"{((end[0] - 1) // 2, (end[1] - 1) // 2)}", parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("maze", check)
