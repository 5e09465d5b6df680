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
from generators.search import count, solve_traced
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
NODE_BUDGET = 50_000  # placements and guesses per search; a draw that needs more is rejected
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
    version = 2  # 2: the search runs on the shared core (generators/search.py)
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
        model = _Model(state)
        found, _ = count(model, [None] * model.size, budget=NODE_BUDGET)
        if found != 1:
            raise Rejected("more than one bridge layout")
        return state

    def solve(self, state: State) -> Solution:
        model = _Model(state)
        intro = (f"{len(model.points)} islands; {model.size} island pairs can be bridged (aligned, "
                 "nothing in between). I track each island's remaining need; a pair is written "
                 "(x1,y1)-(x2,y2)=bridges.")
        sol, found, nodes, steps = solve_traced(model, [None] * model.size, intro, budget=NODE_BUDGET)
        lines = [f"({a[0]},{a[1]})-({b[0]},{b[1]}):{k}" for (a, b), k in sorted(zip(model.edges, sol)) if k]
        steps.append(Step(kind="conclude", text=f"{len(lines)} bridge lines, (x,y) = (column,row).",
                          anchor="\n".join(lines)))
        return Solution(answer="\n".join(lines), steps=steps, num_solutions=found, effort=nodes)

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


class _Model:
    """Bridges as a search model: variables are the island pairs that can be bridged (sorted, as
    `_candidates` lists them), values 0, 1 or 2 bridges."""

    def __init__(self, state: State):
        self.points = [(i.x, i.y) for i in state.islands]
        self.need = [i.num for i in state.islands]
        index = {p: k for k, p in enumerate(self.points)}
        self.edges = _candidates(set(self.points))
        self.size = len(self.edges)
        self.ends = [(index[a], index[b]) for a, b in self.edges]
        self.incident = [[k for k, e in enumerate(self.ends) if p in e] for p in range(len(self.points))]
        self.cross = [[j for j, f in enumerate(self.edges) if j != k and _crosses(e, f)]
                      for k, e in enumerate(self.edges)]

    def cell(self, var: int) -> str:
        (x1, y1), (x2, y2) = self.edges[var]
        return f"({x1},{y1})-({x2},{y2})"

    def show(self, val: int) -> str:
        return str(val)

    def island(self, p: int) -> str:
        return "({},{})".format(*self.points[p])

    def _rem(self, vals: list) -> list[int]:
        """Each island's need less the bridges already built at it."""
        rem = list(self.need)
        for (a, b), v in zip(self.ends, vals):
            if v:
                rem[a] -= v
                rem[b] -= v
        return rem

    def _caps(self, vals: list, rem: list[int]) -> list[int]:
        """What each open pair can still carry: nothing across a built bridge, else at most 2 and
        at most what either end still needs (0 for decided pairs)."""
        caps = [0] * self.size
        for k, v in enumerate(vals):
            if v is None and not any(vals[j] for j in self.cross[k]):
                a, b = self.ends[k]
                caps[k] = max(0, min(2, rem[a], rem[b]))
        return caps

    def anchor(self, vals: list) -> str:
        rem = self._rem(vals)
        rows = [[self.island(p), str(rem[p])] for p in range(len(self.points))]
        built = [f"{self.cell(k)}:{v}" for k, v in enumerate(vals) if v]
        return grid_text([["island", "still-needs"]] + rows) + "\nbuilt: " + (", ".join(built) or "none")

    def deduce(self, vals: list):
        for k, v in enumerate(vals):
            if v:
                j = next((j for j in self.cross[k] if vals[j]), None)
                if j is not None:
                    return f"the bridges {self.cell(k)} and {self.cell(j)} cross", []
        rem = self._rem(vals)
        caps = self._caps(vals, rem)
        forced: list = [(k, 0, "crossed by a built bridge") for k, v in enumerate(vals)
                        if v is None and any(vals[j] for j in self.cross[k])]
        for p, inc in enumerate(self.incident):
            room = sum(caps[k] for k in inc)
            if rem[p] < 0:
                return f"island {self.island(p)} has more than its {self.need[p]} bridges", []
            if rem[p] > room:
                return (f"island {self.island(p)} needs {rem[p]} more but its open pairs can "
                        f"carry only {room}"), []
            opens = [k for k in inc if vals[k] is None]
            if opens and rem[p] == room:
                rule = (f"{self.island(p)} needs {rem[p]} more = all it can still take" if rem[p]
                        else f"{self.island(p)} has all its bridges")
                forced += [(k, caps[k], rule) for k in opens]
        if forced:
            return None, forced
        if not self._joined(vals, built_only=False):
            return "the islands can no longer all be joined", []
        return None, []

    def _joined(self, vals: list, built_only: bool) -> bool:
        """Whether all islands are joined through built pairs (and, unless `built_only`, open
        ones)."""
        links: list[list[int]] = [[] for _ in self.points]
        for (a, b), v in zip(self.ends, vals):
            if v or (v is None and not built_only):
                links[a].append(b)
                links[b].append(a)
        seen, stack = {0}, [0]
        while stack:
            for q in links[stack.pop()]:
                if q not in seen:
                    seen.add(q)
                    stack.append(q)
        return len(seen) == len(self.points)

    def branch(self, vals: list) -> tuple[int, list[int]]:
        # the open pair at the island with the fewest open pairs; most bridges first
        opens = [sum(vals[k] is None for k in inc) for inc in self.incident]
        k = min((k for k, v in enumerate(vals) if v is None),
                key=lambda k: (min(opens[a] for a in self.ends[k]), k))
        cap = self._caps(vals, self._rem(vals))[k]
        return k, list(range(cap, -1, -1))

    def final(self, vals: list) -> str | None:
        # deduce has checked every island's count and the crossings
        if self._joined(vals, built_only=True):
            return None
        return "the bridges leave the islands in separate groups"


register(Bridges())
