"""Container with most water (algorithms; official label `ContainerWithMostWater`).

Vertical lines of given heights; two lines and the x-axis form a container holding
min(height) x distance units. The solver is the two-pointer sweep: moving the taller side inward can
never help, so the shorter side moves.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Solution, Step, Task, Variant
from generators.registry import register
from generators.render import BLUE, bar_chart


class Level(NamedTuple):
    min_length: int
    max_length: int
    max_height: int  # heights are 1..max_height


LEVELS = {
    1: Level(5, 10, 20),
    2: Level(10, 20, 40),
    3: Level(20, 30, 60),
    4: Level(30, 40, 80),
    5: Level(40, 70, 100),
}


class State(BaseModel):
    heights: list[int]


class ContainerWithMostWater(Task[State]):
    name = "container_with_most_water"
    category = "algorithms"
    official_name = "ContainerWithMostWater"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("Line i stands at x = i with height heights[i]. Two lines i < j together with the "
             "x-axis form a container holding min(heights[i], heights[j]) * (j - i) units of water "
             "(the container may not be tilted). Find the largest amount a container can hold.")
    answer_format = "a single integer, e.g. 18"

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, top = self.params(level)
        return State(heights=[rng.randint(1, top) for _ in range(rng.randint(low, high))])

    def solve(self, state: State) -> Solution:
        h = state.heights
        left, right, best, best_pair = 0, len(h) - 1, 0, (0, len(h) - 1)
        steps = [Step(kind="observe", text=f"There are {len(h)} lines. I start with the widest "
                      "container (both ends) and move the shorter line inward: keeping the shorter "
                      "line while narrowing can only lose water, so that line is done.",
                      anchor=f"heights = {h}")]
        while left < right:
            area = min(h[left], h[right]) * (right - left)
            pair = f"lines {left} and {right}: min({h[left]}, {h[right]}) * {right - left} = {area}"
            if area > best:
                best, best_pair = area, (left, right)
                pair += ", a new best"
            if h[left] < h[right]:
                left += 1
                pair += f"; line {left - 1} is shorter, move left inward"
            else:
                right -= 1
                pair += f"; line {right + 1} is not taller, move right inward"
            steps.append(Step(kind="deduce", text=pair,
                              anchor=f"left={left} right={right} best={best} "
                                     f"(lines {best_pair[0]}, {best_pair[1]})"))
        steps.append(Step(kind="check", text="The pointers met, so every pair that could beat the "
                          f"best was examined. The best container uses lines {best_pair[0]} and "
                          f"{best_pair[1]} and holds {best}."))
        steps.append(Step(kind="conclude", text=f"The largest container holds {best} units."))
        return Solution(answer=str(best), steps=steps, effort=len(h))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Container with most water. " + self.rules
        if variant == "image":
            body = ("The picture shows the lines as a bar chart; the number above each bar is its "
                    "height and the number below is its index (its x position).")
        else:
            body = f"The heights from left to right are: {state.heights}."
        return (f"{intro}\n\n{body}\n\nHow much water can the best container hold? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        return [bar_chart(state.heights, "Line heights", color=BLUE)]

    def initial_state(self, state: State) -> dict:
        return {"heights": list(state.heights)}


register(ContainerWithMostWater())
