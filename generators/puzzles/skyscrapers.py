"""Skyscrapers (puzzles; official label `Skyscrapers`).

Fill an n x n grid with building heights 1..n, once per row and column, so that each clue around
the grid counts the buildings seen from there. As in the official benchmark the puzzle is the four
clue lists alone, all 4n clues shown, no heights given inside the grid. The official generator
does not check that its clues fix one grid; helix does: it draws random Latin squares until one's
full clue set admits no other grid (a capped solution count, 2 = ambiguous), so every instance is
unique and solvable from the clues alone. Full clue sets fix the grid for about 1 in 15 random
6x6 squares and 1 in 450 7x7 ones, hence the draws per attempt in the level table (a 7x7
instance costs about 0.4 s: some 450 draws, each with a capped count). The solver narrows every
row and column to the arrangements that fit its clues and candidates, and guesses when that
stalls.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from PIL import Image, ImageDraw
from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._digit_grid import list_rows, random_latin
from generators.search import OverBudget
from generators.puzzles._skyscraper_lines import SkySearch, clues_of, count_solutions, framed
from generators.registry import register
from generators.render import font, to_png


# Measured share of unique full clue sets: n=3 all, 4 about 1/2, 5 about 1/3, 6 about 1/15, 7 about
# 1/450, so with these draws an attempt fails with probability about 1e-4 or less (make_instance
# then draws again).
class Level(NamedTuple):
    side: int
    draws: int  # Latin squares drawn per attempt until one's full clue set is unique


LEVELS = {
    1: Level(3, 8),
    2: Level(4, 20),
    3: Level(5, 30),
    4: Level(6, 200),
    5: Level(7, 4000),
}
COUNT_BUDGET = 4000
CELL = 40           # pixels per cell in the picture


class State(BaseModel):
    n: int
    top: list[int]                    # seen looking down each column, left to right; 0 = no clue
    bottom: list[int]                 # seen looking up each column
    left: list[int]                   # seen looking right along each row, top to bottom
    right: list[int]                  # seen looking left along each row

    def clues(self) -> tuple[list[int], list[int], list[int], list[int]]:
        return self.top, self.bottom, self.left, self.right


class Skyscrapers(Task[State]):
    name = "skyscrapers"
    category = "puzzles"
    official_name = "Skyscrapers"
    score_function = "skyscrapers_evaluator"
    version = 2  # the official puzzle: the four clue lists only, no given heights
    levels = LEVELS
    unique = True            # every instance is proved unique; still judged by the rules
    rules = ("Fill the n x n grid with skyscrapers of heights 1 to n: every row and every column "
             "contains each height exactly once. The numbers around the grid say how many "
             "skyscrapers are visible when looking from that side along the row or column; "
             "taller buildings hide shorter ones behind them.")
    answer_format = "the completed grid as a list of rows, e.g. [[3, 2, 1], [1, 3, 2], [2, 1, 3]]"

    def generate(self, rng: random.Random, level: int) -> State:
        n, draws = self.params(level)
        for _ in range(draws):
            clues = clues_of(random_latin(rng, n))
            try:
                found, _ = count_solutions(n, clues, None, COUNT_BUDGET)
            except OverBudget:
                continue
            if found == 1:
                top, bottom, left, right = clues
                return State(n=n, top=top, bottom=bottom, left=left, right=right)
        raise Rejected("no drawn grid is fixed by its clues alone")

    def solve(self, state: State) -> Solution:
        n = state.n
        empty = [[0] * n for _ in range(n)]
        solver = SkySearch(n, state.clues(), None)
        shown = sum(1 for side in state.clues() for v in side if v)
        solver.steps.append(Step(
            kind="observe", text=f"A {n}x{n} grid with {shown} of {4 * n} clues around it and no "
            "heights inside (rows and columns from 0; . = empty). Each row and column is an "
            f"arrangement of 1..{n}; I keep only arrangements that fit its clues and the "
            "candidates.",
            anchor=framed(n, state.clues(), empty)))
        notes = solver.clue_bounds()
        if notes:
            solver.steps.append(Step(kind="deduce", text="Clue bounds: " + "; ".join(notes) + ".",
                                     anchor=solver.anchor()))
        if not solver.solve():
            raise Rejected("no solution")
        try:
            count, _ = count_solutions(n, state.clues(), None, COUNT_BUDGET)
        except OverBudget:
            count = None
        answer = list_rows(solver.grid())
        solver.steps.append(Step(kind="check", text=f"Every row and column holds 1..{n} once and "
                                 "every clue counts the buildings seen.",
                                 anchor=framed(n, state.clues(), solver.grid())))
        solver.steps.append(Step(kind="conclude", text=f"The grid is {answer}."))
        return Solution(answer=answer, steps=solver.steps, num_solutions=count,
                        effort=solver.nodes + solver.placements)

    def question(self, state: State, variant: Variant) -> str:
        intro = f"Skyscrapers on a {state.n} x {state.n} grid (n = {state.n}). {self.rules}"
        if variant == "image":
            body = "The picture shows the empty grid with its clues along the four sides."
        else:
            def line(values: list[int]) -> str:
                return " ".join(map(str, values))
            none = " (0 = no clue)" if any(0 in side for side in state.clues()) else ""
            body = (f"Clues{none}:\n"
                    f"top (looking down each column, left to right): {line(state.top)}\n"
                    f"bottom (looking up each column, left to right): {line(state.bottom)}\n"
                    f"left (looking right along each row, top to bottom): {line(state.left)}\n"
                    f"right (looking left along each row, top to bottom): {line(state.right)}")
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        # greyscale: black on white needs no colour, and an "L" picture skips the palette
        # quantisation that was half the drawing time of an RGB one
        n = state.n
        x0 = y0 = CELL
        image = Image.new("L", ((n + 2) * CELL, (n + 2) * CELL), 255)
        draw = ImageDraw.Draw(image)
        for k in range(n + 1):
            edge = 3 if k in (0, n) else 1
            draw.line([(x0, y0 + k * CELL), (x0 + n * CELL, y0 + k * CELL)], fill=0, width=edge)
            draw.line([(x0 + k * CELL, y0), (x0 + k * CELL, y0 + n * CELL)], fill=0, width=edge)
        for k in range(n):
            for v, (r, c) in ((state.top[k], (-1, k)), (state.bottom[k], (n, k)),
                              (state.left[k], (k, -1)), (state.right[k], (k, n))):
                if v:
                    x, y = x0 + c * CELL, y0 + r * CELL
                    image.paste(0, (x, y, x + CELL, y + CELL), _glyph(str(v)))
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"n": state.n, "top": list(state.top), "bottom": list(state.bottom),
                "left": list(state.left), "right": list(state.right)}


@lru_cache(maxsize=64)
def _glyph(text: str) -> Image.Image:
    """A number centred in a cell-sized mask, drawn once and pasted (ten times cheaper than
    rasterising the text at every use)."""
    mask = Image.new("L", (CELL, CELL), 0)
    ImageDraw.Draw(mask).text((CELL / 2, CELL / 2), text, fill=255, font=font(21), anchor="mm")
    return mask


register(Skyscrapers())
