"""Futoshiki (puzzles; official label `futoshiki`).

Fill an n x n grid with 1..n, once per row and column, keeping the given numbers and every
inequality sign between neighbouring cells. Generation draws a random Latin square, reveals a share
of its cells and of its neighbour relations, and keeps the draw only if the solution is unique.
The solver bounds cells by the inequalities, places naked and hidden singles, and guesses when
that stalls.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from PIL import Image, ImageDraw
from pydantic import BaseModel, PrivateAttr

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._digit_grid import LatinSearch, full_mask, grid_anchor, list_rows, random_latin
from generators.search import MaskCounter, OverBudget
from generators.registry import register
from generators.render import BLACK, BLUE, RED, font, to_png


class Level(NamedTuple):
    side: int
    given_share: float  # share of cells given
    inequality_share: tuple[float, float]  # range of the share of neighbouring pairs with a sign


LEVELS = {
    1: Level(3, 0.50, (0.2, 0.4)),
    2: Level(4, 0.40, (0.2, 0.4)),
    3: Level(5, 0.35, (0.2, 0.4)),
    4: Level(6, 0.25, (0.2, 0.4)),
    5: Level(7, 0.20, (0.2, 0.4)),
}
COUNT_BUDGET = 3000


class State(BaseModel):
    n: int
    grid: list[list[int]]             # givens, 0 = empty
    inequalities: list[list[int]]     # [r1, c1, r2, c2]: cell (r1,c1) < cell (r2,c2), neighbours
    # the generator's capped solution count (its uniqueness proof): `solve` need not redo it
    _count: int | None = PrivateAttr(default=None)


class _Futoshiki(LatinSearch):
    def __init__(self, state: State, record: bool = True):
        super().__init__(state.n, state.grid, record)
        self.less = [(r1 * self.n + c1, r2 * self.n + c2) for r1, c1, r2, c2 in state.inequalities]

    def deduce_title(self) -> str:
        return "Forced"

    def extra_deductions(self):
        for a, b in self.less:
            # a < b: a is below b's largest option, b above a's smallest
            high = self.cand[b].bit_length() - 1
            low = (self.cand[a] & -self.cand[a]).bit_length() - 1
            why = f"{self.name(a)} < {self.name(b)}"
            for note in (self.narrow(a, (1 << high) - 1, why), self.narrow(b, ~((1 << (low + 1)) - 1), why)):
                if note is not None:
                    yield note


@lru_cache(maxsize=None)
def _geometry(n: int) -> tuple[list[tuple[int, ...]], list[tuple[int, ...]], list[tuple[int, int]]]:
    """Rows then columns as cell tuples, each cell's row and column mates, each cell's two lines."""
    lines = [tuple(r * n + c for c in range(n)) for r in range(n)] + \
            [tuple(r * n + c for r in range(n)) for c in range(n)]
    peers = [tuple(j for j in lines[i // n] + lines[n + i % n] if j != i) for i in range(n * n)]
    return lines, peers, [(i // n, n + i % n) for i in range(n * n)]


class _Counter(MaskCounter):
    """The uniqueness proof on bare bit masks: the same rules as `_Futoshiki` (inequality bounds,
    naked and hidden singles) run to the same fixed point, and the same guesses (fewest options,
    lowest cell first), so the search tree, its node count and the order of the solutions found
    are the recording solver's; only the notes and the generator plumbing are gone. The
    generator proves several draws per instance, so this loop is most of the task's time."""

    def __init__(self, state: State):
        n = self.n = state.n
        self.full = full_mask(n)
        self.lines, self.peers, self.line_of = _geometry(n)
        self.bounds: list[list[tuple[int, int]]] = [[] for _ in range(n * n)]  # (a, b): a < b
        for r1, c1, r2, c2 in state.inequalities:
            pair = (r1 * n + c1, r2 * n + c2)
            self.bounds[pair[0]].append(pair)
            self.bounds[pair[1]].append(pair)
        self.givens = [(r * n + c, 1 << v) for r, row in enumerate(state.grid) for c, v in enumerate(row) if v]
        self.nodes = 0
        self.solutions: list[list[int]] = []  # each solution's digits, row-major

    def settle(self, cand: list[int], struck: list[bool], changed: list[int]) -> bool:
        """Narrow `cand` to the fixed point of the rules, working from the cells in `changed`;
        False on a contradiction. `struck[i]`: cell i's single number is gone from its row and
        column. Only the neighbourhood of a change is looked at again."""
        peers, bounds, lines, line_of, full = self.peers, self.bounds, self.lines, self.line_of, self.full
        stack = changed
        while True:
            dirty = set()
            while stack:
                i = stack.pop()
                m = cand[i]
                if not struck[i] and not m & (m - 1):
                    struck[i] = True
                    for j in peers[i]:
                        if cand[j] & m:
                            cand[j] ^= m
                            if not cand[j]:
                                return False
                            stack.append(j)
                for a, b in bounds[i]:  # a < b
                    ca, cb = cand[a], cand[b]
                    na = ca & ((1 << (cb.bit_length() - 1)) - 1)
                    if not na:
                        return False
                    nb = cb & -((na & -na) << 1)
                    if not nb:
                        return False
                    if na != ca:
                        cand[a] = na
                        stack.append(a)
                    if nb != cb:
                        cand[b] = nb
                        stack.append(b)
                dirty.update(line_of[i])
            for k in dirty:
                line = lines[k]
                once = twice = 0
                for i in line:
                    m = cand[i]
                    twice |= once & m
                    once |= m
                if once != full:
                    return False  # a number has no place in the line
                alone = once & ~twice
                if alone:
                    for i in line:
                        m = cand[i] & alone
                        if m:
                            if m & (m - 1):
                                return False  # one cell is the only place for two numbers
                            if m != cand[i]:
                                cand[i] = m
                                stack.append(i)
            if not stack:
                return True

    def count(self, limit: int, budget: int) -> int:
        """Solutions up to `limit`; raises OverBudget past `budget` guesses."""
        cand = [self.full] * (self.n * self.n)
        for i, bit in self.givens:
            cand[i] = bit
        self.solutions = []
        self.descend(cand, [False] * len(cand), list(range(len(cand))), limit, budget)
        return len(self.solutions)

    def fork(self, struck: list[bool]) -> list[bool]:
        return list(struck)


class Futoshiki(Task[State]):
    name = "futoshiki"
    category = "puzzles"
    official_name = "futoshiki"
    score_function = "futoshiki_evaluator"
    version = 2  # palette picture drawn from cached labels (the puzzles themselves are unchanged)
    levels = LEVELS
    rules = ("Fill the n x n grid with the numbers 1 to n so that each number appears exactly once "
             "in every row and every column. Given numbers stay. An inequality sign between two "
             "neighbouring cells must hold (the smaller number is on the side the sign points to).")
    answer_format = "the completed grid as a list of rows, e.g. [[4, 2, 1, 3], [1, 3, 4, 2], ...]"

    def generate(self, rng: random.Random, level: int) -> State:
        n, share, (low, high) = self.params(level)
        square = random_latin(rng, n)
        cells = [(r, c) for r in range(n) for c in range(n)]
        shown = set(rng.sample(cells, round(share * n * n)))
        grid = [[square[r][c] if (r, c) in shown else 0 for c in range(n)] for r in range(n)]
        pairs = [(r, c, r, c + 1) for r in range(n) for c in range(n - 1)] + \
                [(r, c, r + 1, c) for r in range(n - 1) for c in range(n)]
        # start in the lower half of the density range; while a second solution exists, reveal
        # one more true relation that the rival solution breaks (up to the top of the range)
        chosen = set(rng.sample(pairs, max(1, round(rng.uniform(low, (low + high) / 2) * len(pairs)))))
        while True:
            ineq = [[r1, c1, r2, c2] if square[r1][c1] < square[r2][c2] else [r2, c2, r1, c1]
                    for r1, c1, r2, c2 in sorted(chosen)]
            state = State(n=n, grid=grid, inequalities=ineq)
            solver = _Counter(state)
            try:
                if solver.count(2, COUNT_BUDGET) == 1:
                    state._count = 1
                    return state
            except OverBudget:
                raise Rejected("uniqueness not proved within budget") from None
            rival = next(v for v in solver.solutions if v != [x for row in square for x in row])
            splits = [p for p in pairs if p not in chosen and
                      (square[p[0]][p[1]] < square[p[2]][p[3]])
                      != (rival[p[0] * n + p[1]] < rival[p[2] * n + p[3]])]
            if not splits or len(chosen) + 1 > high * len(pairs):
                raise Rejected("not unique within the inequality density")
            chosen.add(rng.choice(splits))

    def solve(self, state: State) -> Solution:
        solver = _Futoshiki(state)
        solver.steps.append(Step(
            kind="observe", text=f"A {state.n}x{state.n} grid with {sum(1 for row in state.grid for v in row if v)} "
            f"givens and {len(state.inequalities)} inequalities (rows and columns from 0). A cell "
            "smaller than a neighbour is below that neighbour's largest option, and vice versa.",
            anchor=grid_anchor(state.grid)))
        if not solver.solve():
            raise Rejected("no solution")
        count = state._count
        if count is None:
            try:
                count = _Counter(state).count(2, COUNT_BUDGET)
            except OverBudget:
                count = None
        answer = list_rows(solver.grid())
        solver.steps.append(Step(kind="check", text="Every row and column holds 1.."
                                 f"{state.n} once, the givens are kept and all inequalities hold.",
                                 anchor=solver.anchor()))
        solver.steps.append(Step(kind="conclude", text=f"The grid is {answer}."))
        return Solution(answer=answer, steps=solver.steps, num_solutions=count,
                        effort=solver.nodes + solver.placements)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Futoshiki. " + self.rules
        if variant == "image":
            body = ("The picture shows the grid with the given numbers; the signs <, >, ∧ and ∨ "
                    "between cells are the inequalities (∧: the upper cell is smaller, ∨: the upper "
                    "cell is larger).")
        else:
            body = (f"The {state.n}x{state.n} grid row by row (0 = empty):\n"
                    + "\n".join(" ".join(map(str, row)) for row in state.grid)
                    + "\nInequalities (rows and columns from 0):\n"
                    + "\n".join(f"({r1},{c1}) < ({r2},{c2})" for r1, c1, r2, c2 in state.inequalities))
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        # drawn straight into a palette picture from cached labels: quantising an RGB picture
        # was most of the time of a small instance
        n, cell, gap = state.n, 46, 22
        step = cell + gap
        side = 28 + n * step - gap
        image = Image.new("P", (side, side), 0)
        image.putpalette(PALETTE)
        draw = ImageDraw.Draw(image)
        x0 = y0 = 14
        for r in range(n):
            for c in range(n):
                x, y = x0 + c * step, y0 + r * step
                draw.rectangle([x, y, x + cell, y + cell], outline=1, width=2)
                if state.grid[r][c]:
                    _label(image, x + cell // 2, y + cell // 2, str(state.grid[r][c]), 24, BLUE_RAMP)
        for r1, c1, r2, c2 in state.inequalities:
            if r1 == r2:  # horizontal neighbours: the sign opens towards the larger cell
                sign = "<" if c1 < c2 else ">"
                at = (x0 + min(c1, c2) * step + cell + gap // 2, y0 + r1 * step + cell // 2)
            else:
                sign = "∧" if r1 < r2 else "∨"
                at = (x0 + c1 * step + cell // 2, y0 + min(r1, r2) * step + cell + gap // 2)
            _label(image, *at, sign, 20, RED_RAMP)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"n": state.n, "grid": [list(row) for row in state.grid],
                "inequalities": [list(q) for q in state.inequalities]}


# the palette: white, black, then 15 shades from white to blue (givens) and to red (signs), the
# anti-aliased edges of a label at its coverage
SHADES = 15
BLUE_RAMP, RED_RAMP = 2, 2 + SHADES
PALETTE = [255, 255, 255, *BLACK] + [
    round(255 + (v - 255) * k / SHADES) for colour in (BLUE, RED) for k in range(1, SHADES + 1) for v in colour]


@lru_cache(maxsize=64)
def _stamp(text: str, size: int, ramp: int) -> tuple[Image.Image, Image.Image, int, int]:
    """A label centred on (0, 0) as palette indices of its colour's ramp, the mask of its inked
    pixels, and the offset of its top-left corner."""
    face = font(size)
    left, top, right, bottom = face.getbbox(text, anchor="mm")
    cover = Image.new("L", (right - left, bottom - top), 0)
    ImageDraw.Draw(cover).text((-left, -top), text, font=face, fill=255, anchor="mm")
    level = [(v * SHADES + 127) // 255 for v in range(256)]
    index = cover.point([ramp + k - 1 if k else 0 for k in level])
    stamp = Image.frombytes("P", cover.size, index.tobytes())
    return stamp, cover.point([255 if k else 0 for k in level], "1"), left, top


def _label(image: Image.Image, x: int, y: int, text: str, size: int, ramp: int) -> None:
    stamp, mask, left, top = _stamp(text, size, ramp)
    image.paste(stamp, (x + left, y + top), mask)


register(Futoshiki())
