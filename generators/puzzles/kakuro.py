"""Kakuro (puzzles; official label `kakuro`).

Black cells carry sums: the number in the upper-right triangle is the sum of the white run to its
right, the one in the lower-left triangle the sum of the run below it. Fill every white cell with
1-9, no digit twice in a run. Generation draws a layout (first row and column black, every white
run at least two long), fills it at random, re-draws digits until no four cells admit a
sum-keeping swap, takes the run sums as clues and proves the solution unique with a bit-mask
counting search (re-drawing cells where a second solution differs). The solver narrows each cell to the digits of the digit sets that can
still make its runs' sums, places singles, and guesses when that stalls.
"""

from __future__ import annotations

import random
from functools import lru_cache
from itertools import combinations
from typing import NamedTuple

from pydantic import BaseModel, PrivateAttr

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._digit_grid import cell_name, digits_of, show_set
from generators.search import Contradiction, GuessSearch, MaskCounter, OverBudget
from generators.puzzles._grid_drawing import gray_canvas, gray_png, gray_text
from generators.registry import register


class Level(NamedTuple):
    side: int  # including the clue row and column
    extra_black: float  # chance of an extra black cell
    repairs: int  # uniqueness repair rounds before the draw is rejected


LEVELS = {
    1: Level(3, 0.0, 30),
    2: Level(4, 0.15, 30),
    3: Level(5, 0.25, 30),
    4: Level(6, 0.3, 30),
    5: Level(7, 0.3, 30),
}
COUNT_BUDGET = 2000  # guesses per uniqueness proof
DIGITS = 0b1111111110  # bit d = digit d
MIRROR = [sum(1 << 9 - d for d in range(10) if m >> d & 1) for m in range(1 << 10)]  # bit d -> 9 - d
REDRAWS = 3  # cells re-drawn per failed proof


class State(BaseModel):
    layout: list[str]          # rows of '#' (black) and '.' (white)
    right: list[list[int]]     # across sum in a black cell, 0 = none
    down: list[list[int]]      # down sum in a black cell, 0 = none
    # the generator's capped solution count (its uniqueness proof): `solve` need not redo it
    _count: int | None = PrivateAttr(default=None)


@lru_cache(maxsize=None)
def combos(length: int, total: int) -> tuple[int, ...]:
    """Masks of the sets of `length` distinct digits 1-9 summing to `total`."""
    return tuple(sum(1 << d for d in ds) for ds in combinations(range(1, 10), length)
                 if sum(ds) == total)


@lru_cache(maxsize=1 << 16)
def _fitting(length: int, total: int, placed: int, cands: tuple[int, ...]) -> tuple[tuple[int, ...], int]:
    """The digit sets of a run that hold its placed digits and meet every open cell's candidates,
    and their union (cached: the same run pattern comes back at every propagation round)."""
    fits = tuple(m for m in combos(length, total)
                 if m & placed == placed and all(c & m for c in cands))
    union = 0
    for m in fits:
        union |= m
    return fits, union


def runs_of(layout: list[str]) -> list[tuple[str, tuple[int, int], list[tuple[int, int]]]]:
    """Every white run with its direction and clue cell, in reading order of the clue cells."""
    n, m = len(layout), len(layout[0])
    runs = []
    for r in range(n):
        for c in range(m):
            if layout[r][c] != "#":
                continue
            for way, (dr, dc) in (("across", (0, 1)), ("down", (1, 0))):
                cells = []
                rr, cc = r + dr, c + dc
                while rr < n and cc < m and layout[rr][cc] == ".":
                    cells.append((rr, cc))
                    rr, cc = rr + dr, cc + dc
                if cells:
                    runs.append((way, (r, c), cells))
    return runs


class _RunTable:
    """The digit sets of one (length, total), indexed for the counting search: per cell mask, the
    sets it meets as a bit set over the sets' indices, and per such bit set, the union of its sets
    (both filled on first use)."""

    def __init__(self, length: int, total: int):
        self.sets = combos(length, total)
        self.every = (1 << len(self.sets)) - 1
        self.meets: dict[int, int] = {}
        self.unions: dict[int, int] = {}

    def meeting(self, mask: int) -> int:
        hit = 0
        for k, m in enumerate(self.sets):
            if m & mask:
                hit |= 1 << k
        self.meets[mask] = hit
        return hit

    def union(self, alive: int) -> int:
        out = 0
        for k, m in enumerate(self.sets):
            if alive >> k & 1:
                out |= m
        self.unions[alive] = out
        return out


@lru_cache(maxsize=None)
def _run_table(length: int, total: int) -> _RunTable:
    return _RunTable(length, total)


@lru_cache(maxsize=1 << 17)
def _settle_run(length: int, total: int, cands: tuple[int, ...]) -> tuple[int, ...] | None:
    """One run's cells narrowed to the digits of the sets that still fit, with placed digits
    struck from the other cells (to a fixed point); None when nothing fits. Cached: the same
    run pattern comes back at every node of the counting search."""
    table = _run_table(length, total)
    meets, unions = table.meets, table.unions
    cs = list(cands)
    while True:
        alive = table.every
        for c in cs:
            hit = meets.get(c)
            alive &= table.meeting(c) if hit is None else hit
        if not alive:
            return None
        union = unions.get(alive)
        if union is None:
            union = table.union(alive)
        placed = 0
        for c in cs:
            if c & (c - 1) == 0:
                if placed & c:
                    return None
                placed |= c
        new = [c & union if c & (c - 1) == 0 else c & union & ~placed for c in cs]
        if 0 in new:
            return None
        if new == cs:
            return tuple(cs)
        cs = new


class _Counter(MaskCounter):
    """The uniqueness proof: run-set propagation plus guessing, on bare bit masks (no trace).
    A cell is placed when one bit is left."""

    def __init__(self, runs: list[tuple[list[int], int]], cells: int):
        self.runs = runs
        self.cell_runs: list[list[int]] = [[] for _ in range(cells)]
        for k, (ids, _) in enumerate(runs):
            for i in ids:
                self.cell_runs[i].append(k)
        self.nodes = 0
        self.solutions: list[list[int]] = []

    def propagate(self, cand: list[int], queue: list[int]) -> bool:
        runs, cell_runs = self.runs, self.cell_runs
        queued = [False] * len(runs)
        for k in queue:
            queued[k] = True
        while queue:
            k = queue.pop()
            queued[k] = False
            ids, total = runs[k]
            new = _settle_run(len(ids), total, tuple([cand[i] for i in ids]))
            if new is None:
                return False
            for i, m in zip(ids, new):
                if cand[i] != m:
                    cand[i] = m
                    for j in cell_runs[i]:
                        if j != k and not queued[j]:
                            queued[j] = True
                            queue.append(j)
        return True

    def count(self, limit: int, budget: int) -> int:
        """Solutions up to `limit`; raises OverBudget past `budget` guesses."""
        cand = [DIGITS] * len(self.cell_runs)
        self.solutions = []
        self.descend(cand, None, list(range(len(self.runs))), limit, budget)
        return len(self.solutions)

    def settle(self, cand: list[int], extra: None, queue: list[int]) -> bool:
        return self.propagate(cand, queue)

    def touched(self, cell: int) -> list[int]:
        return list(self.cell_runs[cell])  # the runs through the guessed cell


class _Kakuro(GuessSearch):
    def __init__(self, state: State, record: bool = True):
        super().__init__(record)
        self.layout = state.layout
        self.cells = [(r, c) for r, row in enumerate(state.layout) for c, ch in enumerate(row)
                      if ch == "."]
        index = {rc: i for i, rc in enumerate(self.cells)}
        self.runs: list[tuple[list[int], int, str]] = []
        self.cell_runs: list[list[int]] = [[] for _ in self.cells]
        for way, (r, c), cells in runs_of(state.layout):
            total = state.right[r][c] if way == "across" else state.down[r][c]
            ids = [index[rc] for rc in cells]
            for i in ids:
                self.cell_runs[i].append(len(self.runs))
            self.runs.append((ids, total, f"{way} {total} from {cell_name(r, c)} ({len(ids)} cells)"))
        self.cand = [DIGITS] * len(self.cells)
        self.value = [0] * len(self.cells)
        self.dirty = set(range(len(self.runs)))  # runs whose cells changed since last checked
        self.singles: list[int] = []             # cells narrowed to one digit, to place

    def deduce_title(self) -> str:
        return "Run sums"

    def deductions(self):
        while self.dirty:
            run = min(self.dirty)  # lowest index first: a deterministic order
            self.dirty.discard(run)
            ids, total, label = self.runs[run]
            placed = 0
            for i in ids:
                placed |= 1 << self.value[i]
            placed &= ~1
            open_ids = [i for i in ids if not self.value[i]]
            fits, union = _fitting(len(ids), total, placed, tuple([self.cand[i] for i in open_ids]))
            if not fits:
                raise Contradiction(f"no set of distinct digits completes the {label}")
            narrowed = []
            for i in open_ids:
                new = self.cand[i] & union & ~placed
                if new != self.cand[i]:
                    if not new:
                        raise Contradiction(f"{cell_name(*self.cells[i])} has no digit left "
                                            f"for the {label}")
                    self.cand[i] = new
                    self.dirty.update(self.cell_runs[i])
                    if self.record:
                        narrowed.append(f"{cell_name(*self.cells[i])} in {show_set(new)}")
                    if new & (new - 1) == 0:
                        self.singles.append(i)
            if narrowed:
                sets = " or ".join(show_set(m) for m in fits)
                yield f"the {label} uses {sets}, so {', '.join(narrowed)}"
            while self.singles:
                i = self.singles.pop(0)
                if not self.value[i]:
                    d = self.cand[i].bit_length() - 1
                    self.placements += 1
                    self.assign(i, d)
                    yield f"{cell_name(*self.cells[i])} = {d} (its only digit)"

    def assign(self, i: int, d: int) -> None:
        self.value[i] = d
        self.cand[i] = 1 << d
        for run in self.cell_runs[i]:
            self.dirty.add(run)
            for j in self.runs[run][0]:
                if j != i and self.value[j] == d:
                    raise Contradiction(f"{d} would appear twice in the {self.runs[run][2]}")
                if j != i and not self.value[j] and self.cand[j] >> d & 1:
                    self.cand[j] &= ~(1 << d)
                    if not self.cand[j]:
                        raise Contradiction(f"{cell_name(*self.cells[j])} has no digit left")
                    self.dirty.update(self.cell_runs[j])
                    if self.cand[j] & (self.cand[j] - 1) == 0:
                        self.singles.append(j)

    def choose(self):
        open_ids = [i for i in range(len(self.cells)) if not self.value[i]]
        if not open_ids:
            return None
        i = min(open_ids, key=lambda j: (self.cand[j].bit_count(), j))
        return i, list(digits_of(self.cand[i])), cell_name(*self.cells[i])

    def snapshot(self):
        return list(self.cand), list(self.value)

    def restore(self, snap) -> None:
        self.cand, self.value = list(snap[0]), list(snap[1])
        self.dirty, self.singles = set(), []

    def anchor(self) -> str:
        grid = [["#" if ch == "#" else "." for ch in row] for row in self.layout]
        for (r, c), v in zip(self.cells, self.value):
            if v:
                grid[r][c] = str(v)
        return "\n".join(" ".join(row) for row in grid)


def _layout(rng: random.Random, n: int, black: float) -> list[str]:
    """First row and column black; then black cells added one at a time at random interior
    spots, each kept only if every white run stays at least two cells long."""
    white = [[r > 0 and c > 0 for c in range(n)] for r in range(n)]

    def short_runs_near(r: int, c: int) -> bool:
        for rr, cc in ((r, c - 1), (r, c + 1), (r - 1, c), (r + 1, c)):
            if 0 <= rr < n and 0 <= cc < n and white[rr][cc]:
                across = sum(1 for _ in _stretch(white, rr, cc, 0, 1))
                downward = sum(1 for _ in _stretch(white, rr, cc, 1, 0))
                if across < 2 or downward < 2:
                    return True
        return False

    target = round(black * (n - 1) ** 2)
    spots = [(r, c) for r in range(1, n) for c in range(1, n)]
    rng.shuffle(spots)
    for r, c in spots:
        if target == 0:
            break
        white[r][c] = False
        if short_runs_near(r, c):
            white[r][c] = True
        else:
            target -= 1
    return ["".join("." if w else "#" for w in row) for row in white]


def _stretch(white: list[list[bool]], r: int, c: int, dr: int, dc: int):
    """The white cells of the run through (r, c) in direction (dr, dc)."""
    n = len(white)
    while 0 <= r - dr < n and 0 <= c - dc < n and white[r - dr][c - dc]:
        r, c = r - dr, c - dc
    while 0 <= r < n and 0 <= c < n and white[r][c]:
        yield r, c
        r, c = r + dr, c + dc


class _Board:
    """A layout's cells (reading order), runs, and the rectangles that admit a sum-keeping swap.

    Four white cells a b / c d where a, b share an across run, c, d another, a, c a down run and
    b, d another: adding k to a and d and taking it from b and c keeps every sum, so a fill where
    some k keeps the digits 1-9 and distinct in all four runs has a second solution. Closing those
    before the uniqueness proof saves most of the proofs that would fail."""

    def __init__(self, layout: list[str]):
        self.layout = layout
        self.cells = [(r, c) for r, row in enumerate(layout) for c, ch in enumerate(row) if ch == "."]
        index = {rc: i for i, rc in enumerate(self.cells)}
        self.runs = [(way, clue, [index[rc] for rc in cells]) for way, clue, cells in runs_of(layout)]
        across, down = [0] * len(self.cells), [0] * len(self.cells)
        self.peers: list[list[int]] = [[] for _ in self.cells]
        for k, (way, _, ids) in enumerate(self.runs):
            for i in ids:
                (across if way == "across" else down)[i] = k
                self.peers[i].extend(j for j in ids if j != i)
        self.cell_runs = [(across[i], down[i]) for i in range(len(self.cells))]
        self.rects: list[tuple[int, int, int, int]] = []
        for a in range(len(self.cells)):
            for b in self.runs[across[a]][2]:
                if b <= a:
                    continue
                for c in self.runs[down[a]][2]:
                    if c <= a:
                        continue
                    d = index.get((self.cells[c][0], self.cells[b][1]))
                    if d is not None and across[d] == across[c] and down[d] == down[b]:
                        self.rects.append((a, b, c, d))
        self.cell_rects: list[list[int]] = [[] for _ in self.cells]
        self.run_rects: list[list[int]] = [[] for _ in self.runs]  # rectangles using the run
        # per rectangle its runs: top (a b), bottom (c d), left (a c), right (b d)
        self.rect_runs = [(across[a], across[c], down[a], down[b]) for a, b, c, _ in self.rects]
        for k, rect in enumerate(self.rects):
            for i in rect:
                self.cell_rects[i].append(k)
            for run in self.rect_runs[k]:
                self.run_rects[run].append(k)

    def totals(self, vals: list[int]) -> list[int]:
        return [sum(vals[i] for i in ids) for _, _, ids in self.runs]

    def masks(self, vals: list[int]) -> list[int]:
        """Per run, the bit mask of its digits."""
        out = []
        for _, _, ids in self.runs:
            mask = 0
            for i in ids:
                mask |= 1 << vals[i]
            out.append(mask)
        return out

    def swappable(self, k: int, vals: list[int], masks: list[int]) -> bool:
        """Whether rectangle k admits a sum-keeping swap: some shift s != 0 with a + s, b - s,
        c - s, d + s all digits that their runs' other cells do not hold. All shifts at once:
        bit s of (free digits >> digit) says a cell can gain s, bit s of (mirrored free digits
        >> 9 - digit) that it can lose s; `up` is s > 0, `down` the same for s < 0."""
        a, b, c, d = self.rects[k]
        top, bottom, left, right = self.rect_runs[k]
        va, vb, vc, vd = vals[a], vals[b], vals[c], vals[d]
        # the runs' other digits (digits are distinct within a run, so clearing bits is exact)
        top = masks[top] & ~(1 << va | 1 << vb)
        bottom = masks[bottom] & ~(1 << vc | 1 << vd)
        left = masks[left] & ~(1 << va | 1 << vc)
        right = masks[right] & ~(1 << vb | 1 << vd)
        free_a, free_b = DIGITS & ~(top | left), DIGITS & ~(top | right)
        free_c, free_d = DIGITS & ~(bottom | left), DIGITS & ~(bottom | right)
        up = free_a >> va & MIRROR[free_b] >> 9 - vb & MIRROR[free_c] >> 9 - vc & free_d >> vd
        down = MIRROR[free_a] >> 9 - va & free_b >> vb & free_c >> vc & MIRROR[free_d] >> 9 - vd
        return (up | down) > 1

    def ambiguity(self, vals: list[int], i: int, d: int) -> int:
        """How many digit sets the two runs through cell i would allow if it held d."""
        score = 1
        for run in self.cell_runs[i]:
            ids = self.runs[run][2]
            score *= len(combos(len(ids), sum(vals[j] for j in ids) - vals[i] + d))
        return score

    def redraw(self, rng: random.Random, vals: list[int], cells: list[int],
               score) -> bool:
        """Give one of `cells` another digit (distinct in its runs): the change with the lowest
        `score(i, d)`, ties broken at random. False when no cell can change."""
        best = None
        for i in cells:
            old, taken = vals[i], {vals[p] for p in self.peers[i]}
            for d in range(1, 10):
                if d != old and d not in taken:
                    vals[i] = d
                    key = (score(i, d), rng.random())
                    vals[i] = old
                    if best is None or key < best[0]:
                        best = (key, i, d)
        if best is None:
            return False
        vals[best[1]] = best[2]
        return True

    def close_swaps(self, rng: random.Random, vals: list[int], limit: int) -> bool:
        """Re-draw digits of open rectangles until none is open (at most `limit` changes). A
        change can open or close only the rectangles on the changed cell's two runs: only those
        are looked at again."""
        masks = self.masks(vals)
        is_open = [self.swappable(k, vals, masks) for k in range(len(self.rects))]

        def still_open(i: int, d: int) -> tuple[int, int]:
            across, down = self.cell_runs[i]  # vals[i] holds d here; masks the old digit
            keep = masks[across], masks[down]
            masks[across] = keep[0] & ~(1 << held[i]) | 1 << d
            masks[down] = keep[1] & ~(1 << held[i]) | 1 << d
            opened = 0
            for k in self.cell_rects[i]:
                opened += self.swappable(k, vals, masks)
            masks[across], masks[down] = keep
            return opened, self.ambiguity(vals, i, d)

        for _ in range(limit + 1):
            open_rects = [rect for rect, is_ in zip(self.rects, is_open) if is_]
            if not open_rects:
                return True
            held = list(vals)
            cells = rng.choice(open_rects)
            if not self.redraw(rng, vals, list(cells), still_open):
                return False
            i = next(i for i in cells if vals[i] != held[i])
            for run in self.cell_runs[i]:
                masks[run] = masks[run] & ~(1 << held[i]) | 1 << vals[i]
                for k in self.run_rects[run]:
                    is_open[k] = self.swappable(k, vals, masks)
        return False

    def state(self, vals: list[int]) -> State:
        n = len(self.layout)
        right = [[0] * n for _ in range(n)]
        down = [[0] * n for _ in range(n)]
        for (way, (r, c), _), total in zip(self.runs, self.totals(vals)):
            (right if way == "across" else down)[r][c] = total
        return State(layout=self.layout, right=right, down=down)


def _any_digit(i: int, d: int) -> int:
    """The repair's redraw score: every change alike (the random tie-break decides)."""
    return 1


def _counter(state: State, board: _Board | None = None) -> _Counter:
    board = board or _Board(state.layout)
    totals = [state.right[r][c] if way == "across" else state.down[r][c] for way, (r, c), _ in board.runs]
    return _Counter([(ids, t) for (_, _, ids), t in zip(board.runs, totals)], len(board.cells))


def _fill(rng: random.Random, layout: list[str]) -> dict[tuple[int, int], int] | None:
    """Random digits, distinct within every run (randomized depth-first search)."""
    cells = [(r, c) for r, row in enumerate(layout) for c, ch in enumerate(row) if ch == "."]
    value: dict[tuple[int, int], int] = {}
    runs = runs_of(layout)
    peers = {rc: set() for rc in cells}
    for _, _, run in runs:
        for rc in run:
            peers[rc].update(x for x in run if x != rc)
    budget = [2000]

    def place(k: int) -> bool:
        if k == len(cells):
            return True
        budget[0] -= 1
        if budget[0] < 0:
            return False
        rc = cells[k]
        used = {value[p] for p in peers[rc] if p in value}
        for d in rng.sample(range(1, 10), 9):
            if d not in used:
                value[rc] = d
                if place(k + 1):
                    return True
                del value[rc]
        return False

    return value if place(0) else None


class Kakuro(Task[State]):
    name = "kakuro"
    category = "puzzles"
    official_name = "kakuro"
    score_function = "kakuro_evaluator"
    version = 3  # fills close sum-keeping swaps before a bit-mask uniqueness proof
    levels = LEVELS
    unique = True
    rules = ("Fill every white cell with a digit 1-9. A black cell may hold clues: the number "
             "above its diagonal (upper right) is the sum of the run of white cells to its right, "
             "the number below its diagonal (lower left) is the sum of the run of white cells "
             "below it. No digit repeats within a run.")
    answer_format = ("every white cell as (row,column):digit, separated by spaces, rows and "
                     "columns counted from 0 at the top left, e.g. (1,1):4 (1,2):3 ...")

    def generate(self, rng: random.Random, level: int) -> State:
        n, black, repairs = self.params(level)
        layout = _layout(rng, n, black)
        whites = sum(row.count(".") for row in layout)
        if whites < max(4, (n - 1) ** 2 * 0.45):
            raise Rejected("too few white cells")
        value = _fill(rng, layout)
        if value is None:
            raise Rejected("fill failed")
        board = _Board(layout)
        vals = [value[rc] for rc in board.cells]
        for _ in range(repairs):
            if not board.close_swaps(rng, vals, 4 * len(vals)):
                raise Rejected("a sum-keeping swap stays open")
            state = board.state(vals)
            counter = _counter(state, board)
            try:
                if counter.count(2, COUNT_BUDGET) == 1:
                    state._count = 1
                    return state
            except OverBudget:
                raise Rejected("uniqueness not proved within budget") from None
            # a second solution exists: re-draw a cell where the two differ, to a random digit
            # (one change per run touched, so that one round can break several swap cycles).
            # Steering the digit towards sums with fewer digit sets was tried (in version 3 the
            # score meant to do so compared a digit with itself): it made repairs loop, with
            # two to three times the proofs per instance at levels 2-3
            differ = sorted({i for found in counter.solutions for i, v in enumerate(found) if v != vals[i]})
            changed = 0
            while differ and changed < REDRAWS:
                before = list(vals)
                if not board.redraw(rng, vals, differ, _any_digit):
                    break
                i = next(k for k in differ if vals[k] != before[k])
                touched = set(board.cell_runs[i])
                differ = [k for k in differ if not touched & set(board.cell_runs[k])]
                changed += 1
            if not changed:
                break
        raise Rejected("no fill with a unique solution")

    def solve(self, state: State) -> Solution:
        solver = _Kakuro(state)
        whites = len(solver.cells)
        solver.steps.append(Step(
            kind="observe", text=f"The grid has {whites} white cells in {len(solver.runs)} runs "
            "(# = black, . = white; rows and columns from 0). A run's sum and length allow only "
            "certain sets of distinct digits; each cell keeps the digits of the sets that still "
            "fit both its runs.", anchor=solver.anchor()))
        if not solver.solve():
            raise Rejected("no solution")
        count = state._count
        if count is None:
            try:
                count = _counter(state).count(2, COUNT_BUDGET)
            except OverBudget:
                raise Rejected("uniqueness not proved within budget") from None
        answer = " ".join(f"({r},{c}):{v}" for (r, c), v in zip(solver.cells, solver.value))
        solver.steps.append(Step(kind="check", text="Every white cell holds a digit; each run "
                                 "has distinct digits adding up to its clue.", anchor=solver.anchor()))
        solver.steps.append(Step(kind="conclude", text="All white cells: " + answer + "."))
        return Solution(answer=answer, steps=solver.steps, num_solutions=count,
                        effort=solver.nodes + solver.placements)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Kakuro. " + self.rules
        if variant == "image":
            body = ("The picture shows the grid: white cells are empty, dark cells are black; "
                    "a black cell split by a diagonal shows its across sum in the upper-right "
                    "triangle and its down sum in the lower-left triangle.")
        else:
            lines = []
            for way, (r, c), cells in runs_of(state.layout):
                total = state.right[r][c] if way == "across" else state.down[r][c]
                lines.append(f"- black cell {cell_name(r, c)}: {way} sum {total} over "
                             f"{' '.join(cell_name(*rc) for rc in cells)}")
            body = ("The grid row by row (# = black cell, . = white cell):\n"
                    + "\n".join(state.layout) + "\n\nClues:\n" + "\n".join(lines))
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n = len(state.layout)
        cell, pad = 56, 10
        image, draw = gray_canvas(2 * pad + n * cell, 2 * pad + n * cell)
        x0 = y0 = pad
        dark, white = 64, 255
        for r, row in enumerate(state.layout):
            for c, ch in enumerate(row):
                x, y = x0 + c * cell, y0 + r * cell
                if ch == ".":
                    continue
                draw.rectangle([x, y, x + cell, y + cell], fill=dark)
                if state.right[r][c] or state.down[r][c]:
                    draw.line([(x, y), (x + cell, y + cell)], fill=white, width=2)
                if state.right[r][c]:
                    gray_text(draw, (x + cell * 0.68, y + cell * 0.3), str(state.right[r][c]), 17,
                              fill=white)
                if state.down[r][c]:
                    gray_text(draw, (x + cell * 0.32, y + cell * 0.72), str(state.down[r][c]), 17,
                              fill=white)
        for k in range(n + 1):
            draw.line([(x0, y0 + k * cell), (x0 + n * cell, y0 + k * cell)], fill=0, width=2)
            draw.line([(x0 + k * cell, y0), (x0 + k * cell, y0 + n * cell)], fill=0, width=2)
        return [gray_png(image)]

    def initial_state(self, state: State) -> dict:
        grid = []
        for r, row in enumerate(state.layout):
            out = []
            for c, ch in enumerate(row):
                if ch == ".":
                    out.append({"type": "white"})
                    continue
                cell: dict = {"type": "black"}
                if state.right[r][c]:
                    cell["right"] = state.right[r][c]
                if state.down[r][c]:
                    cell["down"] = state.down[r][c]
                out.append(cell)
            grid.append(out)
        return {"grid": grid}


register(Kakuro())
