"""Eulero (puzzles; official label `eulero`).

Fill an n x n grid with letter-number pairs: every letter once per row and column, every number
once per row and column, and every pair exactly once (a Graeco-Latin square). The solution is
built from two orthogonal Latin squares: a*i + j and b*i + j over Z_n for prime n (3, 5, 7), over
GF(4) and GF(8) for n = 4 and 8 (order 6 has no such square and is never used), then shuffled.
Givens are drawn at the level's density and cells where a second solution differs are added back
until the solution is unique.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._grid_drawing import label, rc
from generators.search import count, solve_traced
from generators.registry import register
from generators.render import BLACK, LIGHT, canvas, grid, to_png


class Level(NamedTuple):
    side: int
    given_share: float  # share of cells given before the uniqueness repairs


LEVELS = {1: Level(3, 0.34), 2: Level(4, 0.4), 3: Level(5, 0.4), 4: Level(7, 0.45), 5: Level(8, 0.45)}
# GF(2^k) multiplication by the generator x, reduced by x^2+x+1 and x^3+x+1
_GF_MODULUS = {4: 0b111, 8: 0b1011}


class State(BaseModel):
    n: int
    puzzle: list[list[str | None]]   # "B3" or None
    solution: list[list[str]]


class Eulero(Task[State]):
    name = "eulero"
    category = "puzzles"
    official_name = "eulero"
    score_function = "eulero_evaluator"
    levels = LEVELS
    rules = ("Fill every empty cell of the n x n grid with a letter-number pair (letters A.., "
             "numbers 1..n). Each letter appears exactly once in every row and every column, each "
             "number appears exactly once in every row and every column, and each of the n*n "
             "letter-number pairs appears exactly once in the grid. Given cells stay as they are.")
    answer_format = "one row per line, cells separated by '|', e.g.\nB3|A1|C2\nA2|C3|B1\nC1|B2|A3"

    def generate(self, rng: random.Random, level: int) -> State:
        n, density = self.params(level)
        full = _graeco_latin(n, rng)   # pair index = letter * n + number
        cells = list(range(n * n))
        rng.shuffle(cells)
        given = set(cells[:round(density * n * n)])
        model = _Model(n)
        for _ in range(n * n):
            found, sols = count(model, [full[i] if i in given else None for i in range(n * n)],
                                budget=30_000)
            if found == 1:
                break
            other = next(s for s in sols if s != full)
            given.add(rng.choice([i for i in range(n * n) if other[i] != full[i]]))
        else:
            raise Rejected("could not make the puzzle unique")
        show = model.show
        puzzle = [[show(full[r * n + c]) if r * n + c in given else None for c in range(n)] for r in range(n)]
        return State(n=n, puzzle=puzzle, solution=[[show(full[r * n + c]) for c in range(n)] for r in range(n)])

    def solve(self, state: State) -> Solution:
        n = state.n
        model = _Model(n)
        vals = [None if x is None else model.parse(x) for row in state.puzzle for x in row]
        intro = (f"The grid is {n}x{n} with letters {_letters(n)} and numbers 1..{n}; "
                 f"{sum(v is not None for v in vals)} cells are given ('..' = empty, cells are "
                 "(row,col) from 0).")
        sol, found, nodes, steps = solve_traced(model, vals, intro)
        answer = "\n".join("|".join(model.show(sol[r * n + c]) for c in range(n)) for r in range(n))
        steps.append(Step(kind="conclude", text="Letters, numbers and pairs are each used exactly "
                          "as the rules demand.", anchor=answer))
        return Solution(answer=answer, steps=steps, num_solutions=found, effort=nodes)

    def question(self, state: State, variant: Variant) -> str:
        intro = f"Eulero ({state.n}x{state.n}). {self.rules}"
        if variant == "image":
            body = "The picture shows the grid; the printed pairs are given, blank cells are empty."
        else:
            rows = "\n".join("|".join(x or ".." for x in row) for row in state.puzzle)
            body = f"The grid, one row per line ('..' = empty):\n{rows}"
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}"

    def render(self, state: State) -> list[bytes]:
        n, cell, pad = state.n, 58, 18
        image, draw = canvas(2 * pad + n * cell, 2 * pad + n * cell)
        grid(draw, pad, pad, n, n, cell, line=BLACK, width=2)
        for r in range(n):
            for c in range(n):
                if state.puzzle[r][c]:
                    x, y = pad + c * cell, pad + r * cell
                    draw.rectangle([x + 3, y + 3, x + cell - 3, y + cell - 3], fill=LIGHT)
                    label(draw, (x + cell / 2, y + cell / 2), state.puzzle[r][c], 24)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"size": state.n, "grid": [list(row) for row in state.puzzle]}


def _letters(n: int) -> str:
    return "".join(chr(65 + k) for k in range(n))


def _gf_double(x: int, n: int) -> int:
    x <<= 1
    return x ^ _GF_MODULUS[n] if x & n else x


def _graeco_latin(n: int, rng: random.Random) -> list[int]:
    if n in _GF_MODULUS:   # GF(2^k): i + j and x*i + j (+ is XOR)
        first = [[i ^ j for j in range(n)] for i in range(n)]
        second = [[_gf_double(i, n) ^ j for j in range(n)] for i in range(n)]
    elif n in (3, 5, 7):   # Z_n, n prime: i + j and 2i + j
        first = [[(i + j) % n for j in range(n)] for i in range(n)]
        second = [[(2 * i + j) % n for j in range(n)] for i in range(n)]
    else:
        raise ValueError(f"no Graeco-Latin construction for order {n}")
    rows, cols, lets, nums = (rng.sample(range(n), n) for _ in range(4))
    return [lets[first[rows[r]][cols[c]]] * n + nums[second[rows[r]][cols[c]]]
            for r in range(n) for c in range(n)]


class _Model:
    """Eulero as a search model: variables are cells row-major, values letter * n + number."""

    def __init__(self, n: int):
        self.n, self.size = n, n * n
        self.peers = [sorted({r * n + k for k in range(n)} | {k * n + c for k in range(n)} - {r * n + c})
                      for r in range(n) for c in range(n)]

    def cell(self, var: int) -> str:
        return rc(var, self.n)

    def show(self, val: int) -> str:
        return f"{chr(65 + val // self.n)}{val % self.n + 1}"

    def parse(self, text: str) -> int:
        return (ord(text[0]) - 65) * self.n + int(text[1:]) - 1

    def anchor(self, vals: list) -> str:
        n = self.n
        return "\n".join("|".join(".." if vals[r * n + c] is None else self.show(vals[r * n + c])
                                  for c in range(n)) for r in range(n))

    def _options(self, vals: list, v: int) -> list[int]:
        n = self.n
        used = set(x for x in vals if x is not None)
        letters = {vals[w] // n for w in self.peers[v] if vals[w] is not None}
        numbers = {vals[w] % n for w in self.peers[v] if vals[w] is not None}
        return [p for p in range(n * n) if p not in used and p // n not in letters and p % n not in numbers]

    def deduce(self, vals: list):
        n = self.n
        used: dict[int, int] = {}
        for v, x in enumerate(vals):
            if x is not None:
                if x in used:
                    return f"the pair {self.show(x)} is used twice", []
                used[x] = v
                for w in self.peers[v]:
                    y = vals[w]
                    if y is not None and w > v and (y // n == x // n or y % n == x % n):
                        what = "letter" if y // n == x // n else "number"
                        return f"{self.cell(v)} and {self.cell(w)} share a {what} in a line", []
        open_cells = [v for v in range(self.size) if vals[v] is None]
        options = {v: self._options(vals, v) for v in open_cells}
        forced = []
        where: dict[int, list[int]] = {}
        for v in open_cells:
            if not options[v]:
                return f"no pair fits {self.cell(v)}", []
            if len(options[v]) == 1:
                forced.append((v, options[v][0], "only one pair fits (letter, number and pair all unused there)"))
            for p in options[v]:
                where.setdefault(p, []).append(v)
        if forced:
            return None, forced
        for p in range(n * n):
            if p in used:
                continue
            spots = where.get(p, [])
            if not spots:
                return f"the pair {self.show(p)} has no place left", []
            if len(spots) == 1:
                forced.append((spots[0], p, "the pair can go nowhere else"))
        return None, forced

    def branch(self, vals: list) -> tuple[int, list[int]]:
        best, options = -1, []
        for v in range(self.size):
            if vals[v] is None:
                opts = self._options(vals, v)
                if best < 0 or len(opts) < len(options):
                    best, options = v, opts
        return best, options

    def final(self, vals: list) -> str | None:
        return None  # deduce checks letters, numbers and pairs on the full grid


register(Eulero())
