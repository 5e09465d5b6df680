"""24 points (algorithms; official label `24Points`).

Four numbers; combine all of them with + - × ÷ and parentheses, each exactly once, to make 24.
The solver is a depth-first search over pairs: combine two numbers into one, recurse on the three
(then two) that remain, and backtrack out of dead ends. Only solvable draws are kept.
"""

from __future__ import annotations

import random
from math import gcd
from typing import NamedTuple

from PIL import Image, ImageDraw
from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import text_center, to_png


# The number ranges alone barely raise the search effort (levels 3 and 4 are about equal), so from
# level 2 on only draws with few solution paths (counted by a full search) are kept: fewer
# solutions means a longer search before the first one (mean nodes about 370/540/690/890/1240).
class Level(NamedTuple):
    smallest: int  # smallest of the four numbers
    largest: int
    repeats: bool  # whether a number may be drawn more than once
    most_paths: int | None  # most solution paths a kept draw may have; None keeps every draw


LEVELS = {
    1: Level(1, 9, True, None),
    2: Level(1, 13, True, 16),
    3: Level(1, 20, True, 8),
    4: Level(1, 20, False, 4),
    5: Level(3, 25, False, 2),
}
TARGET = 24
EPS = 1e-9


class State(BaseModel):
    numbers: list[int]


# an item of the search: (exact value, expression text, precedence of its top operator; 3 = atom)
Item = tuple[tuple[int, int], str, int]


class TwentyFourPoints(Task[State]):
    name = "24_points"
    category = "algorithms"
    official_name = "24Points"
    score_function = "24points_evaluator"
    levels = LEVELS
    # level 5 keeps about 1 draw in 7-11 (few solution paths): 64 attempts once all failed in a
    # 100K build; 2,048 fail together with probability < 1e-80 and cost under 0.5 s at worst
    max_attempts = 2048
    rules = ("Use each of the four given numbers exactly once, with addition, subtraction, "
             "multiplication, division and parentheses, to build an expression whose value is "
             "exactly 24. Fractions may appear along the way; numbers may not be glued together "
             "into new numbers and no other operations are allowed.")
    answer_format = ("an arithmetic expression that uses each number once, e.g. (1 + 7) × (9 - 6) "
                     "(× or *, ÷ or / are both fine; a trailing = 24 is allowed)")

    def generate(self, rng: random.Random, level: int) -> State:
        low, high, repeats, most = self.params(level)
        if repeats:
            numbers = [rng.randint(low, high) for _ in range(4)]
        else:
            numbers = rng.sample(range(low, high + 1), 4)
        count = _count_solutions(numbers, most if most is not None else 10**9)
        if count == 0:
            raise Rejected("no solution")
        if most is not None and count > most:
            raise Rejected("too many solutions")
        return State(numbers=numbers)

    def solve(self, state: State) -> Solution:
        items: list[Item] = [((n, 1), str(n), 3) for n in state.numbers]
        steps = [Step(kind="observe", text="I combine two of the numbers into one with an "
                      "operation, then search the shorter list the same way; when two numbers "
                      "are left I check every operation for 24, and I backtrack out of dead ends. "
                      "Subtraction takes the larger minus the smaller (a negative intermediate "
                      "can always be avoided by swapping operands).",
                      anchor=f"numbers = {state.numbers}")]
        search = _Search(steps)
        found = search.run(items)
        if found is None:  # generate only keeps solvable draws; this guards the invariant
            raise Rejected("search found no solution")
        steps.append(Step(kind="conclude", text=f"{found} = {TARGET}, using each number once."))
        return Solution(answer=found, steps=steps, effort=search.nodes)

    def question(self, state: State, variant: Variant) -> str:
        intro = "24 points. " + self.rules
        if variant == "image":
            body = "The picture shows the four numbers on four cards."
        else:
            body = f"The four numbers are: {', '.join(map(str, state.numbers))}."
        return (f"{intro}\n\n{body}\n\nGive an expression that makes 24. "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        # greyscale: a quarter of the PNG encoding time of RGB, and colour carries nothing here
        card_w, card_h, gap = 90, 120, 20
        width = 4 * card_w + 5 * gap
        image = Image.new("L", (width, card_h + 70), 255)
        draw = ImageDraw.Draw(image)
        text_center(draw, (width / 2, 18), "Make 24 with these four numbers", 18, fill=0)
        for k, n in enumerate(state.numbers):
            x = gap + k * (card_w + gap)
            draw.rounded_rectangle([x, 45, x + card_w, 45 + card_h], radius=10, fill=225,
                                   outline=0, width=2)
            text_center(draw, (x + card_w / 2, 45 + card_h / 2), str(n), 40, fill=0)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"numbers": list(state.numbers)}


class _Search:
    """Depth-first search that records its tries, dead ends and backtracks; stops at the first
    solution. `nodes` counts every combination made (the effort). Values are exact fractions kept
    as reduced (numerator, denominator) pairs of ints, which is several times faster than
    `fractions.Fraction` in this inner loop."""

    def __init__(self, steps: list[Step]):
        self.steps = steps
        self.nodes = 0

    def run(self, items: list[Item]) -> str | None:
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                rest = items[:i] + items[i + 1:j] + items[j + 1:]
                for made in _combine(items[i], items[j]):
                    self.nodes += 1
                    state = [made] + rest
                    if len(state) == 2:
                        found = self._finish(made, state)
                    else:
                        self.steps.append(Step(kind="try", text=f"combine {made[1]} = "
                                               f"{_fmt(made[0])}", anchor=_show(state)))
                        found = self.run(state)
                        if found is None:
                            self.steps.append(Step(kind="backtrack", text="no pair of "
                                                   f"{_show(state)} leads to 24; undo {made[1]}"))
                    if found is not None:
                        return found
        return None

    def _finish(self, made: Item, pair: list[Item]) -> str | None:
        """Two items left: every operation on them, each one a node."""
        tried = []
        for symbol, value, left, right in _merges(*pair):
            self.nodes += 1
            if value == GOAL:
                expr = _join(left, right, symbol)[0]
                self.steps.append(Step(kind="check", text=f"combine {made[1]} = {_fmt(made[0])}, "
                                       f"then {expr} = 24", anchor=_show(pair)))
                return expr
            tried.append(f"{_operand(left[0])} {symbol} {_operand(right[0])} = {_fmt(value)}")
        self.steps.append(Step(kind="dead_end", text=f"combine {made[1]} = {_fmt(made[0])}, "
                               f"leaving {_show(pair)}: {', '.join(tried)}; none is 24"))
        return None


Rational = tuple[int, int]
GOAL: Rational = (TARGET, 1)


def _merges(a: Item, b: Item) -> list[tuple[str, Rational, Item, Item]]:
    """(symbol, value, left operand, right operand) for +, ×, larger - smaller, both divisions."""
    if a[0][0] * b[0][1] < b[0][0] * a[0][1]:
        a, b = b, a
    (p, q), (r, s) = a[0], b[0]
    out = [("+", _reduce(p * s + r * q, q * s), a, b), ("×", _reduce(p * r, q * s), a, b),
           ("-", _reduce(p * s - r * q, q * s), a, b)]
    if r:
        out.append(("÷", _reduce(p * s, q * r), a, b))
    if p and a[0] != b[0]:
        out.append(("÷", _reduce(r * q, s * p), b, a))
    return out


def _reduce(num: int, den: int) -> Rational:
    g = gcd(num, den)
    return (num // g, den // g)  # den > 0 always: divisions only by nonzero values, both >= 0


def _combine(a: Item, b: Item) -> list[Item]:
    """Every useful way to merge two items, as items with their expression text."""
    return [(value, *_join(left, right, symbol)) for symbol, value, left, right in _merges(a, b)]


def _join(left: Item, right: Item, symbol: str) -> tuple[str, int]:
    prec = 1 if symbol in "+-" else 2
    return (f"{_wrap(left[1], left[2], prec, False)} {symbol} "
            f"{_wrap(right[1], right[2], prec, symbol in '-÷')}", prec)


def _wrap(text: str, prec: int, parent: int, right: bool) -> str:
    """Parenthesise an operand only where precedence (or a right-hand - or ÷) requires it."""
    return f"({text})" if prec < parent or (right and prec == parent) else text


def _fmt(value: Rational) -> str:
    return str(value[0]) if value[1] == 1 else f"{value[0]}/{value[1]}"


def _operand(value: Rational) -> str:
    return _fmt(value) if value[1] == 1 else f"({_fmt(value)})"


def _show(items: list[Item]) -> str:
    return "[" + ", ".join(_fmt(v) for v, _, _ in items) + "]"


def _count_solutions(numbers: list[int], cap: int) -> int:
    """Solution paths of the same search (stopping once past `cap`), in floats: fast, and 24 is
    far from any near miss four small integers can produce, so the tolerance admits no false
    solution. Unrolled for four numbers: pick a pair, then a pair of the three left."""
    count = 0
    v = [float(n) for n in numbers]
    for i, j, k, l in _SPLITS:
        for m in _float_merges(v[i], v[j]):
            three = (m, v[k], v[l])
            for p, q, r in ((0, 1, 2), (0, 2, 1), (1, 2, 0)):
                for m2 in _float_merges(three[p], three[q]):
                    count += _hits(m2, three[r])
            # the two-pairs shape, (i j) with (k l), is reached through the pair (k, l) above
            if count > cap:
                return count
    return count


_SPLITS = ((0, 1, 2, 3), (0, 2, 1, 3), (0, 3, 1, 2), (1, 2, 0, 3), (1, 3, 0, 2), (2, 3, 0, 1))


def _float_merges(x: float, y: float) -> list[float]:
    if x < y:
        x, y = y, x
    out = [x + y, x * y, x - y]
    if y:
        out.append(x / y)
    if x and x != y:
        out.append(y / x)
    return out


def _hits(x: float, y: float) -> int:
    return sum(1 for m in _float_merges(x, y) if abs(m - TARGET) < EPS)


register(TwentyFourPoints())
