"""The search core of the constraint tasks (puzzles, and the path searches of the graph tasks):
apply what the rules force, guess where nothing is forced, back out of contradictions, count
solutions up to a cap, and record the way as steps.

One recording policy for every search (`Trace`): at most `MAX_RECORDED` steps are kept, the rest
of the way is one summary line, and nothing is recorded after the first solution (the search goes
on silently to prove it unique). Two front ends run on it:

- `search(model, vals)`: the puzzle is a `Model` over a list of values (one per variable, None =
  open). `deduce` returns every placement some rule forces, with the rule in words; `branch` picks
  the open variable to guess on; `final` checks a complete assignment. The engine copies the list
  per guess, so a model keeps no state of its own (aquarium, binairo, bridges, calcudoku, campsite,
  eulero, hitori, kukurasu, tapa).
- `GuessSearch`: for puzzles that keep rich state and narrow it in place (candidate bit masks,
  line tables, a path grown cell by cell); a subclass yields its deductions, chooses the guess,
  and snapshots/restores (futoshiki, kakuro, nonogram, skyscrapers, sudoku, numbrix, shingoki).
  `PathSearch` is the same for a path grown step by step (snake, the Hamiltonian path and cycle
  of the graph tasks). `MaskCounter` is its bare, unrecorded counter for generators that prove many draws
  unique.

Effort (`nodes`) counts placements and guesses, undone ones too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from generators.base import Rejected, Step

MAX_RECORDED = 320  # steps kept per trace; the rest of a longer search is one summary line


class Trace:
    """The recorded steps of one search, under the one policy (cap, summary, stop at the first
    solution). With `record=False` it keeps nothing, so counting runs cost no text."""

    def __init__(self, record: bool = True, cap: int = MAX_RECORDED):
        self.record, self.cap = record, cap
        self.steps: list[Step] = []
        self.skipped = 0
        self.closed = False

    @property
    def active(self) -> bool:
        """Worth building a step's text (and its anchor) at all."""
        return self.record and not self.closed

    @property
    def room(self) -> bool:
        """A step noted now is kept (not only counted for the summary): worth its text."""
        return self.active and len(self.steps) < self.cap

    def note(self, kind: str, text: str, anchor: str | None = None) -> None:
        if not self.active:
            return
        if len(self.steps) >= self.cap:
            self.skipped += 1
            return
        self.steps.append(Step(kind=kind, text=text, anchor=anchor))

    def close(self) -> None:
        """The first solution is found: what the search does next is not part of the way there."""
        self.closed = True

    def summary(self) -> list[Step]:
        """The line that stands for the steps past the cap (none when nothing was cut)."""
        if not self.skipped:
            return []
        return [Step(kind="check", text=f"(The search went on through {self.skipped} more recorded "
                     "moments of the same kind before reaching the solution.)")]


class Contradiction(Exception):
    """The current assignment cannot be completed; the message says which rule broke."""


class OverBudget(Exception):
    """A search ran past its node budget."""


# -- front end 1: a model over a list of values ---------------------------------------------------

Forced = tuple[int, int, str]  # (variable, value, rule in words)


class Model(Protocol):
    size: int  # number of variables

    def deduce(self, vals: list) -> tuple[str | None, list[Forced]]: ...

    def branch(self, vals: list) -> tuple[int, list[int]]: ...

    def final(self, vals: list) -> str | None: ...

    def cell(self, var: int) -> str: ...

    def show(self, val: int) -> str: ...

    def anchor(self, vals: list) -> str: ...


@dataclass
class Result:
    solutions: list[list[int]]
    nodes: int
    steps: list[Step] = field(default_factory=list)


class _ModelSearch:
    def __init__(self, model: Model, cap: int, budget: int, record: bool):
        self.model, self.cap, self.budget = model, cap, budget
        self.trace = Trace(record)
        self.nodes = 0
        self.solutions: list[list[int]] = []

    def propagate(self, vals: list) -> str | None:
        """Apply forced placements round by round; one recorded step per round, grouped by rule."""
        m = self.model
        while True:
            why, forced = m.deduce(vals)
            if why or not forced:
                return why
            groups: dict[str, list[str]] = {}
            for var, val, rule in forced:
                cur = vals[var]
                if cur is None:
                    vals[var] = val
                    self.nodes += 1
                    groups.setdefault(rule, []).append(f"{m.cell(var)}={m.show(val)}")
                elif cur != val:
                    why = f"{rule} would need {m.cell(var)}={m.show(val)}, but it is {m.show(cur)}"
                    break
            if groups and self.trace.active:
                text = "; ".join(f"{rule}: {', '.join(cells)}" for rule, cells in groups.items())
                self.trace.note("deduce", text, m.anchor(vals))
            if why:
                return why
            if self.nodes > self.budget:
                raise OverBudget

    def run(self, vals: list, depth: int) -> None:
        m, trace = self.model, self.trace
        why = self.propagate(vals)
        if why is None and all(v is not None for v in vals):
            why = m.final(vals)
            if why is None:
                self.solutions.append(list(vals))
                trace.close()
                return
        if why:
            trace.note("dead_end", f"Contradiction: {why}.")
            return
        var, options = m.branch(vals)
        for k, val in enumerate(options):
            self.nodes += 1
            if self.nodes > self.budget:
                raise OverBudget
            if not trace.active:
                pass
            elif k == 0:
                rest = ", ".join(m.show(o) for o in options[1:])
                trace.note("try", f"No rule forces anything more (depth {depth}). Guess "
                           f"{m.cell(var)}={m.show(val)} (the other option"
                           f"{'s' if len(options) > 2 else ''}: {rest}).")
            else:
                trace.note("try", f"Now try {m.cell(var)}={m.show(val)}.")
            child = list(vals)
            child[var] = val
            self.run(child, depth + 1)
            if len(self.solutions) >= self.cap:
                return
            if trace.active:
                trace.note("backtrack", f"The guess {m.cell(var)}={m.show(val)} fails; back to "
                           f"the grid before it.", m.anchor(vals))


def search(model: Model, vals: list, cap: int = 2, budget: int = 200_000,
           record: bool = False) -> Result:
    """Propagate and branch from `vals` until `cap` solutions; raises `Rejected` when the node
    budget runs out (a generator then draws again)."""
    s = _ModelSearch(model, cap, budget, record)
    try:
        s.run(list(vals), 0)
    except OverBudget:
        raise Rejected("search budget exhausted") from None
    return Result(solutions=s.solutions, nodes=s.nodes, steps=s.trace.steps + s.trace.summary())


def solve_traced(model: Model, vals: list, intro: str, budget: int = 200_000
                 ) -> tuple[list[int], int, int, list[Step]]:
    """Full recorded solve: (solution, num_solutions capped at 2, nodes, steps)."""
    return traced(model, vals, intro, search(model, vals, cap=2, budget=budget, record=True))


def traced(model: Model, vals: list, intro: str, res: Result
           ) -> tuple[list[int], int, int, list[Step]]:
    """`solve_traced` from a recorded search already run (a generator's uniqueness check run
    with record=True is that very search: the solver can reuse it instead of searching again)."""
    if not res.solutions:
        raise Rejected("no solution")
    steps = [Step(kind="observe", text=intro, anchor=model.anchor(vals))] + res.steps
    if len(res.solutions) == 1:
        steps.append(Step(kind="check", text="The search covered every alternative and no "
                          "other one leads to a solution, so this solution is the only one.",
                          anchor=model.anchor(res.solutions[0])))
    else:
        steps.append(Step(kind="check", text="The search also finds a different complete "
                          "grid, so the puzzle has more than one solution; this one obeys "
                          "every rule.", anchor=model.anchor(res.solutions[0])))
    return res.solutions[0], len(res.solutions), res.nodes, steps


def count(model: Model, vals: list, budget: int = 50_000) -> tuple[int, list[list[int]]]:
    """Solutions capped at 2 (unique or not), unrecorded."""
    res = search(model, vals, cap=2, budget=budget)
    return len(res.solutions), res.solutions


# -- front end 2: candidate state narrowed in place ------------------------------------------------


class GuessSearch:
    """Propagation plus depth-first guessing over a subclass's own candidate state.

    A subclass implements `deductions` (yields one note per forced step, raises Contradiction),
    `choose` (the open variable with the fewest options, or None when solved), `assign`,
    `snapshot`/`restore` and `anchor`. `solve` records the trace: one deduce step per run of
    deductions, and a try / dead end / backtrack step per guess, under the `Trace` policy.
    `count` runs the same machinery unrecorded for the uniqueness proof."""

    def __init__(self, record: bool = True):
        self.trace = Trace(record)
        self.nodes = 0          # guesses made
        self.placements = 0     # values fixed by propagation

    @property
    def record(self) -> bool:
        return self.trace.record

    @property
    def steps(self) -> list[Step]:
        """The trace so far; a task adds its own opening and closing steps around the search."""
        return self.trace.steps

    # subclass interface
    def deductions(self):  # -> Iterator[str]
        raise NotImplementedError

    def choose(self) -> tuple[object, list, str] | None:
        raise NotImplementedError

    def assign(self, key, value) -> None:
        raise NotImplementedError

    def snapshot(self):
        raise NotImplementedError

    def restore(self, snap) -> None:
        raise NotImplementedError

    def anchor(self) -> str:
        raise NotImplementedError

    def deduce_title(self) -> str:
        return "Forced"

    def show_value(self, value) -> str:
        """A guessed value in the trace's words (a path puzzle names a cell, not its index)."""
        return f"{value}"

    def guess_text(self, where: str, options: list) -> str:
        """The note before a guess; a subclass whose guess is not "fewest options" rewords it."""
        return f"Nothing more is forced. {where} has the fewest options, {options}; I must guess there."

    # machinery
    def propagate(self) -> None:
        notes: list[str] = []
        try:
            for note in self.deductions():
                if self.trace.active:
                    notes.append(note)
        finally:
            if notes:
                self.trace.note("deduce", f"{self.deduce_title()}: {'; '.join(notes)}.",
                                self.anchor() if self.trace.room else None)

    def solve(self, limit: int = 1, budget: int | None = None) -> bool:
        """Search for a solution, recording the way; the summary line closes a long trace.

        With `limit` > 1 the search goes on, silently, after the first solution and counts
        solutions up to `limit` (`found`; `solutions` holds their snapshots), so one run both
        records the way and proves uniqueness. Past `budget` guesses it raises OverBudget (the
        trace and the solutions found so far stay). The defaults are the plain recorded solve:
        the state is left at the solution."""
        self.found = 0
        self.solutions: list = []
        try:
            self._solve(0, limit, budget)
        finally:
            self.trace.steps.extend(self.trace.summary())
            self.trace.skipped = 0
        return self.found > 0

    def _solve(self, depth: int, limit: int = 1, budget: int | None = None) -> bool:
        """True once `limit` solutions are found (the search stops)."""
        trace = self.trace
        try:
            self.propagate()
        except Contradiction as why:
            trace.note("dead_end", f"Contradiction: {why}.")
            return False
        choice = self.choose()
        if choice is None:
            trace.close()
            self.found += 1
            self.solutions.append(self.snapshot())
            return self.found >= limit
        key, options, where = choice
        if trace.active:
            trace.note("observe", self.guess_text(where, options) if trace.room else "")
        snap = self.snapshot()
        for value in options:
            self.nodes += 1
            if budget is not None and self.nodes > budget:
                raise OverBudget
            if trace.active:
                trace.note("try", f"Guess {where} = {self.show_value(value)} (depth {depth + 1})."
                           if trace.room else "")
            try:
                self.assign(key, value)
                ok = self._solve(depth + 1, limit, budget)
            except Contradiction as why:
                trace.note("dead_end", f"Contradiction: {why}.")
                ok = False
            if ok:
                return True
            self.restore(snap)
            if trace.active:
                trace.note("backtrack", f"Undo {where} = {self.show_value(value)} and everything "
                           "deduced from it; back to this position.",
                           self.anchor() if trace.room else None)
        return False

    def count(self, limit: int = 2, budget: int = 5000) -> int:
        """Solutions up to `limit`, unrecorded: the same search as `solve` with the trace off
        (`solutions` holds their snapshots); raises OverBudget past `budget` guesses."""
        self.trace.record = False
        self.solve(limit, budget)
        return self.found


class PathSearch(GuessSearch):
    """A `GuessSearch` whose state is a path grown one step at a time (snake, the Hamiltonian
    path and cycle): `assign` appends the chosen next step, a snapshot is the path so far, and
    restoring takes the later steps back. A subclass keeps `path` and gives `_push(step)` and
    `_pop()` with its own bookkeeping; `pending` is where it may cache the look-ahead of the
    path's end for `choose`, dropped whenever the path goes back."""

    path: list
    pending: object = None

    def _push(self, step) -> None:
        raise NotImplementedError

    def _pop(self) -> None:
        raise NotImplementedError

    def assign(self, key, value) -> None:
        self._push(value)

    def snapshot(self) -> tuple:
        return tuple(self.path)

    def restore(self, snap: tuple) -> None:
        while len(self.path) > len(snap):
            self._pop()
        self.pending = None


class MaskCounter:
    """The bare uniqueness proof on bit masks (bit d of `cand[i]`: digit d is still possible in
    cell i), for generators that prove many draws: settle to the rules' fixed point, guess in the
    undecided cell with the fewest options (lowest index first, lowest digit first), stop at
    `limit` solutions, raise OverBudget past `budget` guesses.

    A subclass gives `settle(cand, extra, changed)` (narrow `cand` from the cells or constraints
    in `changed`; False on a contradiction), and may give `fork(extra)` (per-branch copy of its own
    bookkeeping) and `touched(cell)` (what a guess in `cell` changed)."""

    nodes: int
    solutions: list[list[int]]

    def settle(self, cand: list[int], extra, changed: list[int]) -> bool:
        raise NotImplementedError

    def fork(self, extra):
        return extra

    def touched(self, cell: int) -> list[int]:
        return [cell]

    def descend(self, cand: list[int], extra, changed: list[int], limit: int, budget: int) -> bool:
        """True once `limit` solutions are found (the search stops)."""
        if not self.settle(cand, extra, changed):
            return False
        best, size = -1, 99
        for i, m in enumerate(cand):
            if m & (m - 1):
                b = m.bit_count()
                if b < size:
                    best, size = i, b
        if best < 0:
            self.solutions.append([m.bit_length() - 1 for m in cand])
            return len(self.solutions) >= limit
        m = cand[best]
        while m:
            bit = m & -m
            m ^= bit
            self.nodes += 1
            if self.nodes > budget:
                raise OverBudget
            trial = list(cand)
            trial[best] = bit
            if self.descend(trial, self.fork(extra), self.touched(best), limit, budget):
                return True
        return False
