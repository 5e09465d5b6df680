"""Bridges (puzzles; official label `bridges`), also known as Hashiwokakero.

Join the islands with horizontal and vertical bridges (one or two per pair, never crossing, never
passing over an island) so that each island has as many bridges as its number and all islands are
connected. The generator grows a connected bridge network island by island, adds a few extra
bridges, reads off the numbers, and keeps only draws whose bridges a propagating search proves
unique.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._place import ORTHO, board, grid_text
from generators.registry import register
from generators.render import BLACK, GREY, LIGHT, WHITE, text_center, to_png


class Level(NamedTuple):
    side: int
    min_islands: int
    max_islands: int


LEVELS = {
    1: Level(5, 3, 4),
    2: Level(6, 4, 5),
    3: Level(7, 5, 6),
    4: Level(8, 6, 7),
    5: Level(9, 7, 10),
}
NODE_BUDGET = 20_000
Point = tuple[int, int]  # (x, y) = (column, row)


class Island(BaseModel):
    x: int
    y: int
    num: int


class State(BaseModel):
    size: int
    islands: list[Island]


class Bridges(Task[State]):
    name = "bridges"
    category = "puzzles"
    official_name = "bridges"
    score_function = "bridges_evaluator"
    levels = LEVELS
    rules = ("Connect the islands with bridges. A bridge runs horizontally or vertically in a "
             "straight line between two islands with no island in between; two bridges never "
             "cross; a pair of islands is joined by at most two bridges; every island has exactly "
             "as many bridges as its number; and all islands end up connected.")
    answer_format = ("one bridge per line as (x1,y1)-(x2,y2):count with x the column and y the row, "
                     "0-based, count 1 or 2, e.g.\n(1,1)-(1,5):1\n(1,1)-(4,1):2")

    def generate(self, rng: random.Random, level: int) -> State:
        size, low, high = self.params(level)
        points, bridges = _grow_network(rng, size, rng.randint(low, high))
        degree = {p: 0 for p in points}
        for (a, b), k in bridges.items():
            degree[a] += k
            degree[b] += k
        state = State(size=size, islands=[Island(x=x, y=y, num=degree[(x, y)]) for x, y in sorted(points)])
        search = _Search(state, record=False)
        search.run()
        if search.exhausted:
            raise Rejected("search budget exceeded")
        if search.count != 1:
            raise Rejected("more than one bridge layout")
        return state

    def solve(self, state: State) -> Solution:
        search = _Search(state, record=True)
        search.run()
        if search.first is None or search.exhausted:
            raise Rejected("unsolved within the search budget")
        lines = [f"({a[0]},{a[1]})-({b[0]},{b[1]}):{k}" for (a, b), k in sorted(search.first.items())]
        steps = search.steps
        steps.append(Step(kind="check", text="Every island has its number of bridges, no bridges "
                          "cross, and the bridges connect all islands.", anchor="\n".join(lines)))
        steps.append(Step(kind="conclude", text=f"{len(lines)} bridge lines, (x,y) = (column,row)."))
        return Solution(answer="\n".join(lines), steps=steps, num_solutions=search.count,
                        effort=search.effort)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Bridges (Hashiwokakero). " + self.rules
        if variant == "image":
            body = (f"The picture shows a {state.size}x{state.size} grid; each circle is an island "
                    "with its number. Columns (x) are numbered along the top and rows (y) down the "
                    "left, from 0.")
        else:
            listed = "\n".join(f"island at (x={i.x}, y={i.y}) needs {i.num}" for i in state.islands)
            body = (f"The grid is {state.size}x{state.size}; x is the column and y the row, both "
                    f"from 0.\n{listed}")
        return f"{intro}\n\n{body}\n\nWhich bridges are built? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        size, cell = state.size, 56
        image, draw, x0, y0 = board(size, size, cell)
        for k in range(size):
            mid = x0 + (k + 0.5) * cell
            draw.line([(mid, y0 + cell / 2), (mid, y0 + (size - 0.5) * cell)], fill=LIGHT)
            mid = y0 + (k + 0.5) * cell
            draw.line([(x0 + cell / 2, mid), (x0 + (size - 0.5) * cell, mid)], fill=LIGHT)
        radius = cell * 0.36
        for island in state.islands:
            cx, cy = x0 + (island.x + 0.5) * cell, y0 + (island.y + 0.5) * cell
            draw.ellipse([cx - radius, cy - radius, cx + radius, cy + radius], fill=WHITE,
                         outline=BLACK, width=2)
            text_center(draw, (cx, cy), str(island.num), 22)
        draw.rectangle([x0, y0, x0 + size * cell, y0 + size * cell], outline=GREY)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"size": state.size, "islands": [i.model_dump() for i in state.islands]}


def _between(a: Point, b: Point) -> list[Point]:
    """Grid points strictly between two aligned points."""
    (x1, y1), (x2, y2) = a, b
    if x1 == x2:
        return [(x1, y) for y in range(min(y1, y2) + 1, max(y1, y2))]
    return [(x, y1) for x in range(min(x1, x2) + 1, max(x1, x2))]


def _grow_network(rng: random.Random, size: int, count: int) -> tuple[set[Point], dict]:
    """Islands added one at a time, each bridged to an existing one; then a few extra bridges."""
    points: set[Point] = {(rng.randrange(size), rng.randrange(size))}
    bridges: dict[tuple[Point, Point], int] = {}
    occupied: set[Point] = set()  # grid points under a bridge
    for _ in range(60 * count):
        if len(points) == count:
            break
        a = rng.choice(sorted(points))
        dx, dy = rng.choice(ORTHO)
        dist = rng.randint(2, size - 1)
        b = (a[0] + dx * dist, a[1] + dy * dist)
        path = _between(a, b)
        if (not (0 <= b[0] < size and 0 <= b[1] < size) or b in points or b in occupied
                or any(p in points or p in occupied for p in path)
                or any((b[0] + ex, b[1] + ey) in points for ex, ey in ORTHO)):
            continue
        points.add(b)
        bridges[tuple(sorted((a, b)))] = rng.choice((1, 1, 2))
        occupied.update(path)
    if len(points) < count:
        raise Rejected("islands do not fit")
    for a, b in _candidates(points):
        path = _between(a, b)
        if (a, b) not in bridges and rng.random() < 0.3 and not any(p in occupied for p in path):
            bridges[(a, b)] = rng.choice((1, 2))
            occupied.update(path)
    return points, bridges


def _candidates(points: set[Point]) -> list[tuple[Point, Point]]:
    """Aligned island pairs with no island in between (sorted)."""
    limit = max(max(p) for p in points)
    pairs = []
    for a in sorted(points):
        for dx, dy in ((1, 0), (0, 1)):
            b = (a[0] + dx, a[1] + dy)
            while b not in points and b[0] <= limit and b[1] <= limit:
                b = (b[0] + dx, b[1] + dy)
            if b in points:
                pairs.append((a, b))
    return pairs


def _crosses(e: tuple[Point, Point], f: tuple[Point, Point]) -> bool:
    return bool(set(_between(*e)) & set(_between(*f)))


class _Search:
    """Edge-value search: propagation (an island whose need equals what its open edges can still
    carry takes all of it; a satisfied island closes its edges) plus branching."""

    def __init__(self, state: State, record: bool):
        self.points = [(i.x, i.y) for i in state.islands]
        self.need = {(i.x, i.y): i.num for i in state.islands}
        self.edges = _candidates(set(self.points))
        self.incident = {p: [k for k, e in enumerate(self.edges) if p in e] for p in self.points}
        self.cross = [[j for j, f in enumerate(self.edges) if j != k and _crosses(e, f)]
                      for k, e in enumerate(self.edges)]
        self.record = record
        self.steps: list[Step] = []
        self.count = self.nodes = self.effort = 0
        self.exhausted = False
        self.first: dict | None = None

    def run(self) -> None:
        self._note("observe", f"{len(self.points)} islands; {len(self.edges)} island pairs can be "
                   "bridged. I track each island's remaining need.", [None] * len(self.edges))
        self._dfs([None] * len(self.edges))

    def _rem(self, val: list[int | None], p: Point) -> int:
        return self.need[p] - sum(val[k] or 0 for k in self.incident[p])

    def _cap(self, val: list[int | None], k: int) -> int:
        if any(val[j] for j in self.cross[k]):
            return 0
        a, b = self.edges[k]
        return max(0, min(2, self._rem(val, a), self._rem(val, b)))

    def _anchor(self, val: list[int | None]) -> str:
        rows = [[f"({x},{y})", str(self._rem(val, (x, y)))] for x, y in self.points]
        built = [f"({a[0]},{a[1]})-({b[0]},{b[1]}):{val[k]}" for k, (a, b) in enumerate(self.edges) if val[k]]
        return grid_text([["island", "still-needs"]] + rows) + "\nbuilt: " + (", ".join(built) or "none")

    def _note(self, kind: str, text: str, val: list[int | None] | None = None) -> None:
        if self.record and self.first is None:
            self.steps.append(Step(kind=kind, text=text, anchor=self._anchor(val) if val else None))

    def _dfs(self, val: list[int | None]) -> None:
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            self.exhausted = True
            return
        reasons = self._propagate(val)
        if reasons is None:
            self._note("dead_end", "Contradiction: an island can no longer get its number, or "
                       "a group of islands is closed off.")
            return
        if reasons:
            self._note("deduce", "; ".join(reasons[:5]) + (" ..." if len(reasons) > 5 else ""), val)
        open_edges = [k for k, v in enumerate(val) if v is None]
        if not open_edges:
            if all(self._rem(val, p) == 0 for p in self.points) and self._connected(val, final=True):
                self.count += 1
                if self.first is None:
                    self.first = {self.edges[k]: v for k, v in enumerate(val) if v}
            return
        k = min(open_edges, key=lambda k: (min(len([j for j in self.incident[p] if val[j] is None])
                                               for p in self.edges[k]), k))
        a, b = self.edges[k]
        for value in range(self._cap(val, k), -1, -1):
            if self.count >= 2 or self.exhausted:
                return
            trial = val[:]
            trial[k] = value
            self.effort += 1
            self._note("try", f"Guess {value} bridge(s) between ({a[0]},{a[1]}) and ({b[0]},{b[1]}).")
            self._dfs(trial)
            if self.first is None:
                self._note("backtrack", f"Back out of {value} bridge(s) between ({a[0]},{a[1]}) "
                           f"and ({b[0]},{b[1]}).")

    def _propagate(self, val: list[int | None]) -> list[str] | None:
        reasons, changed = [], True
        while changed:
            changed = False
            for p in self.points:
                rem = self._rem(val, p)
                open_edges = [k for k in self.incident[p] if val[k] is None]
                caps = [self._cap(val, k) for k in open_edges]
                if rem < 0 or rem > sum(caps):
                    return None
                if open_edges and rem == sum(caps):
                    for k, cap in zip(open_edges, caps):
                        val[k] = cap
                        self.effort += 1
                    what = "all it can still take" if rem else "no more bridges"
                    reasons.append(f"({p[0]},{p[1]}) needs {rem} more = {what}")
                    changed = True
        if not self._connected(val, final=False):
            return None
        return reasons

    def _connected(self, val: list[int | None], final: bool) -> bool:
        """Final: the built bridges join all islands. Otherwise: all islands can still be joined
        through built or open edges."""
        links: dict[Point, list[Point]] = {p: [] for p in self.points}
        for k, (a, b) in enumerate(self.edges):
            if val[k] or (not final and val[k] is None):
                links[a].append(b)
                links[b].append(a)
        seen, stack = {self.points[0]}, [self.points[0]]
        while stack:
            for q in links[stack.pop()]:
                if q not in seen:
                    seen.add(q)
                    stack.append(q)
        return len(seen) == len(self.points)


register(Bridges())
