"""H-index (algorithms; official label `HIndex`).

A researcher's citations per paper; the h-index is the largest h such that h papers have at least
h citations each. The solver sorts the counts in descending order and walks down the ranks until
the count at rank r (1-based) drops below r.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import BLUE, bar_chart


class Level(NamedTuple):
    min_papers: int
    max_papers: int
    max_citations: int  # citations per paper are 0..max_citations


LEVELS = {
    1: Level(5, 10, 20),
    2: Level(10, 20, 40),
    3: Level(20, 30, 60),
    4: Level(30, 40, 80),
    5: Level(40, 70, 100),
}


class State(BaseModel):
    citations: list[int]


class HIndex(Task[State]):
    name = "h_index"
    category = "algorithms"
    official_name = "HIndex"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("citations[i] is the number of citations of a researcher's i-th paper. The h-index "
             "is the largest number h such that the researcher has at least h papers with at "
             "least h citations each. Find the h-index.")
    answer_format = "a single integer, e.g. 5"

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, top = self.params(level)
        citations = [rng.randint(0, top) for _ in range(rng.randint(low, high))]
        if max(citations) == 0:
            raise Rejected("no citations: h = 0")
        return State(citations=citations)

    def solve(self, state: State) -> Solution:
        ranked = sorted(state.citations, reverse=True)
        steps = [Step(kind="observe", text=f"There are {len(ranked)} papers. Sorted by citations "
                      "in descending order, the paper at rank r (1-based) has at least as many "
                      "citations as every paper after it, so h is the last rank r whose paper has "
                      "at least r citations.", anchor=f"sorted = {ranked}")]
        h = 0
        for rank, count in enumerate(ranked, start=1):
            if count >= rank:
                h = rank
                steps.append(Step(kind="deduce", text=f"rank {rank}: {count} citations >= {rank}, "
                                  f"so {rank} papers have at least {rank} citations each",
                                  anchor=f"rank={rank} citations={count} h={h}"))
            else:
                steps.append(Step(kind="check", text=f"rank {rank}: {count} citations < {rank}; "
                                  "every later paper has even fewer, so the walk stops",
                                  anchor=f"rank={rank} citations={count} h={h}"))
                break
        steps.append(Step(kind="conclude", text=f"The h-index is {h}."))
        return Solution(answer=str(h), steps=steps, effort=len(ranked))

    def question(self, state: State, variant: Variant) -> str:
        intro = "H-index. " + self.rules
        if variant == "image":
            body = ("The picture shows the citations as a bar chart; the number above each bar is "
                    "the paper's citation count and the number below is its index.")
        else:
            body = f"The citation counts are: {state.citations}."
        return f"{intro}\n\n{body}\n\nWhat is the h-index? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        return [bar_chart(state.citations, "Citations per paper", color=BLUE)]

    def initial_state(self, state: State) -> dict:
        return {"citations": list(state.citations)}


register(HIndex())
