"""Count hills and valleys (algorithms; official label `CountHillsAndValleys`).

LeetCode 2210's definition: an index is part of a hill (valley) when its closest non-equal
neighbours on both sides are lower (higher); equal adjacent indices belong to the same hill or
valley. The solver scans left to right, skipping plateau repeats and looking outward for the
closest different neighbours.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import ORANGE, bar_chart


class Level(NamedTuple):
    min_length: int
    max_length: int
    max_value: int  # values are 1..max_value


LEVELS = {
    1: Level(5, 10, 20),
    2: Level(10, 20, 40),
    3: Level(20, 30, 60),
    4: Level(30, 40, 80),
    5: Level(40, 70, 100),
}
PLATEAU = 0.2  # chance that a value repeats its left neighbour, so plateaus occur at every level


class State(BaseModel):
    terrain: list[int]


class CountHillsAndValleys(Task[State]):
    name = "count_hills_and_valleys"
    category = "algorithms"
    official_name = "CountHillsAndValleys"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("An index i is part of a hill if its closest non-equal neighbours on the left and on "
             "the right are both smaller than terrain[i], and part of a valley if both are larger. "
             "Adjacent equal indices belong to the same hill or valley, which counts once. An index "
             "needs a non-equal neighbour on both sides to be part of either (so the first and last "
             "plateaus never count). Count the hills plus the valleys.")
    answer_format = "a single integer, e.g. 3"

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, top = self.params(level)
        terrain = [rng.randint(1, top)]
        for _ in range(rng.randint(low, high) - 1):
            terrain.append(terrain[-1] if rng.random() < PLATEAU else rng.randint(1, top))
        if _count(terrain) == 0:
            raise Rejected("no hill or valley")
        return State(terrain=terrain)

    def solve(self, state: State) -> Solution:
        t = state.terrain
        hills = valleys = 0
        steps = [Step(kind="observe", text=f"There are {len(t)} values. I scan left to right; an "
                      "index equal to its left neighbour belongs to that neighbour's hill or valley "
                      "and is skipped, otherwise I compare it with its closest different "
                      "neighbours.", anchor=f"terrain = {t}")]
        for i in range(1, len(t) - 1):
            if t[i] == t[i - 1]:
                steps.append(Step(kind="deduce", text=f"index {i}: {t[i]} equals index {i - 1}, "
                                  "same plateau, already judged",
                                  anchor=f"i={i} hills={hills} valleys={valleys}"))
                continue
            left = t[i - 1]
            j = i + 1
            while j < len(t) and t[j] == t[i]:
                j += 1
            if j == len(t):
                text = f"index {i}: {t[i]} runs to the end with no different right neighbour"
            else:
                right = t[j]
                where = f"left {left}, right {right} (index {j})"
                if left < t[i] > right:
                    hills += 1
                    text = f"index {i}: {t[i]} with {where}: both smaller, a hill"
                elif left > t[i] < right:
                    valleys += 1
                    text = f"index {i}: {t[i]} with {where}: both larger, a valley"
                else:
                    text = f"index {i}: {t[i]} with {where}: a slope, neither"
            steps.append(Step(kind="deduce", text=text,
                              anchor=f"i={i} hills={hills} valleys={valleys}"))
        total = hills + valleys
        steps.append(Step(kind="check", text=f"The scan is complete: {hills} hills + {valleys} "
                          f"valleys = {total}."))
        steps.append(Step(kind="conclude", text=f"There are {total} hills and valleys."))
        return Solution(answer=str(total), steps=steps, effort=len(t))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Count hills and valleys. " + self.rules
        if variant == "image":
            body = ("The picture shows the terrain as a bar chart; the number above each bar is "
                    "its value and the number below is its index.")
        else:
            body = f"The terrain values from left to right are: {state.terrain}."
        return (f"{intro}\n\n{body}\n\nHow many hills and valleys are there in total? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        return [bar_chart(state.terrain, "Terrain values", color=ORANGE)]

    def initial_state(self, state: State) -> dict:
        return {"terrain": list(state.terrain)}


def _count(t: list[int]) -> int:
    runs = [v for i, v in enumerate(t) if i == 0 or v != t[i - 1]]
    return sum(1 for a, b, c in zip(runs, runs[1:], runs[2:]) if (a < b > c) or (a > b < c))


register(CountHillsAndValleys())
