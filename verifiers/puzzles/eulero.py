"""Verifier for eulero: rows of letter-number pairs (`B3|A1|C2`), judged by the rules: letters
Latin, numbers Latin, every pair exactly once, givens kept."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_CELL = re.compile(r"([A-Za-z])\s*(\d{1,2})")


def _parse(answer: str, n: int) -> list[list[tuple[str, int]]]:
    """One row per line (cells split by `|`, spaces or commas); `[["B3", ...], ...]` also works."""
    text = answer.strip()
    lines = [ln for ln in re.split(r"\n|\]\s*,\s*\[|;", text) if ln.strip(" []\"',|")]
    rows = []
    for line in lines:
        tokens = [t for t in re.split(r"[|,\s\[\]\"']+", line) if t]
        row = []
        for tok in tokens:
            m = _CELL.fullmatch(tok)
            if not m:
                raise Unparsable(f"{tok[:20]!r} is not a letter-number pair")
            row.append((m.group(1).upper(), int(m.group(2))))
        rows.append(row)
    if len(rows) != n or any(len(r) != n for r in rows):
        raise Unparsable(f"expected {n} rows of {n} letter-number pairs")
    return rows


def _givens(state: dict, n: int) -> list[list[tuple[str, int] | None]]:
    grid = state.get("grid")
    if not isinstance(grid, list) or len(grid) != n or any(not isinstance(r, list) or len(r) != n for r in grid):
        raise ValueError("grid must be an n x n list")
    out = []
    for row in grid:
        cells = []
        for x in row:
            if x in (None, "", ".", ".."):
                cells.append(None)
                continue
            m = _CELL.fullmatch(str(x).strip())
            if not m:
                raise ValueError(f"bad given {x!r}")
            cells.append((m.group(1).upper(), int(m.group(2))))
        out.append(cells)
    return out


def check(state: dict, answer: str) -> Verdict:
    n = state.get("size")
    if not isinstance(n, int) or not 1 <= n <= 26:
        raise ValueError("size must be an integer 1..26")
    givens = _givens(state, n)
    rows = _parse(answer, n)
    parsed = "\n".join("|".join(f"{a}{b}" for a, b in row) for row in rows)
    letters = {chr(65 + k) for k in range(n)}
    numbers = set(range(1, n + 1))
    for r in range(n):
        for c in range(n):
            a, b = rows[r][c]
            if a not in letters or b not in numbers:
                return Verdict.reject(f"{a}{b} at ({r},{c}) is outside letters A..{chr(64 + n)} "
                                      f"and numbers 1..{n}", parsed)
            if givens[r][c] is not None and givens[r][c] != (a, b):
                g = givens[r][c]
                return Verdict.reject(f"the given {g[0]}{g[1]} at ({r},{c}) was changed", parsed)
    for kind, lines in (("row", rows), ("column", [list(col) for col in zip(*rows)])):
        for i, line in enumerate(lines):
            if {a for a, _ in line} != letters:
                return Verdict.reject(f"{kind} {i} repeats a letter", parsed)
            if {b for _, b in line} != numbers:
                return Verdict.reject(f"{kind} {i} repeats a number", parsed)
    pairs = [p for row in rows for p in row]
    if len(set(pairs)) != n * n:
        twice = next(p for p in pairs if pairs.count(p) > 1)
        return Verdict.reject(f"the pair {twice[0]}{twice[1]} appears more than once", parsed)
    return Verdict.accept(parsed)


register("eulero", check)
