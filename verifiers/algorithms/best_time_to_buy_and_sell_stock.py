"""Verifier for best_time_to_buy_and_sell_stock: the integer must equal the maximum profit,
computed here independently of the generator (a two-state DP, holding or not, instead of the
greedy sum of rises)."""

from __future__ import annotations

from verifiers.parse import parse_int
from verifiers.registry import register
from verifiers.verdict import Verdict


def check(state: dict, answer: str) -> Verdict:
    prices = state.get("prices")
    if not isinstance(prices, list) or not prices or not all(isinstance(p, int) for p in prices):
        raise ValueError("initial_state.prices must be a non-empty list of integers")
    value = parse_int(answer)
    cash, hold = 0, -prices[0]  # best profit so far without / with a share in hand
    for price in prices[1:]:
        cash, hold = max(cash, hold + price), max(hold, cash - price)
    if value != cash:
        return Verdict.reject(f"{value}, but the maximum profit is {cash}", parsed=str(value))
    return Verdict.accept(parsed=str(value))


register("best_time_to_buy_and_sell_stock", check)
