"""Tapa (puzzles; official label `tapa`).

Shade cells black so that each clue k has exactly k black cells among the eight cells around it,
all in one group that touches by sides or corners (the official rule: one number per clue, the
black neighbours grouped by 8-connectivity), the black cells form one orthogonally connected wall,
no 2x2 block is all black and clue cells stay white. The generator grows a random connected wall
without 2x2 blocks, reveals the clues of a share of the white cells whose black neighbours form a
single group (the only cells an official clue can sit on), and adds the clue that kills a rival
shading until a propagating search proves the shading unique.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._place import ORTHO, board, grid_text, pairs_text
from generators.search import count, solve_traced
from generators.registry import register
from generators.render import BLACK, text_center, to_png


class Level(NamedTuple):
    side: int
    black_share: float  # share of the cells that are black
    clue_share: float  # share of the white cells shown as clues


LEVELS = {
    1: Level(3, 0.45, 0.5),
    2: Level(4, 0.5, 0.45),
    3: Level(5, 0.5, 0.4),
    4: Level(6, 0.52, 0.35),
    5: Level(7, 0.55, 0.3),
}
NODE_BUDGET = 40_000  # placements and guesses per search; a draw that needs more is rejected
CLUE_ROUNDS = 30
# the ring of eight neighbours, clockwise from the top-left
RING = ((-1, -1), (-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1))
# ring positions that touch each other by a side or a corner (a clue's black cells group this way)
TOUCH = tuple(tuple(m for m, (r2, c2) in enumerate(RING) if max(abs(r - r2), abs(c - c2)) == 1)
              for r, c in RING)
WHITE, BLACK_CELL = 0, 1  # cell values; None = undecided


class State(BaseModel):
    n: int
    clues: dict[str, int]  # "row,col" -> number of black neighbours, all in one group


class Tapa(Task[State]):
    name = "tapa"
    category = "puzzles"
    official_name = "tapa"
    score_function = "tapa_evaluator"
    # 2: one number per clue, black neighbours grouped by sides and corners (official rule)
    version = 3  # 3: the search runs on the shared core (generators/search.py)
    levels = LEVELS
    rules = ("Shade some cells black. A clue cell stays white; its number k says that exactly k of "
             "the (up to) eight cells around it, by side or corner, are black and that these k "
             "black cells form a single group, each touching another by a side or a corner "
             "(0 = none of them is black). All black cells form one area connected through shared "
             "sides, and no 2x2 block is entirely black.")
    answer_format = "the black cells as (row,col) pairs, 0-based, e.g. (0,1), (0,2), (1,2)"

    def generate(self, rng: random.Random, level: int) -> State:
        n, black_share, clue_share = self.params(level)
        black = _grow_wall(rng, n, round(n * n * black_share))
        whites = [i for i in range(n * n) if i not in black]
        clues = {i: _clue_of(black, n, i) for i in whites}
        # an official clue sits where the black neighbours form one group (never a 0 clue)
        eligible = [i for i in whites if clues[i]]
        if not eligible:
            raise Rejected("no white cell can carry a clue")
        wanted = max(1, round(len(whites) * clue_share))
        shown = set(rng.sample(eligible, min(wanted, len(eligible))))
        for _ in range(CLUE_ROUNDS):
            model = _Model(n, {i: clues[i] for i in sorted(shown)})
            found, solutions = count(model, model.start(), budget=NODE_BUDGET)
            if found == 1:
                return State(n=n, clues={f"{i // n},{i % n}": clues[i] for i in sorted(shown)})
            rival = next(b for b in ([i for i, v in enumerate(s) if v == BLACK_CELL] for s in solutions)
                         if set(b) != black)
            shown.add(_splitting_clue(rng, n, black, rival, eligible, shown))
        raise Rejected("no unique clue set")

    def solve(self, state: State) -> Solution:
        n = state.n
        clues = {int(k.split(",")[0]) * n + int(k.split(",")[1]): v for k, v in state.clues.items()}
        model = _Model(n, clues)
        intro = (f"The {n}x{n} grid has {len(clues)} clue cells, which are white; cells are "
                 "(row,col) from 0. # = black, . = white, ? = undecided, clue cells show their "
                 "numbers.")
        sol, found, nodes, steps = solve_traced(model, model.start(), intro, budget=NODE_BUDGET)
        black = [i for i, v in enumerate(sol) if v == BLACK_CELL]
        answer = pairs_text((i // n, i % n) for i in black)
        steps.append(Step(kind="conclude", text=f"{len(black)} black cells, as (row,col).",
                          anchor=answer))
        return Solution(answer=answer, steps=steps, num_solutions=found, effort=nodes)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Tapa. " + self.rules
        if variant == "image":
            body = (f"The picture shows the {state.n}x{state.n} grid with its clue numbers; rows "
                    "and columns are numbered from 0 (row first).")
        else:
            listed = "\n".join(f"({k}): {v}" for k, v in _sorted_clues(state))
            body = (f"The grid is {state.n}x{state.n}, rows and columns numbered from 0. "
                    f"Clue cells (row,col): number\n{listed}\nAll other cells are free.")
        return f"{intro}\n\n{body}\n\nWhich cells are black? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell = state.n, 52
        image, draw, x0, y0 = board(n, n, cell)
        for r in range(n):
            for c in range(n):
                draw.rectangle((x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell, y0 + (r + 1) * cell),
                               outline=BLACK, width=1)
        for key, value in state.clues.items():
            r, c = map(int, key.split(","))
            text_center(draw, (x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell), str(value), 24)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"rows": state.n, "cols": state.n, "clues": dict(_sorted_clues(state))}


def _sorted_clues(state: State) -> list[tuple[str, int]]:
    return sorted(state.clues.items(), key=lambda kv: tuple(map(int, kv[0].split(","))))


def _grow_wall(rng: random.Random, n: int, target: int) -> set[int]:
    """A random orthogonally connected black area without 2x2 blocks."""
    black = {rng.randrange(n * n)}
    while len(black) < target:
        frontier = sorted({(i // n + dr) * n + i % n + dc for i in black for dr, dc in ORTHO
                           if 0 <= i // n + dr < n and 0 <= i % n + dc < n} - black)
        rng.shuffle(frontier)
        grown = next((j for j in frontier if not _makes_block(black, n, j)), None)
        if grown is None:
            break
        black.add(grown)
    if len(black) < max(2, target - n):
        raise Rejected("the wall stopped growing")
    return black


def _makes_block(black: set[int], n: int, j: int) -> bool:
    r, c = divmod(j, n)
    for dr in (-1, 0):
        for dc in (-1, 0):
            cells = [(r + dr + a) * n + c + dc + b for a in (0, 1) for b in (0, 1)]
            if (0 <= r + dr and r + dr + 1 < n and 0 <= c + dc and c + dc + 1 < n
                    and all(k == j or k in black for k in cells)):
                return True
    return False


def _ring(n: int, i: int) -> list[int | None]:
    r, c = divmod(i, n)
    return [(r + dr) * n + c + dc if 0 <= r + dr < n and 0 <= c + dc < n else None for dr, dc in RING]


def _clue_value(mask: int) -> int | None:
    """The clue an 8-bit ring mask (bit k = ring position k black) shows: its number of black
    cells when they form one group touching by sides or corners, 0 for none, None for several
    groups (no single number describes them)."""
    if not mask:
        return 0
    first = (mask & -mask).bit_length() - 1
    seen, stack = 1 << first, [first]
    while stack:
        k = stack.pop()
        for other in TOUCH[k]:
            if mask >> other & 1 and not seen >> other & 1:
                seen |= 1 << other
                stack.append(other)
    return bin(mask).count("1") if seen == mask else None


def _clue_of(black: set[int], n: int, i: int) -> int | None:
    return _clue_value(sum(1 << k for k, j in enumerate(_ring(n, i)) if j is not None and j in black))


@lru_cache(maxsize=4096)
def _patterns(clue: int, open_mask: int) -> tuple[int, ...]:
    """8-bit ring masks (bit k = ring position k black) within `open_mask` that show `clue`."""
    return tuple(m for m in range(256) if m & ~open_mask == 0 and _clue_value(m) == clue)


def _splitting_clue(rng: random.Random, n: int, black: set[int], rival: list[int],
                    eligible: list[int], shown: set[int]) -> int:
    """A clue-bearing white cell whose clue tells the intended shading from the rival one."""
    rival_set = set(rival)
    direct = [i for i in eligible if i in rival_set and i not in shown]
    if direct:
        return rng.choice(direct)
    differ = [i for i in eligible if _clue_of(rival_set, n, i) != _clue_of(black, n, i) and i not in shown]
    if not differ:
        raise Rejected("rival shading cannot be told apart")
    return rng.choice(differ)


class _Model:
    """Tapa as a search model: variables are the cells row-major, values WHITE/BLACK_CELL; clue
    cells start white (`start`)."""

    def __init__(self, n: int, clues: dict[int, int]):
        self.n, self.size, self.clues = n, n * n, clues
        self.rings = {i: _ring(n, i) for i in clues}
        self.pats = {}  # per clue: the ring masks that show its number (clue cells stay white)
        for i, ring in self.rings.items():
            open_mask = sum(1 << k for k, j in enumerate(ring) if j is not None and j not in clues)
            self.pats[i] = _patterns(clues[i], open_mask)
        self.quads = [(r * n + c, r * n + c + 1, r * n + n + c, r * n + n + c + 1)
                      for r in range(n - 1) for c in range(n - 1)]
        self.adj = [[(i // n + dr) * n + i % n + dc for dr, dc in ORTHO
                     if 0 <= i // n + dr < n and 0 <= i % n + dc < n] for i in range(n * n)]

    def start(self) -> list:
        return [WHITE if i in self.clues else None for i in range(self.size)]

    def cell(self, var: int) -> str:
        return f"({var // self.n},{var % self.n})"

    def show(self, val: int) -> str:
        return "black" if val == BLACK_CELL else "white"

    def anchor(self, vals: list) -> str:
        n = self.n
        return grid_text([str(self.clues[i]) if i in self.clues else "?" if vals[i] is None
                          else "#" if vals[i] == BLACK_CELL else "." for i in range(r * n, r * n + n)]
                         for r in range(n))

    def deduce(self, vals: list):
        forced: list = []
        for i, ring in self.rings.items():
            black = white = 0
            for k, j in enumerate(ring):
                if j is not None and vals[j] is not None:
                    if vals[j] == BLACK_CELL:
                        black |= 1 << k
                    else:
                        white |= 1 << k
            must, may, fits = 255, 0, False
            for p in self.pats[i]:
                if p & white == 0 and p & black == black:
                    must &= p
                    may |= p
                    fits = True
            if not fits:
                return f"clue {self.clues[i]} at {self.cell(i)} can no longer be met", []
            rule = f"clue {self.clues[i]} at {self.cell(i)}"
            for k, j in enumerate(ring):
                if j is not None and vals[j] is None:
                    if must >> k & 1:
                        forced.append((j, BLACK_CELL, rule))
                    elif not may >> k & 1:
                        forced.append((j, WHITE, rule))
        for quad in self.quads:
            blacks = sum(vals[j] == BLACK_CELL for j in quad)
            if blacks == 4:
                return f"the 2x2 block at {self.cell(quad[0])} is all black", []
            if blacks == 3:
                forced += [(j, WHITE, "else a 2x2 black block") for j in quad if vals[j] is None]
        if forced:
            return None, forced
        if not self._joined(vals, through_open=True):
            return "the black cells can no longer join into one wall", []
        return None, []

    def _joined(self, vals: list, through_open: bool) -> bool:
        """Whether the black cells are one orthogonal group (through undecided cells too, when
        `through_open`)."""
        black = [i for i, v in enumerate(vals) if v == BLACK_CELL]
        if not black:
            return True
        seen, stack = {black[0]}, [black[0]]
        while stack:
            for j in self.adj[stack.pop()]:
                if j not in seen and (vals[j] == BLACK_CELL or through_open and vals[j] is None):
                    seen.add(j)
                    stack.append(j)
        return all(i in seen for i in black)

    def branch(self, vals: list) -> tuple[int, list[int]]:
        # an open cell around the clue with the fewest fitting patterns, black first
        best, best_k = None, 10 ** 9
        for i, ring in self.rings.items():
            if len(self.pats[i]) < best_k:
                j = next((j for j in ring if j is not None and vals[j] is None), None)
                if j is not None:
                    best, best_k = j, len(self.pats[i])
        if best is None:
            best = vals.index(None)
        return best, [BLACK_CELL, WHITE]

    def final(self, vals: list) -> str | None:
        # deduce has checked the clues, the 2x2 blocks and (with no cell open) the wall
        return None if BLACK_CELL in vals else "no cell is black"


register(Tapa())
