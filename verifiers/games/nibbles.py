"""Verifier for nibbles (the official rules): replay every move. The head steps one cell per move
and may not enter any cell the snake occupies before the move, the tail's cell included (the
head moves before the tail follows); entering an apple eats it and the snake grows (the tail stays
that move). Leaving the board, hitting the snake, or reversing against the last direction kills
the snake and rejects the answer, also in moves listed after the last apple. Accepted when every
apple is eaten and no move killed the snake. The given direction must be the one from the
second snake cell to the head (the official scorer refuses a board where it is not).

Reads helix's state (`grid_size`, `snake` head first, `direction`, `apples`) and the public
generator's key names (`initial_snake`, `initial_direction`)."""

from __future__ import annotations

from verifiers.games._games_moves import DELTAS, parse_moves
from verifiers.registry import register
from verifiers.verdict import Verdict

_OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}


def _cells(value, what: str) -> list[tuple[int, int]]:
    if not isinstance(value, list) or not all(
            isinstance(c, (list, tuple)) and len(c) == 2 and all(type(x) is int for x in c)
            for c in value):
        raise ValueError(f"initial_state.{what} must be a list of [row, col] cells")
    return [(c[0], c[1]) for c in value]


def _read(state: dict) -> tuple[int, int, list[tuple[int, int]], str, set[tuple[int, int]]]:
    size = state.get("grid_size", state.get("size"))
    rows, cols = (size.get("rows"), size.get("cols")) if isinstance(size, dict) else (size, size)
    if type(rows) is not int or type(cols) is not int or rows < 1 or cols < 1:
        raise ValueError("initial_state.grid_size must give rows and cols")
    snake = _cells(state.get("snake", state.get("initial_snake")), "snake")
    direction = state.get("direction", state.get("initial_direction"))
    if not snake or direction not in DELTAS:
        raise ValueError("initial_state needs a snake and its direction")
    if len(snake) > 1 and (snake[0][0] - snake[1][0], snake[0][1] - snake[1][1]) != DELTAS[direction]:
        raise ValueError(f"initial_state.direction {direction!r} is not the way from the snake's "
                         "second cell to its head")
    return rows, cols, snake, direction, set(_cells(state.get("apples"), "apples"))


def check(state: dict, answer: str) -> Verdict:
    rows, cols, snake, direction, apples = _read(state)
    moves = parse_moves(answer)
    parsed = " ".join(moves)
    for i, move in enumerate(moves, 1):
        if move == _OPPOSITE[direction]:
            return Verdict.reject(f"move {i} ({move}) reverses the snake", parsed=parsed)
        dr, dc = DELTAS[move]
        head = (snake[0][0] + dr, snake[0][1] + dc)
        if not (0 <= head[0] < rows and 0 <= head[1] < cols):
            return Verdict.reject(f"move {i} ({move}) runs off the board at {head}", parsed=parsed)
        if head in snake:  # the tail's cell too: it is still there when the head arrives
            return Verdict.reject(f"move {i} ({move}) runs into the snake's body at {head}",
                                  parsed=parsed)
        snake = [head] + (snake if head in apples else snake[:-1])
        direction = move
        apples.discard(head)
    if apples:
        return Verdict.reject(f"{len(apples)} apple(s) left uneaten, e.g. at {min(apples)}",
                              parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("nibbles", check)
