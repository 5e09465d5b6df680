"""Verifier for numbrix, by the rules: the answer grid has the puzzle's shape, holds each of
1..n^2 exactly once, keeps every given number, and puts consecutive numbers in orthogonally
adjacent cells. Any completion that satisfies these is accepted."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_ROW_LIST = re.compile(r"\[([^\[\]]*)\]")
_TOKEN = re.compile(r"\d{1,6}")


def _puzzle(state: dict) -> list[list[int]]:
    rows = state.get("grid")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise ValueError("initial_state.grid must be a list of rows")
    n = len(rows)
    if any(len(r) != n for r in rows):
        raise ValueError("initial_state.grid must be square")
    return [[v if isinstance(v, int) and not isinstance(v, bool) else 0 for v in r] for r in rows]


def parse_rows(answer: str) -> list[list[int]]:
    """Rows as `|1|2|3|` lines (the official form), plain `1 2 3` / `1, 2, 3` lines, or a list of
    lists `[[1, 2, 3], [6, 5, 4], ...]`."""
    text = answer.strip()
    if text.startswith("["):
        chunks = _ROW_LIST.findall(text)
    else:
        chunks = [line for line in text.splitlines() if line.strip()]
    rows = []
    for chunk in chunks:
        tokens = [t for t in re.split(r"[|,\s]+", chunk.strip().strip("|")) if t]
        if not tokens or any(not _TOKEN.fullmatch(t) for t in tokens):
            raise Unparsable(f"row {chunk.strip()[:40]!r} is not a row of numbers")
        rows.append([int(t) for t in tokens])
    if not rows:
        raise Unparsable("no grid rows found")
    return rows


def check(state: dict, answer: str) -> Verdict:
    puzzle = _puzzle(state)
    n = len(puzzle)
    rows = parse_rows(answer)
    parsed = "\n".join("|" + "|".join(map(str, r)) + "|" for r in rows)
    if len(rows) != n or any(len(r) != n for r in rows):
        return Verdict.reject(f"the grid must be {n} x {n}, got {len(rows)} rows of lengths "
                              f"{sorted({len(r) for r in rows})}", parsed=parsed)
    where: dict[int, tuple[int, int]] = {}
    for r in range(n):
        for c in range(n):
            v = rows[r][c]
            if not 1 <= v <= n * n:
                return Verdict.reject(f"{v} at ({r},{c}) is outside 1..{n * n}", parsed=parsed)
            if v in where:
                return Verdict.reject(f"{v} appears twice", parsed=parsed)
            where[v] = (r, c)
            if puzzle[r][c] and puzzle[r][c] != v:
                return Verdict.reject(f"the given {puzzle[r][c]} at ({r},{c}) was changed to {v}",
                                      parsed=parsed)
    for v in range(1, n * n):
        (r1, c1), (r2, c2) = where[v], where[v + 1]
        if abs(r1 - r2) + abs(c1 - c2) != 1:
            return Verdict.reject(f"{v} at ({r1},{c1}) and {v + 1} at ({r2},{c2}) are not "
                                  "orthogonally adjacent", parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("numbrix", check)
