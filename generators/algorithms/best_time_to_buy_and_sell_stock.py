"""Best time to buy and sell stock (algorithms; official label `BestTimeToBuyAndSellStock`).

Daily prices; any number of transactions, at most one share held at a time. The solver is the
greedy sum of rises: every day-to-day increase can be captured by holding over that day.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import GREEN, bar_chart


class Level(NamedTuple):
    min_length: int
    max_length: int
    max_price: int  # prices are 1..max_price


LEVELS = {
    1: Level(5, 10, 20),
    2: Level(10, 20, 40),
    3: Level(20, 30, 60),
    4: Level(30, 50, 80),
    5: Level(50, 70, 100),
}


class State(BaseModel):
    prices: list[int]


class BestTimeToBuyAndSellStock(Task[State]):
    name = "best_time_to_buy_and_sell_stock"
    category = "algorithms"
    official_name = "BestTimeToBuyAndSellStock"
    score_function = "simple_str_match"
    levels = LEVELS
    rules = ("prices[i] is the price of a stock on day i. You may complete as many transactions "
             "as you like, but you may hold at most one share at a time (sell before you buy "
             "again); buying and selling on the same day is allowed. Find the maximum total profit.")
    answer_format = "a single integer, e.g. 13"

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, top = self.params(level)
        prices = [rng.randint(1, top) for _ in range(rng.randint(low, high))]
        if all(a >= b for a, b in zip(prices, prices[1:])):
            raise Rejected("prices never rise: profit 0")
        return State(prices=prices)

    def solve(self, state: State) -> Solution:
        p = state.prices
        steps = [Step(kind="observe", text=f"There are {len(p)} days. Holding the share over a day "
                      "earns that day's change, so the best plan holds exactly over the days whose "
                      "price rises: I add up every positive day-to-day difference.",
                      anchor=f"prices = {p}")]
        profit = 0
        for day in range(1, len(p)):
            diff = p[day] - p[day - 1]
            if diff > 0:
                profit += diff
                text = (f"day {day - 1} -> {day}: {p[day - 1]} -> {p[day]} rises by {diff}; "
                        "hold the share over it")
            else:
                text = f"day {day - 1} -> {day}: {p[day - 1]} -> {p[day]} does not rise; stay out"
            steps.append(Step(kind="deduce", text=text, anchor=f"day={day} profit={profit}"))
        steps.append(Step(kind="check", text="Every rise was captured once and no falling day was "
                          f"held, so no plan does better. Maximum profit = {profit}."))
        steps.append(Step(kind="conclude", text=f"The maximum profit is {profit}."))
        return Solution(answer=str(profit), steps=steps, effort=len(p))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Best time to buy and sell stock. " + self.rules
        if variant == "image":
            body = ("The picture shows the prices as a bar chart; the number above each bar is "
                    "the price and the number below is the day index.")
        else:
            body = f"The prices from day 0 on are: {state.prices}."
        return f"{intro}\n\n{body}\n\nWhat is the maximum profit? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        return [bar_chart(state.prices, "Stock price by day", color=GREEN)]

    def initial_state(self, state: State) -> dict:
        return {"prices": list(state.prices)}


register(BestTimeToBuyAndSellStock())
