"""Largest rectangle in histogram (algorithms; official label `LargestRectangleInHistogram`).

Bars of width 1; the largest axis-parallel rectangle inside the histogram. The solver is the
monotonic stack: bar indices with increasing heights; a lower bar pops every taller bar, whose
rectangle then spans from the bar below it on the stack to the current index.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Solution, Step, Task, Variant
from generators.registry import register
from generators.render import ORANGE, bar_chart


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


class LargestRectangleInHistogram(Task[State]):
    name = "largest_rectangle_in_histogram"
    category = "algorithms"
    official_name = "LargestRectangleInHistogram"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("The histogram has adjacent bars of width 1 and heights heights[i]. A rectangle "
             "inside it covers consecutive bars i..j and is as tall as the lowest of them, so its "
             "area is min(heights[i..j]) * (j - i + 1). Find the largest such area.")
    answer_format = "a single integer, e.g. 20"

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, top = self.params(level)
        return State(heights=[rng.randint(1, top) for _ in range(rng.randint(low, high))])

    def solve(self, state: State) -> Solution:
        h = state.heights
        n = len(h)
        steps = [Step(kind="observe", text=f"There are {n} bars. I keep a stack of bar indices with "
                      "increasing heights. When a lower bar (or the end, height 0) arrives, each "
                      "taller bar popped is the lowest bar of a rectangle reaching from just after "
                      "the bar below it on the stack to just before the current index.",
                      anchor=f"heights = {h}")]
        stack: list[int] = []
        best, best_span = 0, (0, 0)
        for i in range(n + 1):
            current = h[i] if i < n else 0
            popped = []
            while stack and h[stack[-1]] >= current:
                top = stack.pop()
                left = stack[-1] + 1 if stack else 0
                area = h[top] * (i - left)
                note = f"bar {top} (height {h[top]}) spans {left}..{i - 1}: area {area}"
                if area > best:
                    best, best_span = area, (left, i - 1)
                    note += ", a new best"
                popped.append(note)
            where = f"index {i} (height {current})" if i < n else "the end (height 0)"
            text = f"{where}: " + ("; ".join(popped) if popped else "taller than the stack top, push")
            if i < n:
                stack.append(i)
            anchor = f"stack = {[(j, h[j]) for j in stack]} best={best}"
            steps.append(Step(kind="deduce", text=text, anchor=anchor))
        steps.append(Step(kind="check", text=f"Every bar was popped once, so every maximal "
                          f"rectangle was measured. The best spans bars {best_span[0]}.."
                          f"{best_span[1]} with area {best}."))
        steps.append(Step(kind="conclude", text=f"The largest rectangle has area {best}."))
        return Solution(answer=str(best), steps=steps, effort=n)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Largest rectangle in histogram. " + self.rules
        if variant == "image":
            body = ("The picture shows the histogram; the number above each bar is its height and "
                    "the number below is its index.")
        else:
            body = f"The bar heights from left to right are: {state.heights}."
        return (f"{intro}\n\n{body}\n\nWhat is the area of the largest rectangle? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        return [bar_chart(state.heights, "Histogram (bar heights)", color=ORANGE)]

    def initial_state(self, state: State) -> dict:
        return {"heights": list(state.heights)}


register(LargestRectangleInHistogram())
