"""Verifier for tapa: judged by the rules from the clues alone (any valid shading is accepted):
clue cells white, each clue equals the multiset of black-run lengths in its 8-cell ring, black
cells orthogonally connected, no 2x2 black block."""

from __future__ import annotations

from verifiers.puzzles._place import int_field, parse_pairs
from verifiers.registry import register
from verifiers.verdict import Verdict

_RING = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))


def _clues(state: dict, rows: int, cols: int) -> dict[tuple[int, int], list[int]]:
    raw = state.get("clues")
    if not isinstance(raw, dict):
        raise ValueError("initial_state.clues must map 'row,col' to a list of numbers")
    clues = {}
    for key, values in raw.items():
        r, c = (int(x) for x in str(key).split(","))
        values = [values] if isinstance(values, int) else values
        if not (0 <= r < rows and 0 <= c < cols and isinstance(values, list)
                and all(isinstance(v, int) for v in values)):
            raise ValueError(f"bad clue {key!r}: {values!r}")
        clues[(r, c)] = sorted(values)
    return clues


def _runs(bits: list[bool]) -> list[int]:
    if all(bits):
        return [8]
    k = bits.index(False)
    bits = bits[k:] + bits[:k]  # rotate so that the ring starts on a white cell
    runs, length = [], 0
    for b in bits + [False]:
        if b:
            length += 1
        elif length:
            runs.append(length)
            length = 0
    return sorted(runs) or [0]


def check(state: dict, answer: str) -> Verdict:
    rows, cols = int_field(state, "rows", 1, 100), int_field(state, "cols", 1, 100)
    clues = _clues(state, rows, cols)
    black: set[tuple[int, int]] = set()
    for r, c in parse_pairs(answer):
        if not (0 <= r < rows and 0 <= c < cols):
            return Verdict.reject(f"({r},{c}) is outside the {rows}x{cols} grid (0-based)")
        if (r, c) in clues:
            return Verdict.reject(f"({r},{c}) is a clue cell and must stay white")
        black.add((r, c))
    for r, c in sorted(black):
        if {(r, c + 1), (r + 1, c), (r + 1, c + 1)} <= black:
            return Verdict.reject(f"the 2x2 block at ({r},{c}) is all black")
    for (r, c), want in sorted(clues.items()):
        got = _runs([(r + dr, c + dc) in black for dr, dc in _RING])
        if got != want:
            return Verdict.reject(f"clue at ({r},{c}) wants runs {want}, the shading gives {got}")
    if black:
        start = min(black)
        seen, stack = {start}, [start]
        while stack:
            r, c = stack.pop()
            for nb in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
                if nb in black and nb not in seen:
                    seen.add(nb)
                    stack.append(nb)
        if len(seen) != len(black):
            cut = min(black - seen)
            return Verdict.reject(f"the black cells are not connected: ({cut[0]},{cut[1]}) is cut off")
    return Verdict.accept()


register("tapa", check)
