"""Longest increasing subsequence (algorithms; official label `longest_increasing_subsequence`).

The length of the longest strictly increasing subsequence. The solver is patience sorting:
tails[k] is the smallest value that ends an increasing subsequence of length k + 1; each value
replaces the first tail that is >= it (binary search) or extends the list.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Solution, Step, Task, Variant
from generators.registry import register
from generators.render import GREEN, bar_chart


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


class State(BaseModel):
    sequence: list[int]


class LongestIncreasingSubsequence(Task[State]):
    name = "longest_increasing_subsequence"
    category = "algorithms"
    official_name = "longest_increasing_subsequence"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("A subsequence keeps some elements of the sequence in their original order (not "
             "necessarily adjacent). It is increasing when every element is strictly larger than "
             "the one before it. Find the length of the longest increasing subsequence.")
    answer_format = "a single integer (the length), e.g. 3"

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, top = self.params(level)
        return State(sequence=[rng.randint(1, top) for _ in range(rng.randint(low, high))])

    def solve(self, state: State) -> Solution:
        seq = state.sequence
        steps = [Step(kind="observe", text=f"There are {len(seq)} values. I keep tails[k] = the "
                      "smallest value that can end an increasing subsequence of length k + 1; the "
                      "list stays sorted, so each value finds its place by binary search.",
                      anchor=f"sequence = {seq}")]
        tails: list[int] = []
        for i, v in enumerate(seq):
            k = bisect_left(tails, v)  # first tail >= v: v cannot extend it (strictly increasing)
            if k == len(tails):
                tails.append(v)
                text = (f"index {i}: {v} is larger than every tail, so it extends the longest "
                        f"subsequence to length {len(tails)}")
            else:
                text = (f"index {i}: {v} replaces tail {tails[k]} at length {k + 1} (a smaller "
                        "end leaves more room)")
                tails[k] = v
            steps.append(Step(kind="deduce", text=text, anchor=f"tails = {tails}"))
        steps.append(Step(kind="check", text=f"All values placed; the tails list has {len(tails)} "
                          f"entries, so the longest increasing subsequence has length {len(tails)}."))
        steps.append(Step(kind="conclude", text=f"The length is {len(tails)}."))
        return Solution(answer=str(len(tails)), steps=steps, effort=len(seq))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Longest increasing subsequence. " + self.rules
        if variant == "image":
            body = ("The picture shows the sequence as a bar chart; the number above each bar is "
                    "the value and the number below is its index.")
        else:
            body = f"The sequence is: {state.sequence}."
        return (f"{intro}\n\n{body}\n\nHow long is the longest increasing subsequence? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        return [bar_chart(state.sequence, "Sequence values", color=GREEN)]

    def initial_state(self, state: State) -> dict:
        return {"sequence": list(state.sequence)}


register(LongestIncreasingSubsequence())
