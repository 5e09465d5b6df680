"""Binairo (puzzles; official label `binairo`).

Fill a grid with 0s and 1s: every row and column balanced, no three alike in a line, no two rows
or two columns equal, givens kept. The generator builds a full grid row by row from the valid
rows, draws givens at the level's density and adds back cells where a second solution differs
until the puzzle is unique; the solver propagates the rules and guesses only when stuck.
"""

from __future__ import annotations

import itertools
import random
from functools import lru_cache
from operator import itemgetter
from typing import NamedTuple

from pydantic import BaseModel, PrivateAttr

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._grid_drawing import gray_canvas, gray_png, gray_text, rc
from generators.search import search, traced
from generators.registry import register
from generators.render import LIGHT, grid


class Level(NamedTuple):
    side: int
    given_share: float  # share of cells given before the uniqueness repairs


LEVELS = {
    1: Level(4, 0.45),
    2: Level(6, 0.45),
    3: Level(6, 0.36),
    4: Level(8, 0.42),
    5: Level(8, 0.34),
}


class State(BaseModel):
    n: int
    puzzle: list[list[int | None]]   # None = empty
    solution: list[list[int]]
    # the generator's uniqueness search, recorded: `solve` returns it instead of searching again
    _solved: Solution | None = PrivateAttr(default=None)


class Binairo(Task[State]):
    name = "binairo"
    category = "puzzles"
    official_name = "binairo"
    score_function = "binairo_evaluator"
    version = 2  # grey pictures (same look, palette PNG)
    levels = LEVELS
    unique = True
    rules = ("Fill every empty cell with 0 or 1. Each row and each column holds as many 0s as 1s; "
             "no three equal digits may stand next to each other in a row or column; no two rows "
             "are identical and no two columns are identical; the given digits stay.")
    answer_format = ("the completed grid, one row per line with the digits separated by spaces, "
                     "e.g.\n0 1 0 1\n1 0 1 0\n0 1 1 0\n1 0 0 1")

    def generate(self, rng: random.Random, level: int) -> State:
        n, density = self.params(level)
        full = _random_solution(n, rng)
        cells = list(range(n * n))
        rng.shuffle(cells)
        given = set(cells[:round(density * n * n)])
        model = _Model(n)
        for _ in range(n * n):
            vals = [full[i] if i in given else None for i in range(n * n)]
            res = search(model, vals, cap=2, budget=50_000, record=True)
            if len(res.solutions) == 1:
                break
            # a given where the other solution differs rules that solution out
            other = next(s for s in res.solutions if s != full)
            diff = [i for i in range(n * n) if other[i] != full[i]]
            given.add(rng.choice(diff))
        else:
            raise Rejected("could not make the puzzle unique")
        puzzle = [[full[r * n + c] if r * n + c in given else None for c in range(n)] for r in range(n)]
        state = State(n=n, puzzle=puzzle, solution=[full[r * n:(r + 1) * n] for r in range(n)])
        state._solved = _solution(model, vals, res)
        return state

    def solve(self, state: State) -> Solution:
        if state._solved is not None:
            return state._solved
        n = state.n
        vals = [state.puzzle[r][c] for r in range(n) for c in range(n)]
        model = _Model(n)
        return _solution(model, vals, search(model, vals, cap=2, budget=200_000, record=True))

    def question(self, state: State, variant: Variant) -> str:
        intro = f"Binairo ({state.n}x{state.n}). {self.rules}"
        if variant == "image":
            body = "The picture shows the grid; the printed digits are the givens, blank cells are empty."
        else:
            rows = "\n".join(" ".join("." if v is None else str(v) for v in row) for row in state.puzzle)
            body = f"The grid, one row per line ('.' = empty):\n{rows}"
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}"

    def render(self, state: State) -> list[bytes]:
        n, cell, pad = state.n, 56, 20
        image, draw = gray_canvas(2 * pad + n * cell, 2 * pad + n * cell)
        grid(draw, pad, pad, n, n, cell, line=0, width=2)
        for r, c in itertools.product(range(n), range(n)):
            v = state.puzzle[r][c]
            if v is not None:
                x, y = pad + c * cell, pad + r * cell
                draw.rectangle([x + 3, y + 3, x + cell - 3, y + cell - 3], fill=LIGHT[0])
                gray_text(draw, (x + cell / 2, y + cell / 2), str(v), 30)
        return [gray_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"size": state.n, "grid": [list(row) for row in state.puzzle]}


def _solution(model: "_Model", vals: list, res) -> Solution:
    """The recorded search `res` from the givens `vals`, written up as answer and steps."""
    n = model.n
    intro = (f"The grid is {n}x{n} with {sum(v is not None for v in vals)} givens ('.' = empty; "
             f"cells are (row,col) from 0). Each line needs {n // 2} zeros and {n // 2} ones.")
    sol, found, nodes, steps = traced(model, vals, intro, res)
    answer = "\n".join(" ".join(str(sol[r * n + c]) for c in range(n)) for r in range(n))
    steps.append(_conclude(answer))
    return Solution(answer=answer, steps=steps, num_solutions=found, effort=nodes)


def _conclude(answer: str) -> Step:
    return Step(kind="conclude", text="Every cell is filled and every rule holds.", anchor=answer)


def _valid_rows(n: int) -> list[tuple[int, ...]]:
    rows = []
    for bits in itertools.product((0, 1), repeat=n):
        if sum(bits) * 2 == n and all(not (bits[i] == bits[i + 1] == bits[i + 2]) for i in range(n - 2)):
            rows.append(bits)
    return rows


def _random_solution(n: int, rng: random.Random) -> list[int]:
    """Row-by-row backtracking over the valid rows (columns kept balanced, free of triples, distinct)."""
    options = _valid_rows(n)
    bits = {row: sum(v << c for c, v in enumerate(row)) for row in options}
    full = (1 << n) - 1
    chosen: list[tuple[int, ...]] = []
    ones = [0] * n  # per column, the 1s in the chosen rows
    half = n // 2
    budget = [20000]

    def fits(row: tuple[int, ...]) -> bool:
        k = len(chosen)
        if row in chosen:
            return False
        if k >= 2:  # a column's last two digits and this one alike
            a, b, m = bits[chosen[-1]], bits[chosen[-2]], bits[row]
            if a & b & m or ~(a | b | m) & full:
                return False
        low = k + 1 - half  # at most half 0s among k + 1 rows
        for o, v in zip(ones, row):
            if not low <= o + v <= half:
                return False
        return True

    def extend() -> bool:
        if len(chosen) == n:
            return len(set(zip(*chosen))) == n
        budget[0] -= 1
        if budget[0] < 0:
            return False
        order = options[:]
        rng.shuffle(order)
        for row in order:
            if fits(row):
                chosen.append(row)
                ones[:] = [o + v for o, v in zip(ones, row)]
                if extend():
                    return True
                chosen.pop()
                ones[:] = [o - v for o, v in zip(ones, row)]
        return False

    if not extend():
        raise Rejected("no full grid found")
    return [v for row in chosen for v in row]


@lru_cache(maxsize=None)
def _line_rules(v: tuple[int | None, ...]) -> tuple[str | None, tuple[tuple[int, int, int | None], ...]]:
    """What the line rules say about one line's pattern: the broken rule (to follow "row 3"),
    or the placements they force in order, as (position, value, the digit whose quota is full;
    None for "no three alike"). Cached by pattern: a line comes back unchanged in most rounds."""
    half = len(v) // 2
    zeros, ones = v.count(0), v.count(1)
    if zeros > half or ones > half:
        return f"has more than {half} {'0s' if zeros > half else '1s'}", ()
    found: list[tuple[int, int, int | None]] = []
    for k in range(len(v) - 2):
        a, b, c = v[k], v[k + 1], v[k + 2]
        if a is not None and a == b == c:
            return f"has three {a}s in a row", ()
        if a is None and b is not None and b == c:
            found.append((k, 1 - b, None))
        elif c is None and a is not None and a == b:
            found.append((k + 2, 1 - a, None))
        elif b is None and a is not None and a == c:
            found.append((k + 1, 1 - a, None))
    if None in v:
        for digit, have in ((0, zeros), (1, ones)):
            if have == half:
                found += [(k, 1 - digit, digit) for k in range(len(v)) if v[k] is None]
    return None, tuple(found)


SYMBOL = {None: ".", 0: "0", 1: "1"}


class _Model:
    """Binairo as a search model: variables are cells row-major, values 0/1."""

    def __init__(self, n: int):
        self.n, self.size, self.half = n, n * n, n // 2
        rows = [[r * n + c for c in range(n)] for r in range(n)]
        cols = [[r * n + c for r in range(n)] for c in range(n)]
        self.lines = [("row", i, line) for i, line in enumerate(rows)] + \
                     [("column", i, line) for i, line in enumerate(cols)]
        self.readers = [itemgetter(*line) for _, _, line in self.lines]  # vals -> the line's tuple

    def cell(self, var: int) -> str:
        return rc(var, self.n)

    def show(self, val: int) -> str:
        return str(val)

    def anchor(self, vals: list) -> str:
        # grid_text's picture of the grid, from a symbol table (every recorded step has one)
        cells = [SYMBOL[v] for v in vals]
        n = self.n
        return "\n".join(" ".join(cells[r * n:(r + 1) * n]) for r in range(n))

    def deduce(self, vals: list):
        forced: list = []
        complete: dict[str, dict[tuple, int]] = {"row": {}, "column": {}}
        for (kind, i, line), read in zip(self.lines, self.readers):
            v = read(vals)
            why, found = _line_rules(v)
            if why:
                return f"{kind} {i} {why}", []
            if None not in v:
                if v in complete[kind]:
                    return f"{kind}s {complete[kind][v]} and {i} are identical", []
                complete[kind][v] = i
                continue
            for k, value, full_digit in found:
                rule = "no three alike" if full_digit is None else \
                    f"{kind} {i} already has its {self.half} {full_digit}s"
                forced.append((line[k], value, rule))
        if not forced:
            forced = self._distinct_lines(vals, complete)
        return None, forced

    def _distinct_lines(self, vals: list, complete: dict) -> list:
        """A line two cells short of full must not become a copy of a complete line."""
        half = self.half
        for kind, i, line in self.lines:
            v = [vals[j] for j in line]
            if v.count(None) != 2 or v.count(0) != half - 1:
                continue
            for done, j in complete[kind].items():
                if all(x is None or x == y for x, y in zip(v, done)):
                    return [(line[k], 1 - done[k], f"{kind} {i} must differ from {kind} {j}")
                            for k in range(len(v)) if v[k] is None]
        return []

    def branch(self, vals: list) -> tuple[int, list[int]]:
        best = None
        for _, _, line in self.lines:
            empty = [j for j in line if vals[j] is None]
            if empty and (best is None or len(empty) < len(best)):
                best = empty
        return best[0], [0, 1]

    def final(self, vals: list) -> str | None:
        return None  # deduce already rejects unbalanced, triple and duplicate lines


register(Binairo())
