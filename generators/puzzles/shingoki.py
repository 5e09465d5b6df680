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
from generators.search import Contradiction, GuessSearch, OverBudget
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
STEP_BUDGET = 3_000    # steps tried per solution count (OverBudget past it; guesses are fewer)
PLACEMENTS = 2         # circle placements tried per loop before settling for an ambiguous one
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
    version = 2  # 2: the search runs on the shared core (generators/search.py)
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
            search = _Loop(state, record=False)
            try:
                found, exhausted = search.count(2, STEP_BUDGET), False
            except OverBudget:
                found, exhausted = len(search.solutions), True
            if found == 1 and not exhausted:
                return state
            if found >= 1 and fallback is None:
                fallback = state
        if fallback is None:
            raise Rejected("no placement with a black circle and a loop found in budget")
        return fallback

    def solve(self, state: State) -> Solution:
        search = _Loop(state, record=True)
        (sr, sc), value = search.start, search.circles[search.start][1]
        steps = [Step(kind="observe", text=f"{len(search.circles)} circles. I start at the black "
                      f"circle ({sr},{sc}) (number {value}): the loop turns there, so it leaves "
                      "along two perpendicular directions. I walk it one point at a time: "
                      "straight through white circles, turning at black ones, each segment as "
                      "long as its circles demand, and every circle still reachable.",
                      anchor=_picture(state.n, [], closed=False))]
        # one run records the way to the first loop and goes on silently to a second one
        exhausted = False
        try:
            search.solve(limit=2, budget=STEP_BUDGET)
        except OverBudget:
            exhausted = True
        if not search.solutions:
            raise Rejected("unsolved within the search budget")
        loop = list(search.solutions[0][:-1])   # the snapshot ends back at the start
        edges = [f"({a[0]},{a[1]})-({b[0]},{b[1]})" for a, b in zip(loop, loop[1:] + loop[:1])]
        steps += search.steps
        steps.append(Step(kind="check", text="The loop closes, visits every circle, goes straight "
                          "through white and turns at black circles, and every circle's two "
                          "segments add up to its number.", anchor=_picture(state.n, loop)))
        steps.append(Step(kind="conclude", text=f"The loop has {len(edges)} segments."))
        counted = None if exhausted and search.found < 2 else search.found
        return Solution(answer=" ".join(edges), steps=steps, num_solutions=counted,
                        effort=search.tries)

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


def _picture(n: int, loop: list[Point], closed: bool = True) -> str:
    """The loop (or, not closed, the path so far) drawn in text: points as +, used segments as
    - and |."""
    rows = [[" "] * (2 * n - 1) for _ in range(2 * n - 1)]
    for r in range(n):
        for c in range(n):
            rows[2 * r][2 * c] = "."
    for a, b in zip(loop, loop[1:] + loop[:1] if closed else loop[1:]):
        rows[2 * a[0]][2 * a[1]] = rows[2 * b[0]][2 * b[1]] = "+"
        rows[a[0] + b[0]][a[1] + b[1]] = "|" if a[1] == b[1] else "-"
    return "\n".join("".join(row).rstrip() for row in rows)


Walk = tuple[Point, Point, int, int | None, int]   # (point, direction, run, need, first)


class _Loop(GuessSearch):
    """Walk the loop from a black circle, one point at a time: straight through white circles,
    turning at black ones, each straight segment as long as the circles on it demand. The first
    guess is the pair of directions the loop leaves and re-enters the start by (each loop is
    counted once: it leaves along the earlier of its two directions); after that a step is forced
    when only one way on fits (mid-segment, at a circle, or a dead end elsewhere) and guessed
    (straight, then the turns) at a free point, where a flood fill must still reach every
    unvisited circle and the point the loop re-enters the start from.

    The walk state after each point is kept in `walks` (point, direction, run = the current
    segment's length so far, need = the length its circles demand, first = the first segment's
    length); a closed loop ends with the start again. A snapshot is the path as a tuple;
    restoring takes the later points back."""

    def __init__(self, state: State, record: bool = True):
        super().__init__(record)
        self.n = state.n
        self.circles = {(c.row, c.col): (c.color, c.value) for c in state.circles}
        self.start = min(p for p, (color, _) in self.circles.items() if color == "black")
        self.back: Point = (0, 0)   # the start is re-entered from start + back
        self.walks: list[Walk] = [(self.start, (0, 0), 0, None, 0)]
        self.path: list[Point] = [self.start]
        self.seen: set[Point] = {self.start}
        self.pending: tuple[int, list] | None = None   # (length, ways on) for choose
        # steps tried (each way on examined, rejected ones too): the budget and the effort,
        # as the walk's steps were before the move to the core; the core's guess budget is
        # only a backstop (a guess is one of these steps)
        self.tries = 0
        n = self.n
        self.adj = {(r, c): tuple((r + dr, c + dc) for dr, dc in ORTHO
                                  if 0 <= r + dr < n and 0 <= c + dc < n)
                    for r in range(n) for c in range(n)}

    # -- the walk ------------------------------------------------------------------------------
    def _closed(self) -> bool:
        return len(self.path) > 1 and self.path[-1] == self.start

    def _arrive(self, e: Point, turn: bool) -> tuple[Walk | None, str]:
        """The walk state after stepping in direction e from the head (turning or not), or None
        and why the step breaks a rule."""
        v, d, run, need, first = self.walks[-1]
        if turn:   # the segment ends at the head: a black circle fixed the next one's length
            circle = self.circles.get(v)
            need = circle[1] - run if circle else None
            first, run = first or run, 0
        w = (v[0] + e[0], v[1] + e[1])
        run += 1
        if not (0 <= w[0] < self.n and 0 <= w[1] < self.n):
            return None, "off the grid"
        if need is not None and run > need:
            return None, f"the segment would outgrow its length {need}"
        if w == self.start:
            if e != (-self.back[0], -self.back[1]):
                return None, "the start is re-entered only from the chosen side"
            if need is not None and need != run:
                return None, f"the last segment would be {run} long, not {need}"
            if first + run != self.circles[self.start][1]:
                return None, (f"the start's segments would add up to {first + run}, not "
                              f"{self.circles[self.start][1]}")
            if any(p not in self.seen for p in self.circles):
                return None, f"the loop would close after {len(self.path)} points but miss a circle"
            return (w, e, run, need, first), ""
        if w in self.seen:
            return None, f"({w[0]},{w[1]}) is already on the loop"
        circle = self.circles.get(w)
        if circle and circle[0] == "white":
            if need is not None and need != circle[1] or run >= circle[1]:
                return None, (f"the white circle ({w[0]},{w[1]}) needs a straight segment of "
                              f"{circle[1]}")
            need = circle[1]
        elif circle:   # black: the segment ends here
            if need is not None and need != run or circle[1] - run < 1:
                return None, (f"the black circle ({w[0]},{w[1]}) ({circle[1]}) cannot end a "
                              f"segment of {run}")
        return (w, e, run, need, first), ""

    def _ways(self) -> tuple[list, str]:
        """The ways on from the head, (direction, turn) in order straight, then the turns, and
        why none fits (worded only then)."""
        v, d, run, need, _ = self.walks[-1]
        circle = self.circles.get(v)
        if circle and circle[0] == "white":
            moves = [(d, False)]
        elif circle:
            moves = [(t, True) for t in _perpendicular(d)]
        elif need is not None and need != run:
            moves = [(d, False)]   # mid-segment: it must go on straight
        else:
            if not self._reachable(v):
                raise Contradiction(f"from ({v[0]},{v[1]}) the loop can no longer reach every "
                                    "circle and come back to the start")
            moves = [(d, False)] + [(t, True) for t in _perpendicular(d)]
        self.tries += len(moves)
        if self.tries > STEP_BUDGET:
            raise OverBudget
        ways, why = [], []
        for e, turn in moves:
            walk, reason = self._arrive(e, turn)
            if walk is None:
                why.append(f"{_name(e)}: {reason}")
            else:
                ways.append((e, turn))
        if ways:
            return ways, ""
        return ways, f"no way on from ({v[0]},{v[1]}) ({'; '.join(why)})"

    def _step(self, e: Point, turn: bool) -> Walk:
        walk, why = self._arrive(e, turn)
        if walk is None:
            raise Contradiction(why)
        self.walks.append(walk)
        self.path.append(walk[0])
        self.seen.add(walk[0])
        self.pending = None
        return walk

    # -- the core's interface ----------------------------------------------------------------
    def deduce_title(self) -> str:
        return "Forced"

    def _pairs(self) -> list[tuple[Point, Point]]:
        """The perpendicular pairs (leave by, re-enter from) at the start that stay on the grid."""
        (r, c), n = self.start, self.n
        on = [d for d in ORTHO if 0 <= r + d[0] < n and 0 <= c + d[1] < n]
        return [(d1, d2) for i, d1 in enumerate(on) for d2 in on[i + 1:]
                if d1[0] * d2[0] + d1[1] * d2[1] == 0]

    def deductions(self):
        if len(self.path) == 1:
            pairs = self._pairs()
            if not pairs:
                raise Contradiction("the start has no two perpendicular ways onto the grid")
            if len(pairs) > 1:
                return
            self.placements += 1
            self.assign("start", pairs[0])
            yield (f"the start leaves heading {_name(pairs[0][0])} and is re-entered from "
                   f"{_name(pairs[0][1])} (the only pair of ways that stays on the grid)"
                   if self.trace.room else "")
        while len(self.path) > 1 and not self._closed():
            ways, why = self._ways()
            if not ways:
                raise Contradiction(why)
            if len(ways) > 1:
                self.pending = (len(self.path), ways)
                return
            w, e, run, need, _ = self._step(*ways[0])
            self.placements += 1
            if not self.trace.room:
                yield ""
            elif w == self.start:
                yield f"{_name(e)} back to the start: the loop closes through every circle"
            else:
                circle = self.circles.get(w)
                tail = ""
                if circle and circle[0] == "black":
                    tail = (f" (black circle after a segment of {run}: the next one is "
                            f"{circle[1] - run} long)")
                elif circle:
                    tail = f" (white circle: straight on, a segment of {circle[1]})"
                yield f"{_name(e)} to ({w[0]},{w[1]}){tail}"

    def choose(self) -> tuple[str, list, str] | None:
        if self._closed():
            return None
        if len(self.path) == 1:   # the start: the pair of directions it leaves and re-enters by
            return "start", self._pairs(), "the start's directions"
        if self.pending is None or self.pending[0] != len(self.path):
            self.pending = (len(self.path), self._ways()[0])
        v = self.path[-1]
        return "on", self.pending[1], f"the way on from ({v[0]},{v[1]})"

    def guess_text(self, where: str, options: list) -> str:
        if len(self.path) == 1:
            return (f"The loop leaves the black start along one of {len(options)} pairs of "
                    "perpendicular directions; I try them in turn.")
        v = self.path[-1]
        return (f"Nothing more is forced at ({v[0]},{v[1]}): the loop may go "
                + ", ".join(self.show_value(o) for o in options) + "; I must guess.")

    def show_value(self, value) -> str:
        if len(self.path) == 1 or isinstance(value[1], tuple):
            return f"leave heading {_name(value[0])}, come back from {_name(value[1])}"
        return f"{_name(value[0])} ({'turn' if value[1] else 'straight'})"

    def assign(self, key: str, value) -> None:
        if key == "start":
            d1, self.back = value
            self._step(d1, False)
        else:
            self._step(*value)

    def snapshot(self) -> tuple[Point, ...]:
        return tuple(self.path)

    def restore(self, snap: tuple[Point, ...]) -> None:
        while len(self.path) > len(snap):
            self.walks.pop()
            self.seen.discard(self.path.pop())
        self.seen.add(self.start)
        self.pending = None

    def anchor(self) -> str:
        return _picture(self.n, self.path, closed=False)

    # -- pruning -------------------------------------------------------------------------------
    def _reachable(self, w: Point) -> bool:
        """Can the walk from w still reach every unvisited circle and the point from which it
        must re-enter the start?"""
        seen, adj = self.seen, self.adj
        home = (self.start[0] + self.back[0], self.start[1] + self.back[1])
        if home == w:
            return len(self.path) > 2 and all(p in seen for p in self.circles)
        if home in seen:
            return False
        targets = {p for p in self.circles if p not in seen}
        targets.add(home)
        left = len(targets)
        reached, stack = {w}, [w]
        while stack:   # flood fill over free points, done once every target is reached
            for q in adj[stack.pop()]:
                if q not in seen and q not in reached:
                    if q in targets:
                        left -= 1
                        if not left:
                            return True
                    reached.add(q)
                    stack.append(q)
        return False


def _perpendicular(d: Point) -> tuple[Point, Point]:
    return ((d[1], d[0]), (-d[1], -d[0]))


def _name(d: Point) -> str:
    return {(-1, 0): "up", (1, 0): "down", (0, -1): "left", (0, 1): "right"}[d]


register(Shingoki())
