"""Trapping rain water (algorithms; official label `trapping_rain_water`).

Given bar heights of width 1, how much water stays between the bars after rain. The solver is the
two-pointer sweep: the lower side's running maximum bounds the water above the bar at that side.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import LIGHT_BLUE, bar_chart


class Level(NamedTuple):
    min_length: int
    max_length: int
    max_height: int  # heights are 0..max_height


LEVELS = {
    1: Level(5, 10, 20),
    2: Level(10, 20, 40),
    3: Level(20, 30, 60),
    4: Level(30, 40, 80),
    5: Level(40, 70, 100),
}


class State(BaseModel):
    height: list[int]


class TrappingRainWater(Task[State]):
    name = "trapping_rain_water"
    category = "algorithms"
    official_name = "trapping_rain_water"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("Each bar has width 1. After rain, the water above a bar rises to the smaller of the "
             "tallest bar on its left and the tallest bar on its right; water above the edges "
             "runs off. Count the total units of trapped water.")
    answer_format = "a single integer, e.g. 45"

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, top = self.params(level)
        n = rng.randint(low, high)
        height = [rng.randint(0, top) for _ in range(n)]
        if _water(height) == 0:
            raise Rejected("no water trapped")
        return State(height=height)

    def solve(self, state: State) -> Solution:
        h = state.height
        left, right = 0, len(h) - 1
        left_max = right_max = water = 0
        steps = [Step(kind="observe", text=f"There are {len(h)} bars. I sweep two pointers inward "
                      "from both ends, always moving the side with the lower bar, because that "
                      "side's running maximum bounds its water.",
                      anchor=f"height = {h}")]
        while left < right:
            if h[left] < h[right]:
                i = left
                if h[i] >= left_max:
                    left_max = h[i]
                    text = f"left pointer at {i}: height {h[i]} is a new left maximum, no water here"
                else:
                    gain = left_max - h[i]
                    water += gain
                    text = f"left pointer at {i}: left max {left_max} - height {h[i]} = {gain} units"
                left += 1
            else:
                i = right
                if h[i] >= right_max:
                    right_max = h[i]
                    text = f"right pointer at {i}: height {h[i]} is a new right maximum, no water here"
                else:
                    gain = right_max - h[i]
                    water += gain
                    text = f"right pointer at {i}: right max {right_max} - height {h[i]} = {gain} units"
                right -= 1
            steps.append(Step(kind="deduce", text=text,
                              anchor=f"left={left} right={right} left_max={left_max} "
                                     f"right_max={right_max} water={water}"))
        steps.append(Step(kind="check", text="The pointers met; every bar between the ends was "
                          f"counted once. Total trapped water = {water}."))
        steps.append(Step(kind="conclude", text=f"The bars trap {water} units of water."))
        return Solution(answer=str(water), steps=steps, effort=len(h))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Trapping rain water. " + self.rules
        if variant == "image":
            body = ("The picture shows the elevation map as a bar chart; the number above each "
                    "bar is its height and the number below is its index.")
        else:
            body = f"The bar heights from left to right are: {state.height}."
        return f"{intro}\n\n{body}\n\nHow many units of water are trapped? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        return [bar_chart(state.height, "Elevation map (bar heights)", color=LIGHT_BLUE)]

    def initial_state(self, state: State) -> dict:
        return {"height": list(state.height)}


def _water(h: list[int]) -> int:
    left_max = right_max = water = 0
    left, right = 0, len(h) - 1
    while left < right:
        if h[left] < h[right]:
            left_max = max(left_max, h[left])
            water += left_max - h[left]
            left += 1
        else:
            right_max = max(right_max, h[right])
            water += right_max - h[right]
            right -= 1
    return water


register(TrappingRainWater())
