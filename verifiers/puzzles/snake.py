"""Verifier for snake, by the rules: the cells run from S to E, each sharing a side with the
next, no cell twice, every row and column holds its count of snake cells, and the snake never
touches itself: non-consecutive cells never share a side, and two cells meet at a corner only as
the ends of a bend (two apart along the snake). The standard Snake puzzle forbids diagonal
touching, and the puzzles are drawn under that rule.

Accepted spellings: `(4,1) (4,2) ...` (the benchmark form, (row,col) 0-based), the public
generator's list `[(4, 1), (4, 2)]` / `[[4, 1], [4, 2]]`, commas or arrows between pairs. The
same snake written from E to S is accepted too: the official scoring compares cell sets."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_PAIR = re.compile(r"[\(\[]\s*(-?\d{1,4})\s*,\s*(-?\d{1,4})\s*[\)\]]")
_GLUE = re.compile(r"[\s,;\[\]]|->|→")
MAX_CELLS = 10_000


def parse_cells(answer: str) -> list[tuple[int, int]]:
    pairs = [(int(a), int(b)) for a, b in _PAIR.findall(answer)]
    rest = _GLUE.sub("", _PAIR.sub("", answer))
    if not pairs or rest:
        raise Unparsable("expected (row,col) pairs such as (4,1) (4,2)")
    if len(pairs) > MAX_CELLS:
        raise Unparsable(f"{len(pairs)} cells is far more than the grid holds")
    return pairs


def _cell(value: object, what: str) -> tuple[int, int]:
    if not (isinstance(value, (list, tuple)) and len(value) == 2
            and all(isinstance(v, int) for v in value)):
        raise ValueError(f"initial_state.{what} must be [row, col]")
    return int(value[0]), int(value[1])


def check(state: dict, answer: str) -> Verdict:
    n = state.get("n")
    rows, cols = state.get("row_counts"), state.get("col_counts")
    if not (isinstance(n, int) and isinstance(rows, list) and isinstance(cols, list)
            and len(rows) == n and len(cols) == n):
        raise ValueError("initial_state needs n, row_counts and col_counts of length n")
    start, end = _cell(state.get("start"), "start"), _cell(state.get("end"), "end")
    snake = parse_cells(answer)
    parsed = " ".join(f"({r},{c})" for r, c in snake)
    if snake and snake[0] == end and snake[-1] == start:
        snake = snake[::-1]          # the same snake read from its tail
    if snake[0] != start or snake[-1] != end:
        return Verdict.reject(f"the snake must run from S {start} to E {end}", parsed=parsed)
    index: dict[tuple[int, int], int] = {}
    for i, (r, c) in enumerate(snake):
        if not (0 <= r < n and 0 <= c < n):
            return Verdict.reject(f"({r},{c}) is outside the {n} x {n} grid", parsed=parsed)
        if (r, c) in index:
            return Verdict.reject(f"({r},{c}) is used twice", parsed=parsed)
        index[(r, c)] = i
    for (r1, c1), (r2, c2) in zip(snake, snake[1:]):
        if abs(r1 - r2) + abs(c1 - c2) != 1:
            return Verdict.reject(f"({r1},{c1}) and ({r2},{c2}) do not share a side", parsed=parsed)
    for (r, c), i in index.items():
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                j = index.get((r + dr, c + dc))
                if j is None or j <= i or (dr == 0 and dc == 0):
                    continue
                gap = j - i
                if (dr == 0 or dc == 0) and gap != 1:
                    return Verdict.reject(f"the snake touches itself: ({r},{c}) and "
                                          f"({r + dr},{c + dc}) share a side", parsed=parsed)
                if dr and dc and gap != 2:
                    return Verdict.reject(f"the snake touches itself at a corner: ({r},{c}) and "
                                          f"({r + dr},{c + dc})", parsed=parsed)
    for axis, counts, name in ((0, rows, "row"), (1, cols, "column")):
        have = [0] * n
        for cell in snake:
            have[cell[axis]] += 1
        for k in range(n):
            if have[k] != counts[k]:
                return Verdict.reject(f"{name} {k} holds {have[k]} snake cells, not {counts[k]}",
                                      parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("snake", check)
