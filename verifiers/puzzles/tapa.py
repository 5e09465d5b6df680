"""Verifier for tapa: judged by the rules from the clues alone (any valid shading is accepted):
clue cells white; a clue k has exactly k black cells among its eight neighbours, forming a single
group that touches by sides or corners (0: no black neighbour); black cells orthogonally
connected; no 2x2 black block. These are the official rules (one number per clue, the black
neighbours grouped by 8-connectivity)."""

from __future__ import annotations

from verifiers.parse import parse_pairs
from verifiers.puzzles._place import int_field
from verifiers.registry import register
from verifiers.verdict import Verdict

_AROUND = tuple((dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc)


def _clue_value(value: object, key: str) -> int:
    # a list of one number is the shape older helix exports wrote
    if isinstance(value, list) and len(value) == 1:
        value = value[0]
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 8:
        raise ValueError(f"bad clue {key!r}: {value!r} (one number 0..8 per clue cell)")
    return value


def _clues(state: dict, rows: int, cols: int) -> dict[tuple[int, int], int]:
    raw = state.get("clues")
    if not isinstance(raw, dict):
        raise ValueError("initial_state.clues must map 'row,col' to a number")
    clues = {}
    for key, value in raw.items():
        r, c = (int(x) for x in str(key).split(","))
        if not (0 <= r < rows and 0 <= c < cols):
            raise ValueError(f"clue {key!r} is outside the {rows}x{cols} grid")
        clues[(r, c)] = _clue_value(value, key)
    return clues


def _groups(cells: set[tuple[int, int]]) -> list[int]:
    """Sizes of the groups of `cells` that touch by a side or a corner, sorted."""
    sizes, seen = [], set()
    for start in sorted(cells):
        if start in seen:
            continue
        seen.add(start)
        stack, size = [start], 0
        while stack:
            r, c = stack.pop()
            size += 1
            for dr, dc in _AROUND:
                nb = (r + dr, c + dc)
                if nb in cells and nb not in seen:
                    seen.add(nb)
                    stack.append(nb)
        sizes.append(size)
    return sorted(sizes)


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
        around = {(r + dr, c + dc) for dr, dc in _AROUND} & black
        groups = _groups(around)
        if groups != ([want] if want else []):
            got = (f"{len(around)} black neighbours in {len(groups)} groups {groups}" if len(groups) > 1
                   else f"{len(around)} black neighbours")
            return Verdict.reject(f"clue {want} at ({r},{c}) wants {want} black neighbours in one "
                                  f"group, the shading gives {got}")
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
