"""Verifier for numbrix, by the rules (the official ones): the answer grid has the puzzle's
shape, its numbers are exactly 1..K for some K (each once), consecutive numbers sit in
orthogonally adjacent cells, and every given number stays in its cell. K need not be n^2: cells
may stay empty. Any chain that satisfies these is accepted."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_ROW_LIST = re.compile(r"\[([^\[\]]*)\]")
_TOKEN = re.compile(r"\d{1,6}")
# how an answer may mark a cell the chain does not use ('|' rows may also leave it blank)
_EMPTY = {"", ".", "0", "-", "_"}


def _puzzle(state: dict) -> list[list[int]]:
    rows = state.get("grid")
    if not isinstance(rows, list) or not rows or not all(isinstance(r, list) for r in rows):
        raise ValueError("initial_state.grid must be a list of rows")
    n = len(rows)
    if any(len(r) != n for r in rows):
        raise ValueError("initial_state.grid must be square")
    return [[v if isinstance(v, int) and not isinstance(v, bool) else 0 for v in r] for r in rows]


def _cells(chunk: str) -> list[str]:
    text = chunk.strip()
    if "|" in text:
        # `|1| |3|`: blank cells count, so split on the bars themselves
        if text.startswith("|"):
            text = text[1:]
        if text.endswith("|"):
            text = text[:-1]
        return [cell.strip() for cell in text.split("|")]
    return [t for t in re.split(r"[,\s]+", text) if t]


def parse_rows(answer: str) -> list[list[int]]:
    """Rows as `|1|2| |` lines (the official form, a blank cell left empty), plain `1 2 .` /
    `1, 2, 0` lines, or a list of lists `[[1, 2, 3], [6, 5, 4], ...]`; 0 = an empty cell."""
    text = answer.strip()
    if text.startswith("["):
        chunks = _ROW_LIST.findall(text)
    else:
        chunks = [line for line in text.splitlines() if line.strip()]
    rows = []
    for chunk in chunks:
        cells = _cells(chunk)
        if not cells or any(c not in _EMPTY and not _TOKEN.fullmatch(c) for c in cells):
            raise Unparsable(f"row {chunk.strip()[:40]!r} is not a row of numbers and blanks")
        rows.append([0 if c in _EMPTY else int(c) for c in cells])
    if not rows:
        raise Unparsable("no grid rows found")
    return rows


def _text(rows: list[list[int]]) -> str:
    return "\n".join("|" + "|".join(str(v) if v else " " for v in r) + "|" for r in rows)


def check(state: dict, answer: str) -> Verdict:
    puzzle = _puzzle(state)
    n = len(puzzle)
    rows = parse_rows(answer)
    parsed = _text(rows)
    if len(rows) != n or any(len(r) != n for r in rows):
        return Verdict.reject(f"the grid must be {n} x {n}, got {len(rows)} rows of lengths "
                              f"{sorted({len(r) for r in rows})}", parsed=parsed)
    where: dict[int, tuple[int, int]] = {}
    for r in range(n):
        for c in range(n):
            v = rows[r][c]
            if puzzle[r][c] and puzzle[r][c] != v:
                changed = f"changed to {v}" if v else "left empty"
                return Verdict.reject(f"the given {puzzle[r][c]} at ({r},{c}) was {changed}",
                                      parsed=parsed)
            if not v:
                continue
            if v > n * n:
                return Verdict.reject(f"{v} at ({r},{c}) is outside 1..{n * n}", parsed=parsed)
            if v in where:
                return Verdict.reject(f"{v} appears twice", parsed=parsed)
            where[v] = (r, c)
    if not where:
        return Verdict.reject("the grid holds no numbers", parsed=parsed)
    top = max(where)
    missing = next((v for v in range(1, top) if v not in where), None)
    if missing is not None:
        return Verdict.reject(f"{missing} is missing: the chain must hold every number from 1 to "
                              f"its highest, {top}", parsed=parsed)
    for v in range(1, top):
        (r1, c1), (r2, c2) = where[v], where[v + 1]
        if abs(r1 - r2) + abs(c1 - c2) != 1:
            return Verdict.reject(f"{v} at ({r1},{c1}) and {v + 1} at ({r2},{c2}) are not "
                                  "orthogonally adjacent", parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("numbrix", check)
