"""Skyscrapers engine: line enumeration over bitsets of permutations, with a recorded trace.

Every row and column is an arrangement (permutation) of 1..n. Per clue pair (a, b) the
arrangements seen as a from the front and b from the back are enumerated once and indexed, and
`fit[p][m]` is the bitset (a Python int) of those whose height at position p lies in the candidate
mask m. A line's surviving arrangements are then a handful of big-int ANDs, and a cell keeps
exactly the heights that some surviving arrangement puts there: generalised arc consistency per
line, which subsumes the clue bounds, the Latin rule and hidden singles.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import permutations

from generators.puzzles._digit_grid import cell_name, grid_anchor
from generators.search import Contradiction, GuessSearch


def visible(line) -> int:
    """How many buildings are seen from the front of the line (each new maximum is seen)."""
    seen = top = 0
    for h in line:
        if h > top:
            seen, top = seen + 1, h
    return seen


@dataclass(frozen=True)
class LineTable:
    """The arrangements of 1..n seen as a from the front and b from the back (0 = no clue),
    indexed 0..size-1 so that sets of them are bitsets of `size` bits."""
    has: list[list[int]]            # has[p][v]: arrangements with v at position p
    fit: list[list[int | None]]     # fit[p][m]: arrangements whose value at p lies in mask m
    every: int                      # all of them
    front: list[int]                # front[s]: those seen as s from the front
    back: list[int]                 # back[s]: those seen as s from the back
    support: list[int]              # support[p]: the heights some arrangement puts at p

    def fill(self, p: int, m: int) -> int:
        """fit[p][m], computed on first use (a puzzle meets few of the 2^n masks)."""
        bits = 0
        for v in range(1, m.bit_length()):
            if m >> v & 1:
                bits |= self.has[p][v]
        self.fit[p][m] = bits
        return bits


def _bits(indices: list[int]) -> int:
    """The bitset with the given bit positions set (built via bytes: linear, not quadratic)."""
    if not indices:
        return 0
    raw = bytearray(indices[-1] // 8 + 1)
    for i in indices:
        raw[i >> 3] |= 1 << (i & 7)
    return int.from_bytes(raw, "little")


@lru_cache(maxsize=8)
def _groups(n: int) -> dict[tuple[int, int], list[tuple[int, ...]]]:
    """Every arrangement of 1..n, grouped by (seen from the front, seen from the back)."""
    groups: dict[tuple[int, int], list[tuple[int, ...]]] = {}
    for perm in permutations(range(1, n + 1)):
        groups.setdefault((visible(perm), visible(perm[::-1])), []).append(perm)
    return groups


def line_table(n: int, a: int, b: int) -> LineTable:
    """The table of clue pair (a, b): built with all the others of its n on first use (about
    25 ms for n = 7), then shared by every instance. The bitsets are local to the pair, a few
    hundred bits instead of n!, and big-int work shrinks with them."""
    return _tables(n)[a][b]


@lru_cache(maxsize=8)
def _tables(n: int) -> list[list[LineTable]]:
    return [[_build(n, a, b) for b in range(n + 1)] for a in range(n + 1)]


def _build(n: int, a: int, b: int) -> LineTable:
    groups = _groups(n)
    keys = sorted(key for key in groups if a in (0, key[0]) and b in (0, key[1]))
    front: list[list[int]] = [[] for _ in range(n + 1)]
    back: list[list[int]] = [[] for _ in range(n + 1)]
    at: list[list[list[int]]] = [[[] for _ in range(n + 1)] for _ in range(n)]
    k = 0
    for f, b_ in keys:
        for perm in groups[f, b_]:
            front[f].append(k)
            back[b_].append(k)
            for p, v in enumerate(perm):
                at[p][v].append(k)
            k += 1
    has = [[_bits(at[p][v]) for v in range(n + 1)] for p in range(n)]
    fit: list[list[int | None]] = [[None] * (1 << (n + 1)) for _ in range(n)]
    support = [sum(1 << v for v in range(1, n + 1) if at[p][v]) for p in range(n)]
    return LineTable(has, fit, (1 << k) - 1, [_bits(x) for x in front], [_bits(x) for x in back],
                     support)


@lru_cache(maxsize=8)
def line_cells(n: int) -> tuple[tuple[int, ...], ...]:
    """The cell indices of rows 0..n-1, then of columns 0..n-1 (shared, read-only)."""
    return (tuple(tuple(r * n + c for c in range(n)) for r in range(n))
            + tuple(tuple(r * n + c for r in range(n)) for c in range(n)))


@lru_cache(maxsize=8)
def digit_table(n: int) -> list[tuple[int, ...]]:
    """digits[m]: the heights in candidate mask m, ascending."""
    return [tuple(d for d in range(1, n + 1) if m >> d & 1) for m in range(1 << (n + 1))]


def show(mask: int, digits: list[tuple[int, ...]]) -> str:
    return "{" + ",".join(map(str, digits[mask])) + "}"


class SkySearch(GuessSearch):
    """Skyscrapers as 2n line constraints over candidate masks (bit v = height v possible).

    `clues` = (top, bottom, left, right), each a list of n counts, 0 = no clue; `givens` an n x n
    grid, 0 = empty. Lines 0..n-1 are the rows (front = left), n..2n-1 the columns (front = top)."""

    def __init__(self, n: int, clues: tuple[list[int], ...], givens: list[list[int]] | None,
                 record: bool = True):
        super().__init__(record)
        self.n = n
        self.digits = digit_table(n)
        top, bottom, left, right = clues
        self.full = ((1 << n) - 1) << 1
        self.cand = [self.full] * (n * n)
        self.lines = line_cells(n)
        self.ends = ([(left[r], right[r]) for r in range(n)]
                     + [(top[c], bottom[c]) for c in range(n)])
        self.tables = [line_table(n, a, b) for a, b in self.ends]
        self.every = [table.every for table in self.tables]   # what the clues admit per line
        self.last = [-1] * (2 * n)      # the surviving set when the line was last worked
        self.touched: list[list[int]] = [[] for _ in range(2 * n)]   # positions changed since
        self.dirty = list(range(2 * n))
        for r, row in enumerate(givens or []):
            for c, v in enumerate(row):
                if v:
                    self.cand[r * n + c] = 1 << v

    # -- names ---------------------------------------------------------------------------------
    def line_name(self, k: int) -> str:
        n = self.n
        a, b = self.ends[k]
        sides = ("left", "right") if k < n else ("top", "bottom")
        clue = ", ".join(f"{s} {v}" for s, v in zip(sides, (a, b)) if v) or "no clues"
        return f"{'row' if k < n else 'column'} {k % n} ({clue})"

    def name(self, i: int) -> str:
        return cell_name(*divmod(i, self.n))

    # -- the clue bounds, stated once at the start of a recorded solve ----------------------------
    def clue_bounds(self) -> list[str]:
        """A clue k allows at most n-k+1+d at distance d from its edge; clue 1 puts n at the edge;
        clue n forces the ascending line. Applies the bounds and returns one note per clue."""
        n, notes = self.n, []
        for k, line in enumerate(self.lines):
            for side, clue in enumerate(self.ends[k]):
                if not clue:
                    continue
                cells = line if side == 0 else line[::-1]
                where = self.edge_name(k, side)
                if clue == 1:
                    self.narrow(cells[0], 1 << n)
                    notes.append(f"clue 1 {where}: the tallest, {n}, stands at the edge, "
                                 f"{self.name(cells[0])} = {n}")
                elif clue == n:
                    for d, i in enumerate(cells):
                        self.narrow(i, 1 << (d + 1))
                    notes.append(f"clue {n} {where}: every building must be seen, so the line "
                                 f"rises 1..{n} from that edge")
                else:
                    parts = []
                    for d in range(clue - 1):
                        bound = n - clue + 1 + d
                        self.narrow(cells[d], (1 << (bound + 1)) - 2)
                        parts.append(f"{self.name(cells[d])} <= {bound}")
                    taller = "1 taller building" if clue == 2 else f"{clue - 1} taller buildings"
                    notes.append(f"clue {clue} {where} with n={n}: {taller} must follow, so "
                                 f"{', '.join(parts)}")
        self.dirty = list(range(2 * self.n))
        self.last = [-1] * (2 * self.n)
        return notes

    def edge_name(self, k: int, side: int) -> str:
        n = self.n
        if k < n:
            return f"on the {('left', 'right')[side]} of row {k}"
        return f"at the {('top', 'bottom')[side]} of column {k - n}"

    def narrow(self, i: int, mask: int) -> None:
        new = self.cand[i] & mask
        if not new:
            raise Contradiction(f"{self.name(i)} has no height left")
        self.cand[i] = new

    # -- propagation -----------------------------------------------------------------------------
    def deductions(self):
        """Work dirty lines until none is left: keep the arrangements that fit the clues and the
        current candidates, then narrow each cell to the heights those arrangements use there."""
        n, cand, lines, dirty = self.n, self.cand, self.lines, self.dirty
        last, touched = self.last, self.touched
        digits, full = self.digits, self.full
        queued = [False] * (2 * n)
        for k in dirty:
            queued[k] = True
        while dirty:
            k = dirty.pop(0)
            queued[k] = False
            cells = lines[k]
            table = self.tables[k]
            fit, has = table.fit, table.has
            if last[k] < 0:                 # first visit: every cell counts
                alive = self.every[k]
                for p, i in enumerate(cells):
                    if cand[i] != full:
                        bits = fit[p][cand[i]]
                        alive &= table.fill(p, cand[i]) if bits is None else bits
            else:                           # later: only the cells narrowed since the last visit
                alive = last[k]
                for p in touched[k]:
                    bits = fit[p][cand[cells[p]]]
                    alive &= table.fill(p, cand[cells[p]]) if bits is None else bits
            touched[k].clear()
            if not alive:
                raise Contradiction(f"no arrangement of {self.line_name(k)} fits its clues and "
                                    "the candidates")
            if alive == last[k]:
                continue
            last[k] = alive
            untouched = alive == self.every[k]      # only the clues bite: no tests needed
            notes = []
            for p, i in enumerate(cells):
                m = cand[i]
                if m & (m - 1) == 0:
                    continue
                if untouched:
                    new = m & table.support[p]
                else:
                    new = 0
                    for v in digits[m]:
                        if alive & has[p][v]:
                            new |= 1 << v
                if new == m:
                    continue
                cand[i] = new
                cross = n + i % n if k < n else i // n
                touched[cross].append(k % n)
                if not queued[cross]:
                    queued[cross] = True
                    dirty.append(cross)
                fixed = new & (new - 1) == 0
                if fixed:
                    self.placements += 1
                if self.record:
                    notes.append(f"{self.name(i)} = {new.bit_length() - 1}" if fixed
                                 else f"{self.name(i)} in {show(new, digits)}")
            if notes:
                count = alive.bit_count()
                fits = "1 arrangement fits" if count == 1 else f"{count} arrangements fit"
                yield f"{self.line_name(k)}: {fits}, so {', '.join(notes)}"

    def propagate(self) -> None:
        # one deduce step per worked line keeps the trace readable; the anchor follows each batch
        notes: list[str] = []
        try:
            for note in self.deductions():
                if self.record:
                    notes.append(note)
        finally:
            for k, note in enumerate(notes):
                last = k == len(notes) - 1
                self.trace.note("deduce", f"{note}.", self.anchor() if last else None)

    # -- search interface ----------------------------------------------------------------------
    def choose(self):
        best, size = -1, 99
        for i, m in enumerate(self.cand):
            if m & (m - 1):
                c = m.bit_count()
                if c < size:
                    best, size = i, c
        if best < 0:
            return None
        return best, list(self.digits[self.cand[best]]), self.name(best)

    def assign(self, i: int, d: int) -> None:
        if not self.cand[i] >> d & 1:
            raise Contradiction(f"{d} is no longer possible at {self.name(i)}")
        self.cand[i] = 1 << d
        r, c = divmod(i, self.n)
        self.touched[r].append(c)
        self.touched[self.n + c].append(r)
        self.dirty.extend((r, self.n + c))

    def snapshot(self):
        return list(self.cand), list(self.last)

    def restore(self, snap) -> None:
        self.cand[:] = snap[0]
        self.last[:] = snap[1]
        self.dirty.clear()
        for positions in self.touched:
            positions.clear()

    def grid(self) -> list[list[int]]:
        n = self.n
        heights = [m.bit_length() - 1 if m & (m - 1) == 0 else 0 for m in self.cand]
        return [heights[r * n:(r + 1) * n] for r in range(n)]

    def anchor(self) -> str:
        return grid_anchor(self.grid())


Clues = tuple[list[int], list[int], list[int], list[int]]   # top, bottom, left, right


def clues_of(grid: list[list[int]]) -> Clues:
    """All 4n visible counts of a filled grid."""
    cols = [list(col) for col in zip(*grid)]
    return ([visible(c) for c in cols], [visible(c[::-1]) for c in cols],
            [visible(r) for r in grid], [visible(r[::-1]) for r in grid])


def count_solutions(n: int, clues: Clues, givens: list[list[int]] | None, budget: int,
                    limit: int = 2) -> tuple[int, list[list[int]]]:
    """Solutions up to `limit` (raises OverBudget past `budget` guesses) and the solutions found,
    each as a flat list of heights."""
    search = SkySearch(n, clues, givens, record=False)
    found = search.count(limit, budget)
    return found, [[m.bit_length() - 1 for m in cand] for cand, _ in search.solutions]


def framed(n: int, clues: tuple[list[int], ...], grid: list[list[int]]) -> str:
    """The grid with its clues around it as text (`.` = empty cell or no clue)."""
    top, bottom, left, right = clues

    def mark(v: int) -> str:
        return str(v) if v else "."

    rows = ["  " + " ".join(mark(v) for v in top) + "  "]
    rows += [f"{mark(left[r])} " + " ".join(mark(v) for v in grid[r]) + f" {mark(right[r])}"
             for r in range(n)]
    rows.append("  " + " ".join(mark(v) for v in bottom) + "  ")
    return "\n".join(row.rstrip() for row in rows)
