"""Verifier for binairo: judged by the rules (balanced lines, no three alike, distinct rows and
distinct columns, givens kept), so any valid completion is accepted."""

from __future__ import annotations

import re

from verifiers.puzzles._grid_readers import int_grid
from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_ROWS = re.compile(r"\]\s*,?\s*\[|\n|;|\|")


def _parse(answer: str, n: int) -> list[list[int]]:
    """Rows of 0/1, one per line (`0 1 0 1`, `0101`, `0,1,0,1`) or `[[0, 1, 0, 1], ...]`."""
    text = answer.strip()
    if re.search(r"[^01\s,;\[\]|]", text):
        raise Unparsable(f"a binairo answer holds only 0s and 1s, got {text[:60]!r}")
    rows = [re.sub(r"[\s,\[\]]", "", r) for r in _ROWS.split(text)]
    rows = [r for r in rows if r]
    if len(rows) == 1 and len(rows[0]) == n * n:
        rows = [rows[0][i * n:(i + 1) * n] for i in range(n)]
    if len(rows) != n or any(len(r) != n for r in rows):
        raise Unparsable(f"expected {n} rows of {n} digits, got {len(rows)} rows")
    return [[int(ch) for ch in r] for r in rows]


def check(state: dict | list, answer: str) -> Verdict:
    puzzle = int_grid(state["grid"] if isinstance(state, dict) else state, "grid", allow_none=True)
    n = len(puzzle)
    if n % 2 or len(puzzle[0]) != n:
        raise ValueError("a binairo grid is square with an even side")
    grid = _parse(answer, n)
    parsed = "\n".join(" ".join(map(str, row)) for row in grid)
    for r in range(n):
        for c in range(n):
            if puzzle[r][c] is not None and puzzle[r][c] != grid[r][c]:
                return Verdict.reject(f"the given {puzzle[r][c]} at ({r},{c}) was changed", parsed)
    cols = [[grid[r][c] for r in range(n)] for c in range(n)]
    for kind, lines in (("row", grid), ("column", cols)):
        for i, line in enumerate(lines):
            if sum(line) * 2 != n:
                return Verdict.reject(f"{kind} {i} has {sum(line)} ones, not {n // 2}", parsed)
            for k in range(n - 2):
                if line[k] == line[k + 1] == line[k + 2]:
                    return Verdict.reject(f"{kind} {i} has three {line[k]}s in a row at {k}", parsed)
        seen: dict[tuple[int, ...], int] = {}
        for i, line in enumerate(lines):
            if tuple(line) in seen:
                return Verdict.reject(f"{kind}s {seen[tuple(line)]} and {i} are identical", parsed)
            seen[tuple(line)] = i
    return Verdict.accept(parsed)


register("binairo", check)
