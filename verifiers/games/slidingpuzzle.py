"""Verifier for slidingpuzzle: replay the moves and require the solved board 1..15 with the blank
(0) last. A word names the direction the TILE moves, as the question defines it (TASKS.md):
'left' slides the tile right of the blank to the left. An answer whose words name where the
blank goes is rejected (the reason says so when that reading would have solved the board): the
question fixes the convention, and accepting both would teach a model either. Any solution is
accepted, not only the shortest."""

from __future__ import annotations

from verifiers.games._games_moves import DELTAS, parse_moves
from verifiers.registry import register
from verifiers.verdict import Verdict


def _board(state) -> list[list[int]]:
    board = state.get("board") if isinstance(state, dict) else state
    if isinstance(board, list) and board and all(type(t) is int for t in board):
        side = int(round(len(board) ** 0.5))
        board = [board[r * side:(r + 1) * side] for r in range(side)]
    if (not isinstance(board, list) or not board
            or not all(isinstance(r, list) and len(r) == len(board) for r in board)):
        raise ValueError("initial_state.board must be a square list of rows")
    flat = [t for row in board for t in row]
    if sorted(flat) != list(range(len(flat))) or not all(type(t) is int for t in flat):
        raise ValueError("initial_state.board must hold 0..n*n-1 once each")
    return [list(row) for row in board]


def _replay(board: list[list[int]], moves: list[str], blank_sign: int) -> str | None:
    """None when the moves solve the board, else why not. blank_sign = -1: words name the tile's
    direction (the blank goes the opposite way); +1: words name the blank's direction."""
    n = len(board)
    r, c = next((i, row.index(0)) for i, row in enumerate(board) if 0 in row)
    for i, move in enumerate(moves, 1):
        dr, dc = DELTAS[move]
        nr, nc = r + blank_sign * dr, c + blank_sign * dc
        if not (0 <= nr < n and 0 <= nc < n):
            return f"move {i} ({move}) is impossible: no tile can move {move} into the blank"
        board[r][c], board[nr][nc] = board[nr][nc], 0
        r, c = nr, nc
    goal = list(range(1, n * n)) + [0]
    if [t for row in board for t in row] != goal:
        wrong = sum(t != g for t, g in zip((t for row in board for t in row), goal))
        return f"after {len(moves)} moves {wrong} squares are still out of place"
    return None


def check(state: dict, answer: str) -> Verdict:
    board = _board(state)
    moves = parse_moves(answer)
    parsed = " ".join(moves)
    why = _replay([list(r) for r in board], moves, -1)
    if why is None:
        return Verdict.accept(parsed=parsed)
    if _replay([list(r) for r in board], moves, +1) is None:
        why = ("the moves solve the board only read as the blank's directions; the question asks "
               "for the direction each tile moves")
    return Verdict.reject(why, parsed=parsed)


register("slidingpuzzle", check)
