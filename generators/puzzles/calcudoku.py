"""Calcudoku (puzzles; official label `Calcudoku`).

Fill an n x n grid with 1..n, each once per row and column, so that the numbers in every cage
combine with the cage's operator to its target. The generator builds a random Latin square, cuts
it into connected cages, labels each with an operator and target, and, while a second solution
exists, cuts a cell where it differs out of its cage as a single-cell cage (a few times at most, then the draw is rejected); the solver narrows candidates by row, column and the cage's possible
fillings, places singles, and guesses when stuck.
"""

from __future__ import annotations

import math
import random
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel, PrivateAttr

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._grid_drawing import gray_canvas, gray_png, gray_text, grid_text, rc, thick_borders
from generators.search import search, traced
from generators.registry import register
from generators.render import GREY, grid


class Level(NamedTuple):
    side: int
    largest_cage: int  # cells


LEVELS = {1: Level(3, 2), 2: Level(4, 3), 3: Level(5, 3), 4: Level(6, 4), 5: Level(8, 4)}
REPAIRS = 3  # cells cut out of their cages before a draw is given up as not unique
SHOWN = {"+": "+", "-": "−", "*": "×", "/": "÷", "=": ""}


class Cage(BaseModel):
    cells: list[tuple[int, int]]   # 1-based (row, column)
    operator: str                  # + - * / =
    target: int


class State(BaseModel):
    n: int
    cages: list[Cage]
    solution: list[list[int]]
    # the generator's uniqueness search, recorded: `solve` returns it instead of searching again
    _solved: Solution | None = PrivateAttr(default=None)


class Calcudoku(Task[State]):
    name = "calcudoku"
    category = "puzzles"
    official_name = "Calcudoku"
    score_function = "calcudoku_evaluator"
    version = 2  # grey pictures (same look, palette PNG)
    levels = LEVELS
    rules = ("Fill the n x n grid with the numbers 1..n so that each number appears exactly once "
             "in every row and every column. The grid is divided into cages; the numbers in a "
             "cage must produce the cage's target with its operator: + (sum), × (product), − "
             "(difference of the two cells, larger minus smaller), ÷ (quotient of the two cells, "
             "larger over smaller); a single-cell cage simply holds its target.")
    answer_format = "the grid as a list of rows, e.g. [[3, 1, 2], [1, 2, 3], [2, 3, 1]]"

    def generate(self, rng: random.Random, level: int) -> State:
        n, biggest = self.params(level)
        square = _latin(n, rng)
        parts = _partition(n, biggest, rng)
        cages = [_label(cells, square, rng) for cells in parts]
        full = [v for row in square for v in row]
        for _ in range(REPAIRS + 1):
            model = _Model(n, cages)
            res = search(model, [None] * (n * n), cap=2, budget=20_000, record=True)
            if len(res.solutions) == 1:
                state = State(n=n, cages=cages, solution=square)
                state._solved = _solution(model, res)
                return state
            # cut a cell where the other solution differs out of its cage, as its own cage
            other = next(x for x in res.solutions if x != full)
            v = rng.choice([i for i in range(n * n) if other[i] != full[i]])
            k = next(i for i, cells in enumerate(parts) if (v // n, v % n) in cells)
            pieces = _split(parts[k], (v // n, v % n))
            parts[k:k + 1] = pieces
            cages[k:k + 1] = [_label(cells, square, rng) for cells in pieces]
        raise Rejected("could not make the puzzle unique")

    def solve(self, state: State) -> Solution:
        if state._solved is not None:
            return state._solved
        model = _Model(state.n, state.cages)
        return _solution(model, search(model, [None] * model.size, cap=2, budget=200_000, record=True))

    def question(self, state: State, variant: Variant) -> str:
        intro = f"Calcudoku ({state.n}x{state.n}). {self.rules}"
        if variant == "image":
            body = ("The picture shows the grid; thick lines outline the cages and each cage's "
                    "target and operator are written in its top-left cell.")
        else:
            lines = [f"- cells {', '.join(f'({r},{c})' for r, c in cage.cells)}: "
                     f"{cage.target}{' ' + cage.operator if cage.operator != '=' else ' (single cell)'}"
                     for cage in state.cages]
            body = "The cages (cells as (row, column) counted from 1):\n" + "\n".join(lines)
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n, cell, pad = state.n, 60, 16
        image, draw = gray_canvas(2 * pad + n * cell, 2 * pad + n * cell)
        grid(draw, pad, pad, n, n, cell, line=GREY[0], width=1)
        region = [[0] * n for _ in range(n)]
        for k, cage in enumerate(state.cages):
            for r, c in cage.cells:
                region[r - 1][c - 1] = k
            r, c = min(cage.cells)
            gray_text(draw, (pad + (c - 1) * cell + 4, pad + (r - 1) * cell + 3),
                      f"{cage.target}{SHOWN[cage.operator]}", 15, anchor="lt")
        thick_borders(draw, pad, pad, region, cell, width=3, fill=0)
        return [gray_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"size": state.n,
                "cages": [{"cells": [list(p) for p in cage.cells], "operator": cage.operator,
                           "target": cage.target} for cage in state.cages]}


def _solution(model: "_Model", res) -> Solution:
    """The recorded search `res` written up as the solver's answer and steps."""
    n = model.n
    intro = (f"The grid is {n}x{n} with {len(model.cages)} cages; cells are (row,col) from 0 "
             "in this trace. Cage tags read target+operator.")
    sol, found, nodes, steps = traced(model, [None] * (n * n), intro, res)
    answer = "[" + ", ".join("[" + ", ".join(str(sol[r * n + c]) for c in range(n)) + "]"
                             for r in range(n)) + "]"
    steps.append(Step(kind="conclude", text="Every row, column and cage checks out.", anchor=answer))
    return Solution(answer=answer, steps=steps, num_solutions=found, effort=nodes)


def _latin(n: int, rng: random.Random) -> list[list[int]]:
    """A random Latin square by row-wise randomized backtracking (restarts bound the work)."""
    for _ in range(50):
        rows: list[list[int]] = []
        cols = [set() for _ in range(n)]
        ok = True
        for _r in range(n):
            row = _row(n, cols, rng)
            if row is None:
                ok = False
                break
            rows.append(row)
            for c, v in enumerate(row):
                cols[c].add(v)
        if ok:
            return rows
    raise Rejected("no Latin square")


def _row(n: int, cols: list[set[int]], rng: random.Random) -> list[int] | None:
    row: list[int] = []
    budget = [400]

    def fill(c: int) -> bool:
        if c == n:
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        options = [v for v in range(1, n + 1) if v not in cols[c] and v not in row]
        rng.shuffle(options)
        for v in options:
            row.append(v)
            if fill(c + 1):
                return True
            row.pop()
        return False

    return row if fill(0) else None


def _partition(n: int, biggest: int, rng: random.Random) -> list[list[tuple[int, int]]]:
    """Connected cages grown from random cells; sizes 1..biggest, singles kept rare."""
    owner: dict[tuple[int, int], int] = {}
    cages: list[list[tuple[int, int]]] = []
    order = [(r, c) for r in range(n) for c in range(n)]
    rng.shuffle(order)
    sizes = list(range(2, biggest + 1))
    for start in order:
        if start in owner:
            continue
        want = 1 if rng.random() < 0.08 else rng.choice(sizes)
        cage = [start]
        owner[start] = len(cages)
        while len(cage) < want:
            frontier = sorted({(r + dr, c + dc) for r, c in cage for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))
                               if 0 <= r + dr < n and 0 <= c + dc < n and (r + dr, c + dc) not in owner})
            if not frontier:
                break
            nxt = rng.choice(frontier)
            owner[nxt] = len(cages)
            cage.append(nxt)
        cages.append(sorted(cage))
    return cages


def _split(cells: list[tuple[int, int]], cut: tuple[int, int]) -> list[list[tuple[int, int]]]:
    """The cut cell alone, then the connected pieces of what is left of its cage."""
    rest = set(cells) - {cut}
    pieces = [[cut]]
    while rest:
        start = min(rest)
        piece, stack = {start}, [start]
        while stack:
            r, c = stack.pop()
            for nb in ((r + 1, c), (r - 1, c), (r, c + 1), (r, c - 1)):
                if nb in rest and nb not in piece:
                    piece.add(nb)
                    stack.append(nb)
        rest -= piece
        pieces.append(sorted(piece))
    return pieces


def _label(cells: list[tuple[int, int]], square: list[list[int]], rng: random.Random) -> Cage:
    values = [square[r][c] for r, c in cells]
    one_based = [(r + 1, c + 1) for r, c in cells]
    if len(values) == 1:
        return Cage(cells=one_based, operator="=", target=values[0])
    if len(values) == 2:
        hi, lo = max(values), min(values)
        options = ["-", "+", "*"] + (["/", "/"] if hi % lo == 0 else [])
        op = rng.choice(options)
        target = {"-": hi - lo, "+": hi + lo, "*": hi * lo, "/": hi // lo}[op]
        return Cage(cells=one_based, operator=op, target=target)
    op = "*" if math.prod(values) <= 500 and rng.random() < 0.4 else "+"
    return Cage(cells=one_based, operator=op, target=math.prod(values) if op == "*" else sum(values))


def _table(cage: Cage, n: int) -> tuple[list[tuple[int, ...]], list[list[int]]]:
    cells = [(r - 1, c - 1) for r, c in cage.cells]
    # earlier cells of the cage sharing a row or column with cell i must differ from it
    clash = tuple(tuple(j for j in range(i) if cells[j][0] == cells[i][0] or cells[j][1] == cells[i][1])
                  for i in range(len(cells)))
    return _cage_table(n, cage.operator, cage.target, clash)


@lru_cache(maxsize=4096)
def _cage_table(n: int, op: str, target: int, clash: tuple[tuple[int, ...], ...]
                ) -> tuple[list[tuple[int, ...]], list[list[int]]]:
    """The fillings of a cage shape (cached: shapes and targets recur across cages and draws),
    and per cell and value the set of fillings that put that value there, as a bitset over the
    fillings' indices (the search filters fillings with a few integer ANDs)."""
    k = len(clash)
    if op == "=":
        out = [(target,)] if 1 <= target <= n else []
    else:
        out = _by_result(n, op, clash).get(target, [])
    having = [[0] * (n + 1) for _ in range(k)]
    for j, filling in enumerate(out):
        for i, v in enumerate(filling):
            having[i][v] |= 1 << j
    return out, having


@lru_cache(maxsize=None)
def _shape_fills(n: int, clash: tuple[tuple[int, ...], ...]) -> list[tuple[int, ...]]:
    """Every filling of a cage shape with 1..n, no repeat where `clash` says two cells share a
    line, in ascending order (shared by the operators' groupings)."""
    fills: list[tuple[int, ...]] = [()]
    for earlier in clash:
        longer = []
        for f in fills:
            if earlier:
                taken = {f[j] for j in earlier}
                longer.extend(f + (v,) for v in range(1, n + 1) if v not in taken)
            else:
                longer.extend(f + (v,) for v in range(1, n + 1))
        fills = longer
    return fills


@lru_cache(maxsize=None)
def _by_result(n: int, op: str, clash: tuple[tuple[int, ...], ...]) -> dict[int, list[tuple[int, ...]]]:
    """The fillings of a cage shape grouped by what `op` makes of them, each group in ascending
    order. One pass per shape and operator instead of one search per target: a level-5 instance
    meets about ten new (shape, operator, target) triples."""
    groups: dict[int, list[tuple[int, ...]]] = {}
    for f in _shape_fills(n, clash):
        if op == "+":
            key = sum(f)
        elif op == "*":
            key = math.prod(f)
        elif op == "-":
            key = max(f) - min(f)
        elif max(f) % min(f) == 0:  # "/"
            key = max(f) // min(f)
        else:
            continue
        groups.setdefault(key, []).append(f)
    return groups


def _values(mask: int) -> tuple[int, ...]:
    """The values in a candidate mask (bit v set = value v possible), ascending."""
    return tuple(v for v in range(mask.bit_length()) if mask >> v & 1)


_BITS = [_values(m) for m in range(1 << 10)]  # masks of 1..9, the generator's sizes


@lru_cache(maxsize=None)
def _lines(n: int) -> tuple[list[list[int]], list[list[int]], list[set[int]]]:
    """Rows, columns and each cell's row and column mates (built once per size: a repair
    round builds a fresh model)."""
    rows = [[r * n + c for c in range(n)] for r in range(n)]
    cols = [[r * n + c for r in range(n)] for c in range(n)]
    return rows, cols, [set(rows[v // n] + cols[v % n]) - {v} for v in range(n * n)]


class _Model:
    """Calcudoku as a search model: variables are cells row-major, values 1..n.

    Candidates are bitmasks (bit v = value v); a cage's fillings are filtered with the bitsets
    of `_cage_table`, memoised per pattern of the cage cells' candidates, so a propagation round
    that leaves a cage untouched costs one dict lookup for it."""

    def __init__(self, n: int, cages: list[Cage]):
        self.n, self.size = n, n * n
        self.full = (1 << (n + 1)) - 2
        self.cages = []
        self.tables = []
        for cage in cages:
            fills, having = _table(cage, n)
            self.cages.append(([(r - 1) * n + c - 1 for r, c in cage.cells],
                               f"cage {cage.target}{cage.operator}" if cage.operator != "=" else
                               f"single-cell cage {cage.target}", fills))
            self.tables.append((having, (1 << len(fills)) - 1))
        self.rows, self.cols, self.peers = _lines(n)
        self.row_of, self.col_of = [v // n for v in range(n * n)], [v % n for v in range(n * n)]
        self._memo: list[dict[tuple, tuple[int, ...] | None]] = [{} for _ in cages]

    def cell(self, var: int) -> str:
        return rc(var, self.n)

    def show(self, val: int) -> str:
        return str(val)

    def anchor(self, vals: list) -> str:
        return grid_text(vals, self.n, str)

    def _used(self, vals: list) -> tuple[list[int], list[int]] | None:
        """Values placed per row and column as masks; None when some value repeats in a line."""
        n = self.n
        rows, cols = [0] * n, [0] * n
        for x, r, c in zip(vals, self.row_of, self.col_of):
            if x is not None:
                b = 1 << x
                if rows[r] & b or cols[c] & b:
                    return None
                rows[r] |= b
                cols[c] |= b
        return rows, cols

    def _repeat(self, vals: list) -> str:
        for v in range(self.size):
            if vals[v] is not None and any(vals[w] == vals[v] for w in self.peers[v]):
                return f"{self.cell(v)} repeats {vals[v]} in its row or column"
        raise AssertionError("no repeat")

    def _cage(self, k: int, key: tuple[int, ...]) -> tuple[int, ...] | None:
        """Per cage cell, the values some filling agreeing with `key` (the cells' candidate masks)
        puts there; None when no filling agrees."""
        having, alive = self.tables[k]
        for i, mask in enumerate(key):
            row, some = having[i], 0
            for d in _BITS[mask]:
                some |= row[d]
            alive &= some
            if not alive:
                return None
        out = []
        for i, mask in enumerate(key):
            row, a = having[i], 0
            for d in _BITS[mask]:
                if row[d] & alive:
                    a |= 1 << d
            out.append(a)
        return tuple(out)

    def deduce(self, vals: list):
        full = self.full
        used = self._used(vals)
        if used is None:
            return self._repeat(vals), []
        rows, cols = used
        dom = [None if x is not None else full & ~(rows[r] | cols[c])
               for x, r, c in zip(vals, self.row_of, self.col_of)]
        # a placed cell's "candidates" are its value: one key per cage pattern, memoised
        cand = [1 << x if x is not None else d for x, d in zip(vals, dom)]
        cage_of: dict[int, str] = {}
        memo = self._memo
        for k, (cells, name, _fills) in enumerate(self.cages):
            key = tuple([cand[v] for v in cells])
            seen = memo[k]
            if key in seen:
                allowed = seen[key]
            else:
                allowed = seen[key] = self._cage(k, key)
            if allowed is None:
                return f"no filling of {name} fits", []
            if allowed != key:
                for v, a in zip(cells, allowed):
                    if a != cand[v]:  # only a free cell can narrow: a placed one's value stays
                        cage_of[v] = name
                        dom[v] = a
        forced = []
        for v, d in enumerate(dom):
            if d is not None:
                if not d:
                    return f"no number fits {self.cell(v)}", []
                if not d & (d - 1):
                    why = f"{cage_of[v]} with its row and column leaves one number" if v in cage_of \
                        else "its row and column leave one number"
                    forced.append((v, d.bit_length() - 1, why))
        if forced:
            return None, forced
        for kind, lines, placed in (("row", self.rows, rows), ("column", self.cols, cols)):
            for i, line in enumerate(lines):
                once = twice = 0
                for v in line:
                    d = dom[v]
                    if d is not None:
                        twice |= once & d
                        once |= d
                need = full & ~placed[i]
                missing = need & ~once
                if missing:
                    return f"{kind} {i} has no place for {_BITS[missing][0]}", []
                for d in _BITS[need & ~twice]:
                    spot = next(v for v in line if dom[v] is not None and dom[v] >> d & 1)
                    forced.append((spot, d, f"{kind} {i} has only one place for {d}"))
            if forced:
                return None, forced
        return None, forced

    def branch(self, vals: list) -> tuple[int, list[int]]:
        used = self._used(vals)
        if used is None:  # never after deduce; the plain rule keeps the old choice exactly
            return self._branch_slow(vals)
        rows, cols = used
        n, full = self.n, self.full
        best, left = -1, 0
        for v in range(self.size):
            if vals[v] is None:
                m = full & ~(rows[v // n] | cols[v % n])
                if best < 0 or m.bit_count() < left.bit_count():
                    best, left = v, m
        return best, list(_BITS[left])

    def _branch_slow(self, vals: list) -> tuple[int, list[int]]:
        n = self.n
        best, options = -1, []
        for v in range(self.size):
            if vals[v] is None:
                left = sorted(set(range(1, n + 1)) - {vals[w] for w in self.peers[v]})
                if best < 0 or len(left) < len(options):
                    best, options = v, left
        return best, options

    def final(self, vals: list) -> str | None:
        return None  # deduce has checked lines and cages on the full grid


register(Calcudoku())
