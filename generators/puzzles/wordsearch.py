"""Word search (puzzles; official label `wordsearch`).

Find where one given word is hidden in a square letter grid, reading in one of eight directions.
The generator writes the word at a random start and direction, fills the rest with random letters
plus decoys (the word's opening letters written elsewhere, so that scanning meets near misses),
and keeps the draw only if the word can be read exactly once in the whole grid. The solver scans
every cell holding the first letter and follows each direction until the letters disagree.
"""

from __future__ import annotations

import random
import string
from typing import NamedTuple

from PIL import Image, ImageDraw
from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._words import all_words
from generators.registry import register
from generators.puzzles._path import stamp
from generators.render import cell_center, grid, text_center, to_png


class Level(NamedTuple):
    side: int
    shortest_word: int  # letters
    longest_word: int
    decoys: int


LEVELS = {
    1: Level(5, 4, 5, 1),
    2: Level(7, 5, 7, 2),
    3: Level(10, 6, 9, 3),
    4: Level(12, 7, 10, 4),
    5: Level(15, 8, 10, 6),
}
# direction name -> (row step, column step); N is up
DIRECTIONS = {"N": (-1, 0), "NE": (-1, 1), "E": (0, 1), "SE": (1, 1),
              "S": (1, 0), "SW": (1, -1), "W": (0, -1), "NW": (-1, -1)}
PLACEMENT_TRIES = 50


class State(BaseModel):
    grid: list[str]          # rows of capital letters
    word: str                # capital letters
    row: int                 # 0-based row of the first letter
    col: int                 # 0-based column of the first letter
    direction: str


class WordSearch(Task[State]):
    name = "wordsearch"
    category = "puzzles"
    official_name = "wordsearch"
    score_function = "wordsearch_evaluator"
    levels = LEVELS
    rules = ("A word is hidden in the letter grid along a straight line in one of eight directions: "
             "N (up), NE, E (right), SE, S (down), SW, W (left) or NW. It can be read exactly once. "
             "Give the word, its direction, and the position of its first letter as (x, y), where "
             "x is the column and y the row, both counted from 1 at the top-left corner.")
    answer_format = "WORD DIRECTION @ (x,y), e.g. ELEPHANT NE @ (5,14)"
    unique = True           # the official score compares with the stored position

    def generate(self, rng: random.Random, level: int) -> State:
        n, shortest, longest, decoys = self.params(level)
        pool = [w for w in all_words() if shortest <= len(w) <= longest]
        word = rng.choice(pool).upper()
        if word == word[::-1]:
            raise Rejected("palindrome: it reads twice")
        direction = rng.choice(sorted(DIRECTIONS))
        starts = _starts(n, len(word), direction)
        row, col = rng.choice(starts)
        cells = [[rng.choice(string.ascii_uppercase) for _ in range(n)] for _ in range(n)]
        taken = _write(cells, word, row, col, direction)
        for _ in range(decoys):
            _place_decoy(rng, cells, word, taken)
        rows = ["".join(r) for r in cells]
        if len(_readings(rows, word)) != 1:
            raise Rejected("the word can be read more than once")
        return State(grid=rows, word=word, row=row, col=col, direction=direction)

    def solve(self, state: State) -> Solution:
        rows, word = state.grid, state.word
        n = len(rows)
        steps = [Step(kind="observe",
                      text=f"The grid is {n} x {n}; I look for {word} ({len(word)} letters). I scan "
                           f"the cells row by row for its first letter {word[0]} and follow each "
                           "of the eight directions while the letters agree.",
                      anchor="\n".join(" ".join(r) for r in rows))]
        comparisons, found = 0, []
        for r in range(n):
            for c in range(n):
                comparisons += 1
                if rows[r][c] != word[0]:
                    continue
                steps.append(Step(kind="try", text=f"{word[0]} at (x={c + 1}, y={r + 1}): follow "
                                  "all eight directions."))
                for name in sorted(DIRECTIONS):
                    comparisons += self._follow(rows, word, r, c, name, steps, found)
        if len(found) != 1:
            raise Rejected("the word does not read exactly once")
        r, c, name = found[0]
        steps.append(Step(kind="conclude", text=f"The scan of all {n * n} cells found {word} "
                          f"exactly once: first letter at column {c + 1}, row {r + 1}, "
                          f"direction {name}."))
        return Solution(answer=f"{word} {name} @ ({c + 1},{r + 1})", steps=steps,
                        num_solutions=len(found), effort=comparisons)

    @staticmethod
    def _follow(rows: list[str], word: str, r: int, c: int, name: str, steps: list[Step],
                found: list[tuple[int, int, str]]) -> int:
        """Read from (r, c) towards `name` while the letters agree; note near misses. Returns the
        number of letters compared."""
        n, (dr, dc) = len(rows), DIRECTIONS[name]
        where = f"From (x={c + 1}, y={r + 1}) going {name}"
        for k in range(1, len(word)):
            rr, cc = r + k * dr, c + k * dc
            if not (0 <= rr < n and 0 <= cc < n):
                if k >= 2:
                    steps.append(Step(kind="dead_end", text=f"{where}: {word[:k]} runs into the "
                                      "edge of the grid.", anchor=word[:k]))
                return k - 1
            if rows[rr][cc] != word[k]:
                if k >= 2:
                    steps.append(Step(kind="dead_end", text=f"{where}: {word[:k]} is followed by "
                                      f"{rows[rr][cc]}, not {word[k]}.",
                                      anchor=word[:k] + rows[rr][cc].lower()))
                return k
        found.append((r, c, name))
        steps.append(Step(kind="check", text=f"{where} the letters read {word}: the whole word.",
                          anchor=word))
        return len(word) - 1

    def question(self, state: State, variant: Variant) -> str:
        n = len(state.grid)
        intro = f"Word search ({n} x {n}). Find the word {state.word}. {self.rules}"
        if variant == "image":
            body = ("The picture shows the letter grid with the column numbers (x) along the top "
                    "and the row numbers (y) down the left side; the word to find is written "
                    "above the grid.")
        else:
            body = "The grid, row by row from the top (y = 1 first):\n" + "\n".join(
                " ".join(row) for row in state.grid)
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n = len(state.grid)
        cell = 34 if n <= 10 else 30
        left, top = 34, 70
        # greyscale: a third of the bytes to compress, and nothing here needs colour
        image = Image.new("L", (max(left + n * cell + 20, 260), top + n * cell + 20), 255)
        draw = ImageDraw.Draw(image)
        text_center(draw, (image.width / 2, 22), f"Find: {state.word}", 20, fill=0)
        grid(draw, left, top, n, n, cell, line=150)
        for i in range(n):
            stamp(image, (left + (i + 0.5) * cell, top - 12), str(i + 1), 12, 120)
            stamp(image, (left - 14, top + (i + 0.5) * cell), str(i + 1), 12, 120)
        for r, row in enumerate(state.grid):
            for c, ch in enumerate(row):
                stamp(image, cell_center(left, top, r, c, cell), ch, 18, 0)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"grid": [list(row) for row in state.grid], "word": state.word}


def _starts(n: int, length: int, direction: str) -> list[tuple[int, int]]:
    dr, dc = DIRECTIONS[direction]
    return [(r, c) for r in range(n) for c in range(n)
            if 0 <= r + (length - 1) * dr < n and 0 <= c + (length - 1) * dc < n]


def _write(cells: list[list[str]], text: str, row: int, col: int, direction: str) -> set:
    dr, dc = DIRECTIONS[direction]
    spots = {(row + k * dr, col + k * dc) for k in range(len(text))}
    for k, ch in enumerate(text):
        cells[row + k * dr][col + k * dc] = ch
    return spots


def _place_decoy(rng: random.Random, cells: list[list[str]], word: str, taken: set) -> None:
    """Write the word minus its last one or two letters somewhere off the answer's cells."""
    n = len(cells)
    stub = word[:len(word) - rng.randint(1, 2)]
    for _ in range(PLACEMENT_TRIES):
        direction = rng.choice(sorted(DIRECTIONS))
        starts = _starts(n, len(stub), direction)
        if not starts:
            return
        row, col = rng.choice(starts)
        dr, dc = DIRECTIONS[direction]
        if all((row + k * dr, col + k * dc) not in taken for k in range(len(stub))):
            _write(cells, stub, row, col, direction)
            return


def _readings(rows: list[str], word: str) -> list[tuple[int, int, str]]:
    """Every (row, col, direction) from which the word reads in full."""
    n = len(rows)
    out = []
    for r in range(n):
        for c in range(n):
            if rows[r][c] != word[0]:
                continue
            for name, (dr, dc) in DIRECTIONS.items():
                end_r, end_c = r + (len(word) - 1) * dr, c + (len(word) - 1) * dc
                if 0 <= end_r < n and 0 <= end_c < n and all(
                        rows[r + k * dr][c + k * dc] == word[k] for k in range(len(word))):
                    out.append((r, c, name))
    return out


register(WordSearch())
