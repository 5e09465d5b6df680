"""Shingoki (puzzles; official label `shingoki`).

Draw one closed loop along the grid lines through grid points. The loop passes every circle: it
goes straight through a white circle and turns at a black one, and a circle's number is the sum of
the lengths of the two straight segments leaving it. The generator grows a random hole-free region
of cells, takes its boundary as the loop, and places circles on loop points; a bounded path search
(traced from a black circle, checking segment lengths as it walks) counts the loops, capped at 2.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._place import ORTHO, board
from generators.registry import register
from generators.render import BLACK, LIGHT, WHITE, text_center, to_png


class Level(NamedTuple):
    side: int  # grid points per side
    circles: int
    region_share: tuple[float, float]  # range of the loop's region size as a share of the cells


LEVELS = {
    1: Level(3, 3, (0.5, 0.75)),
    2: Level(4, 4, (0.4, 0.7)),
    3: Level(5, 4, (0.4, 0.65)),
    4: Level(6, 6, (0.4, 0.6)),
    5: Level(7, 10, (0.4, 0.6)),
}
NODE_BUDGET = 3_000    # path-search steps per count
PLACEMENTS = 2         # circle placements tried per loop before settling for an ambiguous one
MAX_NOTES = 200        # recorded search steps (the skeleton keeps head and tail)
Point = tuple[int, int]


class Circle(BaseModel):
    row: int
    col: int
    color: str   # "white" (straight through) or "black" (turn)
    value: int


class State(BaseModel):
    n: int
    circles: list[Circle]


class Shingoki(Task[State]):
    name = "shingoki"
    category = "puzzles"
    official_name = "shingoki"
    score_function = "shingoki_evaluator"
    levels = LEVELS
    rules = ("Draw a single closed loop along the grid lines, joining orthogonally adjacent grid "
             "points and never visiting a point twice. The loop passes through every circle: "
             "straight through a white circle, turning 90 degrees at a black circle. The number in "
             "a circle is the sum of the lengths of the two straight segments that leave it (up to "
             "the next turn in each direction). Points without circles may be used or not.")
    answer_format = ("the loop's segments between adjacent points (row,col), 0-based, separated by "
                     "spaces, e.g. (0,0)-(0,1) (0,1)-(1,1) (1,1)-(1,0) (1,0)-(0,0)")

    def generate(self, rng: random.Random, level: int) -> State:
        n, count, (low, high) = self.params(level)
        loop = _grow_loop(rng, n, low, high)
        info = _circle_info(loop)
        fallback = None
        for _ in range(PLACEMENTS):
            chosen = _pick_circles(rng, info, count)
            state = State(n=n, circles=[Circle(row=r, col=c, color=info[(r, c)][0], value=info[(r, c)][1])
                                        for r, c in sorted(chosen)])
            search = _Search(state, record=False)
            search.run()
            if search.count == 1 and not search.exhausted:
                return state
            if search.count >= 1 and fallback is None:
                fallback = state
        if fallback is None:
            raise Rejected("no placement with a black circle and a loop found in budget")
        return fallback

    def solve(self, state: State) -> Solution:
        search = _Search(state, record=True)
        search.run()
        if search.first is None:
            raise Rejected("unsolved within the search budget")
        loop = search.first
        edges = [f"({a[0]},{a[1]})-({b[0]},{b[1]})" for a, b in zip(loop, loop[1:] + loop[:1])]
        steps = search.steps
        steps.append(Step(kind="check", text="The loop closes, visits every circle, goes straight "
                          "through white and turns at black circles, and every circle's two "
                          "segments add up to its number.", anchor=_picture(state.n, loop)))
        steps.append(Step(kind="conclude", text=f"The loop has {len(edges)} segments."))
        counted = None if search.exhausted and search.count < 2 else search.count
        return Solution(answer=" ".join(edges), steps=steps, num_solutions=counted,
                        effort=search.nodes)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Shingoki. " + self.rules
        if variant == "image":
            body = (f"The picture shows the {state.n}x{state.n} grid points with the circles and "
                    "their numbers; rows and columns are numbered from 0.")
        else:
            listed = "\n".join(f"{c.color} circle at ({c.row},{c.col}) with number {c.value}"
                               for c in state.circles)
            body = (f"The grid has {state.n}x{state.n} points (row,col), numbered from 0.\n{listed}")
        return f"{intro}\n\n{body}\n\nDraw the loop. Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell = state.n, 64
        image, draw, x0, y0 = board(n, n, cell)
        at = lambda r, c: (x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell)  # noqa: E731
        for k in range(n):
            draw.line([at(k, 0), at(k, n - 1)], fill=LIGHT, width=2)
            draw.line([at(0, k), at(n - 1, k)], fill=LIGHT, width=2)
        for r in range(n):
            for c in range(n):
                x, y = at(r, c)
                draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=(90, 90, 90))
        radius = cell * 0.3
        for circle in state.circles:
            x, y = at(circle.row, circle.col)
            black = circle.color == "black"
            draw.ellipse([x - radius, y - radius, x + radius, y + radius],
                         fill=BLACK if black else WHITE, outline=BLACK, width=2)
            text_center(draw, (x, y), str(circle.value), 18, fill=WHITE if black else BLACK)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        grid = [["."] * state.n for _ in range(state.n)]
        for c in state.circles:
            grid[c.row][c.col] = f"{'W' if c.color == 'white' else 'B'}{c.value}"
        return {"rows": state.n, "cols": state.n, "grid": grid}


def _pick_circles(rng: random.Random, info: dict[Point, tuple[str, int]], count: int) -> list[Point]:
    """Mostly corners (black circles pin the loop far better than white ones), at least one."""
    blacks = sorted(p for p, (color, _) in info.items() if color == "black")
    whites = sorted(p for p, (color, _) in info.items() if color == "white")
    k = min(len(blacks), max(1, round(count * 0.7)), count)
    chosen = rng.sample(blacks, k)
    chosen += rng.sample(whites, min(len(whites), count - k))
    if len(chosen) < count:
        chosen += rng.sample(sorted(set(blacks) - set(chosen)), min(count - len(chosen), len(blacks) - k))
    return chosen


def _grow_loop(rng: random.Random, n: int, low: float, high: float) -> list[Point]:
    """The boundary of a random hole-free region of cells whose corners never touch diagonally,
    as an ordered list of grid points."""
    cells = n - 1
    target = max(1, round(cells * cells * rng.uniform(low, high)))
    region = {(rng.randrange(cells), rng.randrange(cells))}
    for _ in range(8 * target):
        if len(region) >= target:
            break
        r, c = rng.choice(sorted(region))
        dr, dc = rng.choice(ORTHO)
        cell = (r + dr, c + dc)
        if 0 <= cell[0] < cells and 0 <= cell[1] < cells and cell not in region \
                and _keeps_simple(region | {cell}, cells):
            region.add(cell)
    return _boundary(region)


def _keeps_simple(region: set[Point], cells: int) -> bool:
    for r in range(cells + 1):
        for c in range(cells + 1):
            a, b = (r - 1, c - 1) in region, (r - 1, c) in region
            d, e = (r, c - 1) in region, (r, c) in region
            if (a and e and not b and not d) or (b and d and not a and not e):
                return False  # diagonal touch: the loop would visit this point twice
    # no holes: every outside cell reaches the border through outside cells
    outside = {(r, c) for r in range(cells) for c in range(cells)} - region
    stack = [p for p in outside if p[0] in (0, cells - 1) or p[1] in (0, cells - 1)]
    seen = set(stack)
    while stack:
        r, c = stack.pop()
        for dr, dc in ORTHO:
            q = (r + dr, c + dc)
            if q in outside and q not in seen:
                seen.add(q)
                stack.append(q)
    return len(seen) == len(outside)


def _boundary(region: set[Point]) -> list[Point]:
    links: dict[Point, list[Point]] = {}
    for r, c in region:
        for (dr, dc), (a, b) in (((-1, 0), ((r, c), (r, c + 1))), ((1, 0), ((r + 1, c), (r + 1, c + 1))),
                                 ((0, -1), ((r, c), (r + 1, c))), ((0, 1), ((r, c + 1), (r + 1, c + 1)))):
            if (r + dr, c + dc) not in region:
                links.setdefault(a, []).append(b)
                links.setdefault(b, []).append(a)
    start = min(links)
    loop, prev = [start], None
    cur = start
    while True:
        nxt = min(q for q in links[cur] if q != prev) if prev is None else \
            next(q for q in links[cur] if q != prev)
        if nxt == start:
            return loop
        loop.append(nxt)
        prev, cur = cur, nxt


def _circle_info(loop: list[Point]) -> dict[Point, tuple[str, int]]:
    """Colour and number a circle would get at each loop point."""
    m = len(loop)
    turn = [_turns(loop[i - 1], loop[i], loop[(i + 1) % m]) for i in range(m)]
    info = {}
    for i in range(m):
        legs = []
        for step in (1, -1):
            k, length = i, 0
            while True:
                k = (k + step) % m
                length += 1
                if turn[k]:
                    break
            legs.append(length)
        info[loop[i]] = ("black" if turn[i] else "white", sum(legs))
    return info


def _turns(a: Point, b: Point, c: Point) -> bool:
    return (b[0] - a[0], b[1] - a[1]) != (c[0] - b[0], c[1] - b[1])


def _picture(n: int, loop: list[Point]) -> str:
    """The loop drawn in text: points as +, used segments as - and |."""
    rows = [[" "] * (2 * n - 1) for _ in range(2 * n - 1)]
    for r in range(n):
        for c in range(n):
            rows[2 * r][2 * c] = "."
    for a, b in zip(loop, loop[1:] + loop[:1]):
        rows[2 * a[0]][2 * a[1]] = rows[2 * b[0]][2 * b[1]] = "+"
        rows[a[0] + b[0]][a[1] + b[1]] = "|" if a[1] == b[1] else "-"
    return "\n".join("".join(row).rstrip() for row in rows)


class _Search:
    """Walk the loop from a black circle, one point at a time: straight through white circles,
    turning at black ones, with each straight segment's length bounded by the circles on it.
    Each loop is counted once (it leaves the start along the smaller of its two directions)."""

    def __init__(self, state: State, record: bool):
        self.n, self.record = state.n, record
        self.circles = {(c.row, c.col): (c.color, c.value) for c in state.circles}
        self.start = min(p for p, (color, _) in self.circles.items() if color == "black")
        self.steps: list[Step] = []
        self.count = self.nodes = 0
        self.exhausted = False
        self.first: list[Point] | None = None

    def run(self) -> None:
        sr, sc = self.start
        value = self.circles[self.start][1]
        self._note("observe", f"{len(self.circles)} circles. I start at the black circle "
                   f"({sr},{sc}) (number {value}): the loop turns there, so it leaves along two "
                   "perpendicular directions.")
        for i, d1 in enumerate(ORTHO):
            for d2 in ORTHO[i + 1:]:
                if d1[0] * d2[0] + d1[1] * d2[1] != 0 or self.count >= 2 or self.exhausted:
                    continue
                self._note("try", f"Leave ({sr},{sc}) heading {_name(d1)}, come back from {_name(d2)}.")
                self.back = d2
                self.path, self.seen = [self.start], {self.start}
                self._walk(self.start, d1, 0, None, 0)

    def _note(self, kind: str, text: str, anchor: str | None = None) -> None:
        if self.record and self.first is None and len(self.steps) < MAX_NOTES:
            self.steps.append(Step(kind=kind, text=text, anchor=anchor))

    def _walk(self, v: Point, d: Point, run: int, need: int | None, first: int) -> None:
        """Step from v in direction d; `run` = length of the current straight segment so far,
        `need` = the length it must reach (set by circles), `first` = length of the first segment."""
        if self.count >= 2 or self.exhausted:
            return
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            self.exhausted = True
            return
        w = (v[0] + d[0], v[1] + d[1])
        run += 1
        if not (0 <= w[0] < self.n and 0 <= w[1] < self.n) or (need is not None and run > need):
            return
        if w == self.start:
            self._close(d, run, need, first)
            return
        if w in self.seen:
            return
        circle = self.circles.get(w)
        self.path.append(w)
        self.seen.add(w)
        if circle and circle[0] == "white":
            if (need is None or need == circle[1]) and run < circle[1]:
                self._walk(w, d, run, circle[1], first)
        elif circle:  # black: turn; this leg is complete
            rest = circle[1] - run
            if (need is None or need == run) and rest >= 1:
                self._note("check", f"Reach black circle ({w[0]},{w[1]}) after a segment of {run}; "
                           f"the next segment must be {rest} long.")
                for turn in _perpendicular(d):
                    self._walk(w, turn, 0, rest, first or run)
        elif need is not None and need != run:
            self._walk(w, d, run, need, first)  # mid-segment: it must go on straight
        elif self._reachable(w):  # a branch point: prune walks that can no longer close
            self._walk(w, d, run, need, first)
            for turn in _perpendicular(d):
                    self._walk(w, turn, 0, None, first or run)
        self.path.pop()
        self.seen.discard(w)

    def _reachable(self, w: Point) -> bool:
        """Can the walk from w still reach every unvisited circle and the point from which it
        must re-enter the start?"""
        n, seen = self.n, self.seen
        home = (self.start[0] + self.back[0], self.start[1] + self.back[1])
        if home == w:
            return len(self.path) > 2 and all(p in seen for p in self.circles)
        if home in seen:
            return False
        reached, stack = {w}, [w]
        while stack:
            r, c = stack.pop()
            for dr, dc in ORTHO:
                q = (r + dr, c + dc)
                if 0 <= q[0] < n and 0 <= q[1] < n and q not in seen and q not in reached:
                    reached.add(q)
                    stack.append(q)
        return home in reached and all(p in reached or p in seen for p in self.circles)

    def _close(self, d: Point, run: int, need: int | None, first: int) -> None:
        if d != (-self.back[0], -self.back[1]) or (need is not None and need != run):
            return
        if first == 0 or first + run != self.circles[self.start][1]:
            return
        if any(p not in self.seen for p in self.circles):
            self._note("dead_end", f"The loop closes after {len(self.path)} points but misses a circle.")
            return
        self.count += 1
        if self.first is None:
            self._note("deduce", f"The loop closes at the start after {len(self.path)} points, "
                       "through every circle.", _picture(self.n, self.path))
            self.first = list(self.path)


def _perpendicular(d: Point) -> tuple[Point, Point]:
    return ((d[1], d[0]), (-d[1], -d[0]))


def _name(d: Point) -> str:
    return {(-1, 0): "up", (1, 0): "down", (0, -1): "left", (0, 1): "right"}[d]


register(Shingoki())
