"""Verifier for bridges: judged by the rules from the islands alone (any valid layout passes).
One or several bridges per line, `(x1,y1)-(x2,y2):k` with x the column and y the row; a missing
`:k` means one bridge, and repeated lines for one pair add up."""

from __future__ import annotations

from verifiers.puzzles._place import parse_edges
from verifiers.registry import register
from verifiers.verdict import Verdict

Point = tuple[int, int]


def _islands(state: dict) -> dict[Point, int]:
    raw = state.get("islands")
    if not isinstance(raw, list) or not raw:
        raise ValueError("initial_state.islands must be a non-empty list")
    islands = {}
    for item in raw:
        x, y, num = item["x"], item["y"], item["num"]
        if not all(isinstance(v, int) for v in (x, y, num)):
            raise ValueError(f"bad island {item!r}")
        islands[(x, y)] = num
    return islands


def _inside(a: Point, b: Point) -> list[Point]:
    (x1, y1), (x2, y2) = a, b
    if x1 == x2:
        return [(x1, y) for y in range(min(y1, y2) + 1, max(y1, y2))]
    return [(x, y1) for x in range(min(x1, x2) + 1, max(x1, x2))]


def check(state: dict, answer: str) -> Verdict:
    islands = _islands(state)
    built: dict[tuple[Point, Point], int] = {}
    for a, b, k in parse_edges(answer):
        k = 1 if k is None else k
        name = f"({a[0]},{a[1]})-({b[0]},{b[1]})"
        if k not in (1, 2):
            return Verdict.reject(f"{name}: a line holds 1 or 2 bridges, not {k}")
        for p in (a, b):
            if p not in islands:
                return Verdict.reject(f"{name}: ({p[0]},{p[1]}) is not an island")
        if a == b or (a[0] != b[0] and a[1] != b[1]):
            return Verdict.reject(f"{name} is not a horizontal or vertical bridge")
        blocker = next((p for p in _inside(a, b) if p in islands), None)
        if blocker:
            return Verdict.reject(f"{name} passes over the island at ({blocker[0]},{blocker[1]})")
        pair = (min(a, b), max(a, b))
        built[pair] = built.get(pair, 0) + k
        if built[pair] > 2:
            return Verdict.reject(f"{name}: more than two bridges between one pair")
    covered: dict[Point, tuple[Point, Point]] = {}
    for pair in sorted(built):
        for p in _inside(*pair):
            if p in covered:
                other = covered[p]
                return Verdict.reject(f"bridges ({pair[0][0]},{pair[0][1]})-({pair[1][0]},{pair[1][1]}) "
                                      f"and ({other[0][0]},{other[0][1]})-({other[1][0]},{other[1][1]}) cross")
            covered[p] = pair
    degree = {p: 0 for p in islands}
    for (a, b), k in built.items():
        degree[a] += k
        degree[b] += k
    for p in sorted(islands):
        if degree[p] != islands[p]:
            return Verdict.reject(f"island ({p[0]},{p[1]}) has {degree[p]} bridges, needs {islands[p]}")
    start = min(islands)
    seen, stack = {start}, [start]
    while stack:
        p = stack.pop()
        for a, b in built:
            q = b if a == p else a if b == p else None
            if q is not None and q not in seen:
                seen.add(q)
                stack.append(q)
    if len(seen) != len(islands):
        cut = min(set(islands) - seen)
        return Verdict.reject(f"the islands are not all connected: ({cut[0]},{cut[1]}) is cut off")
    return Verdict.accept()


register("bridges", check)
