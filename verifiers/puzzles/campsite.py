"""Verifier for campsite: the tent set is judged by the rules (tents on free cells, no two
touching, row and column counts, every tent paired with its own orthogonally adjacent tree),
so any valid layout is accepted. Coordinates are 1-based [row, column]."""

from __future__ import annotations

from verifiers.puzzles._place import parse_pairs, str_grid
from verifiers.registry import register
from verifiers.verdict import Verdict

_STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def check(state: dict, answer: str) -> Verdict:
    grid = str_grid(state.get("input_grid", state.get("grid")), "input_grid")
    rows, cols = len(grid), len(grid[0])
    row_need, col_need = state.get("row_constraints"), state.get("col_constraints")
    if not (isinstance(row_need, list) and isinstance(col_need, list)
            and len(row_need) == rows and len(col_need) == cols
            and all(isinstance(k, int) for k in row_need + col_need)):
        raise ValueError("initial_state row/col constraints do not fit the grid")
    pairs = parse_pairs(answer)
    tents = set()
    for r, c in pairs:
        if not (1 <= r <= rows and 1 <= c <= cols):
            return Verdict.reject(f"[{r}, {c}] is outside the {rows}x{cols} grid (1-based)")
        if (r - 1, c - 1) in tents:
            return Verdict.reject(f"tent [{r}, {c}] is listed twice")
        if grid[r - 1][c - 1].upper() == "T":
            return Verdict.reject(f"[{r}, {c}] is a tree, not a free cell")
        tents.add((r - 1, c - 1))
    for r, c in sorted(tents):
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                if (dr or dc) and (r + dr, c + dc) in tents:
                    return Verdict.reject(f"tents [{r + 1}, {c + 1}] and [{r + dr + 1}, {c + dc + 1}] touch")
    for i, need in enumerate(row_need):
        have = sum(r == i for r, _ in tents)
        if have != need:
            return Verdict.reject(f"row {i + 1} has {have} tents, needs {need}")
    for i, need in enumerate(col_need):
        have = sum(c == i for _, c in tents)
        if have != need:
            return Verdict.reject(f"column {i + 1} has {have} tents, needs {need}")
    trees = {(r, c) for r in range(rows) for c in range(cols) if grid[r][c].upper() == "T"}
    if sum(row_need) == len(trees) and len(tents) != len(trees):
        return Verdict.reject(f"{len(tents)} tents for {len(trees)} trees")
    unpaired = _unpaired_tent(sorted(tents), trees)
    if unpaired is not None:
        r, c = unpaired
        return Verdict.reject(f"tent [{r + 1}, {c + 1}] has no tree of its own next to it")
    return Verdict.accept()


def _unpaired_tent(tents: list[tuple[int, int]], trees: set[tuple[int, int]]) -> tuple[int, int] | None:
    """A tent that no one-to-one tent-tree pairing can serve (bipartite matching), or None."""
    owner: dict[tuple[int, int], tuple[int, int]] = {}

    def augment(tent: tuple[int, int], seen: set) -> bool:
        for dr, dc in _STEPS:
            tree = (tent[0] + dr, tent[1] + dc)
            if tree in trees and tree not in seen:
                seen.add(tree)
                if tree not in owner or augment(owner[tree], seen):
                    owner[tree] = tent
                    return True
        return False

    return next((t for t in tents if not augment(t, set())), None)


register("campsite", check)
