"""Shared machinery for the grid puzzles binairo, hitori, kukurasu, calcudoku, aquarium, eulero:
a propagate-and-branch search that records readable steps, plus small drawing helpers.

A puzzle supplies a `Model`: variables are cells (an index), values are small ints. `deduce` looks
at the partial assignment and returns every placement some rule forces (with the rule in words) or
the contradiction it found; `branch` picks the variable to guess on. The search applies forced
placements until nothing more follows (one recorded step per round, grouped by rule), guesses when
stuck, and backs out of contradictions, counting solutions up to a cap (2: unique or not).
Effort = search nodes, one per placement the search made (forced or guessed, undone ones too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Protocol, Sequence

from PIL import Image, ImageDraw

from generators.base import Rejected, Step
from generators.render import BLACK, font, to_png

Forced = tuple[int, int, str]  # (variable, value, rule in words)

MAX_RECORDED = 320  # steps kept in a trace; a longer search is summarised at its end


class Model(Protocol):
    size: int  # number of variables

    def deduce(self, vals: list) -> tuple[str | None, list[Forced]]: ...

    def branch(self, vals: list) -> tuple[int, list[int]]: ...

    def final(self, vals: list) -> str | None: ...

    def cell(self, var: int) -> str: ...

    def show(self, val: int) -> str: ...

    def anchor(self, vals: list) -> str: ...


class _OutOfBudget(Exception):
    pass


@dataclass
class Result:
    solutions: list[list[int]]
    nodes: int
    steps: list[Step] = field(default_factory=list)


class _Search:
    def __init__(self, model: Model, cap: int, budget: int, record: bool):
        self.model, self.cap, self.budget = model, cap, budget
        self.record = record
        self.nodes = 0
        self.solutions: list[list[int]] = []
        self.steps: list[Step] = []
        self.skipped = 0

    def note(self, kind: str, text: str, anchor: str | None = None) -> None:
        if not self.record or self.solutions:
            return
        if len(self.steps) >= MAX_RECORDED:
            self.skipped += 1
            return
        self.steps.append(Step(kind=kind, text=text, anchor=anchor))

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
            if groups and self.record and not self.solutions:
                text = "; ".join(f"{rule}: {', '.join(cells)}" for rule, cells in groups.items())
                self.note("deduce", text, m.anchor(vals))
            if why:
                return why
            if self.nodes > self.budget:
                raise _OutOfBudget

    def run(self, vals: list, depth: int) -> None:
        m = self.model
        why = self.propagate(vals)
        if why is None and all(v is not None for v in vals):
            why = m.final(vals)
            if why is None:
                self.solutions.append(list(vals))
                return
        if why:
            self.note("dead_end", f"Contradiction: {why}.")
            return
        var, options = m.branch(vals)
        for k, val in enumerate(options):
            self.nodes += 1
            if self.nodes > self.budget:
                raise _OutOfBudget
            if k == 0:
                rest = ", ".join(m.show(o) for o in options[1:])
                self.note("try", f"No rule forces anything more (depth {depth}). Guess "
                          f"{m.cell(var)}={m.show(val)} (the other option{'s' if len(options) > 2 else ''}: {rest}).")
            else:
                self.note("try", f"Now try {m.cell(var)}={m.show(val)}.")
            child = list(vals)
            child[var] = val
            self.run(child, depth + 1)
            if len(self.solutions) >= self.cap:
                return
            if not self.solutions:
                self.note("backtrack", f"The guess {m.cell(var)}={m.show(val)} fails; back to "
                          f"the grid before it.", m.anchor(vals))


def search(model: Model, vals: list, cap: int = 2, budget: int = 200_000,
           record: bool = False) -> Result:
    """Propagate and branch from `vals`; raises `Rejected` when the node budget runs out."""
    s = _Search(model, cap, budget, record)
    try:
        s.run(list(vals), 0)
    except _OutOfBudget:
        raise Rejected("search budget exhausted") from None
    return Result(solutions=s.solutions, nodes=s.nodes, steps=s.steps + _tail(s))


def _tail(s: _Search) -> list[Step]:
    if not s.skipped:
        return []
    return [Step(kind="check", text=f"(The search went on through {s.skipped} more recorded "
                 "moments of the same kind before reaching the solution.)")]


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
    res = search(model, vals, cap=2, budget=budget)
    return len(res.solutions), res.solutions


# -- small shared helpers ---------------------------------------------------------------------

def rc(var: int, n: int) -> str:
    return f"({var // n},{var % n})"


def grid_text(vals: Sequence, n: int, show, blank: str = ".") -> str:
    cells = [blank if x is None else show(x) for x in vals[:n * n]]
    return "\n".join(" ".join(cells[r * n:(r + 1) * n]) for r in range(n))


def thick_borders(draw: ImageDraw.ImageDraw, x0: int, y0: int, region: Sequence[Sequence[int]],
                  cell: int, width: int = 4, fill=BLACK) -> None:
    """Thick lines wherever two neighbouring cells belong to different regions, and round the grid
    (`fill` 0 on a grey picture)."""
    h, w = len(region), len(region[0])
    for r in range(h):
        for c in range(w):
            x, y = x0 + c * cell, y0 + r * cell
            if c + 1 < w and region[r][c] != region[r][c + 1]:
                draw.line([(x + cell, y), (x + cell, y + cell)], fill=fill, width=width)
            if r + 1 < h and region[r][c] != region[r + 1][c]:
                draw.line([(x, y + cell), (x + cell, y + cell)], fill=fill, width=width)
    draw.rectangle([x0, y0, x0 + w * cell, y0 + h * cell], outline=fill, width=width)


def label(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
          fill=BLACK, anchor: str = "mm") -> None:
    draw.text(xy, text, font=font(size), fill=fill, anchor=anchor)


# -- fast grey pictures --------------------------------------------------------------------
# These pictures are black, grey and white: drawn in mode "L" and stored as an 8-bit palette
# PNG they skip the RGB quantisation (most of a picture's time), and cached glyph masks make
# a label cost a paste instead of a FreeType rendering.

def gray_canvas(width: int, height: int) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("L", (int(width), int(height)), 255)
    return image, ImageDraw.Draw(image)


def gray_png(image: Image.Image) -> bytes:
    return to_png(image.convert("P"))


@lru_cache(maxsize=4096)
def _glyph(text: str, size: int, anchor: str, fx: float, fy: float):
    return font(size).getmask2(text, mode="L", anchor=anchor, start=(fx, fy))


def gray_text(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, size: int,
              fill: int = 0, anchor: str = "mm") -> None:
    """`draw.text` on an "L" picture, pixel for pixel, from a cached mask."""
    x, y = xy
    ix, iy = int(x), int(y)
    mask, (ox, oy) = _glyph(text, size, anchor, x - ix, y - iy)
    draw.draw.draw_bitmap((ix + ox, iy + oy), mask, fill)
