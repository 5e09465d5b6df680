"""Skyscrapers (puzzles; official label `Skyscrapers`).

Fill an n x n grid with building heights 1..n, once per row and column, so that each clue around
the grid counts the buildings seen from there. Generation draws a random Latin square and computes
all 4n clues; full clue sets leave most 6x6 and 7x7 grids ambiguous, so a few cells are given until
line checks alone fix the grid (unique by construction), then clues are hidden one by one wherever
no other grid would fit without them. The solver narrows every row and column to the arrangements
that fit its clues and candidates, and guesses when that stalls.
"""

from __future__ import annotations

import random
from functools import lru_cache

from PIL import Image, ImageDraw
from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._gridA import OverBudget, list_rows, random_latin
from generators.puzzles._sky import (SkySearch, add_givens, can_hide, clues_of, count_solutions,
                                     framed)
from generators.registry import register
from generators.render import font, to_png

# level: (n, clues tried for hiding); more hidden clues leave more to search
LEVELS = {
    1: (3, 12),
    2: (4, 16),
    3: (5, 16),
    4: (6, 14),
    5: (7, 12),
}
COUNT_BUDGET = 4000
GIVEN_SHADE = 215   # grey level behind a given height
CELL = 40           # pixels per cell in the picture


class State(BaseModel):
    n: int
    top: list[int]                    # seen looking down each column, left to right; 0 = no clue
    bottom: list[int]                 # seen looking up each column
    left: list[int]                   # seen looking right along each row, top to bottom
    right: list[int]                  # seen looking left along each row
    grid: list[list[int]]             # given heights, 0 = empty

    def clues(self) -> tuple[list[int], list[int], list[int], list[int]]:
        return self.top, self.bottom, self.left, self.right


class Skyscrapers(Task[State]):
    name = "skyscrapers"
    category = "puzzles"
    official_name = "Skyscrapers"
    levels = LEVELS
    unique = True            # every instance is proved unique; still judged by the rules
    rules = ("Fill the n x n grid with building heights 1 to n so that every row and every column "
             "holds each height exactly once. A number outside the grid says how many buildings "
             "are visible from there, looking along that row or column: a building hides every "
             "shorter one behind it. Where there is no number (0), there is no constraint. Heights "
             "given inside the grid stay.")
    answer_format = "the completed grid as a list of rows, e.g. [[3, 2, 1], [1, 3, 2], [2, 1, 3]]"

    def generate(self, rng: random.Random, level: int) -> State:
        n, tries = self.params(level)
        truth = random_latin(rng, n)
        clues = clues_of(truth)
        givens = add_givens(n, clues, truth, rng)
        spots = [(side, k) for side in range(4) for k in range(n)]
        for side, k in rng.sample(spots, min(tries, len(spots))):
            if can_hide(n, clues, givens, side, k, COUNT_BUDGET):
                clues[side][k] = 0
        top, bottom, left, right = clues
        return State(n=n, top=top, bottom=bottom, left=left, right=right, grid=givens)

    def solve(self, state: State) -> Solution:
        n = state.n
        solver = SkySearch(n, state.clues(), state.grid)
        shown = sum(1 for side in state.clues() for v in side if v)
        given = sum(1 for row in state.grid for v in row if v)
        solver.steps.append(Step(
            kind="observe", text=f"A {n}x{n} grid with {shown} of {4 * n} clues and {given} given "
            "heights (rows and columns from 0; the clues are drawn around the grid, . = none). "
            "Each row and column is an arrangement of 1.."
            f"{n}; I keep only arrangements that fit its clues and the candidates.",
            anchor=framed(n, state.clues(), state.grid)))
        notes = solver.clue_bounds()
        if notes:
            solver.steps.append(Step(kind="deduce", text="Clue bounds: " + "; ".join(notes) + ".",
                                     anchor=solver.anchor()))
        if not solver.solve():
            raise Rejected("no solution")
        try:
            count, _ = count_solutions(n, state.clues(), state.grid, COUNT_BUDGET)
        except OverBudget:
            count = None
        answer = list_rows(solver.grid())
        solver.steps.append(Step(kind="check", text=f"Every row and column holds 1..{n} once, the "
                                 "givens are kept and every clue counts the buildings seen.",
                                 anchor=framed(n, state.clues(), solver.grid())))
        solver.steps.append(Step(kind="conclude", text=f"The grid is {answer}."))
        return Solution(answer=answer, steps=solver.steps, num_solutions=count,
                        effort=solver.nodes + solver.placements)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Skyscrapers. " + self.rules
        given = any(v for row in state.grid for v in row)
        if variant == "image":
            body = ("The picture shows the grid with its clues along the four sides (where a "
                    "row or column shows no number at a side, there is no clue)"
                    + ("; the bold numbers on grey cells are given heights." if given else "."))
        else:
            def line(values: list[int]) -> str:
                return " ".join(map(str, values))
            body = (f"n = {state.n}. Clues (0 = no clue):\n"
                    f"top (looking down each column, left to right): {line(state.top)}\n"
                    f"bottom (looking up each column, left to right): {line(state.bottom)}\n"
                    f"left (looking right along each row, top to bottom): {line(state.left)}\n"
                    f"right (looking left along each row, top to bottom): {line(state.right)}")
            if given:
                body += ("\nGiven heights row by row (0 = empty):\n"
                         + "\n".join(line(row) for row in state.grid))
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        # greyscale: black on white needs no colour, and an "L" picture skips the palette
        # quantisation that was half the drawing time of an RGB one
        n = state.n
        x0 = y0 = CELL
        image = Image.new("L", ((n + 2) * CELL, (n + 2) * CELL), 255)
        draw = ImageDraw.Draw(image)
        for r, row in enumerate(state.grid):
            for c, v in enumerate(row):
                if v:  # givens: bold on a grey cell
                    x, y = x0 + c * CELL, y0 + r * CELL
                    draw.rectangle((x, y, x + CELL, y + CELL), fill=GIVEN_SHADE)
                    image.paste(0, (x, y, x + CELL, y + CELL), _glyph(str(v), True))
        for k in range(n + 1):
            edge = 3 if k in (0, n) else 1
            draw.line([(x0, y0 + k * CELL), (x0 + n * CELL, y0 + k * CELL)], fill=0, width=edge)
            draw.line([(x0 + k * CELL, y0), (x0 + k * CELL, y0 + n * CELL)], fill=0, width=edge)
        for k in range(n):
            for v, (r, c) in ((state.top[k], (-1, k)), (state.bottom[k], (n, k)),
                              (state.left[k], (k, -1)), (state.right[k], (k, n))):
                if v:
                    x, y = x0 + c * CELL, y0 + r * CELL
                    image.paste(0, (x, y, x + CELL, y + CELL), _glyph(str(v), False))
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"n": state.n, "top": list(state.top), "bottom": list(state.bottom),
                "left": list(state.left), "right": list(state.right),
                "grid": [list(row) for row in state.grid]}


@lru_cache(maxsize=64)
def _glyph(text: str, bold: bool) -> Image.Image:
    """A number centred in a cell-sized mask, drawn once and pasted (ten times cheaper than
    rasterising the text at every use)."""
    mask = Image.new("L", (CELL, CELL), 0)
    ImageDraw.Draw(mask).text((CELL / 2, CELL / 2), text, fill=255, font=font(22 if bold else 21),
                              anchor="mm", stroke_width=1 if bold else 0, stroke_fill=255)
    return mask


register(Skyscrapers())
