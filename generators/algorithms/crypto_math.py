"""Crypto math (algorithms; official label `CryptoMath`).

A letter addition such as EBA+GHF=CFDF: each letter stands for a different digit, no number starts
with 0, and the sum must hold. The solver searches column by column from the right, carrying into
the next column: it tries digits for the column's unknown addend letters, which fixes the column's
sum digit and carry, and backtracks on clashes. It searches on past the first solution to prove
that there is no second one; draws with more than one solution are rejected.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from PIL import Image, ImageDraw
from pydantic import BaseModel, PrivateAttr

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import text_center, to_png


# Unique solutions need few letters for the constraints (one equation) to pin them all down; the
# letter count rises with the level so that the search (and so the effort) grows with it. The
# try cap drops the rare draws whose proof runs to ten thousand tries and more (it bounds the
# time an instance takes; the cap rises with the level, and so does the mean effort).
class Level(NamedTuple):
    addends: int
    addend_length: int  # digits per addend
    result_length: int  # digits of the sum
    letters: int  # distinct letters
    max_tries: int  # most tries the uniqueness proof may take before the draw is dropped


LEVELS = {
    1: Level(2, 3, 4, 4, 400),
    2: Level(2, 4, 5, 5, 700),
    3: Level(3, 3, 4, 5, 1200),
    4: Level(3, 4, 5, 6, 2000),
    5: Level(3, 5, 6, 7, 2500),
}
MAX_DRAWS = 200  # number draws per attempt before giving the attempt up


class State(BaseModel):
    equation: str
    # the generator's uniqueness proof (solution count and tries): `solve` need not redo it
    _count: "_Count | None" = PrivateAttr(default=None)


class CryptoMath(Task[State]):
    name = "crypto_math"
    category = "algorithms"
    official_name = "CryptoMath"
    score_function = "cryptomath_evaluator"
    version = 2  # uniqueness proved while drawing, proofs capped in tries, grouped steps
    levels = LEVELS
    unique = True
    rules = ("In the addition below every letter stands for one digit 0-9: the same letter is "
             "always the same digit and different letters are different digits. No number starts "
             "with the digit 0. Find the digit of every letter so that the addition is correct.")
    answer_format = ('every letter with its digit, in the form ["A"=1, "B"=6, ...] '
                     '(A=1, B=6, ... is also accepted)')

    def generate(self, rng: random.Random, level: int) -> State:
        count, length, result_length, letters, cap = self.params(level)
        for _ in range(MAX_DRAWS):
            # addend digits come from a small pool so that few distinct digits appear at all
            pool = rng.sample(range(10), letters - rng.randint(0, 1))
            nonzero = [d for d in pool if d] or [1]
            terms = [int("".join(str(rng.choice(pool if i else nonzero)) for i in range(length)))
                     for _ in range(count)]
            total = sum(terms)
            digits = set("".join(map(str, terms + [total])))
            if len(str(total)) != result_length or len(digits) != letters:
                continue
            names = list("ABCDEFGHIJ"[:letters])
            rng.shuffle(names)
            code = dict(zip(sorted(digits), names))
            spell = lambda n: "".join(code[d] for d in str(n))
            state = State(equation="+".join(spell(t) for t in terms) + "=" + spell(total))
            # prove uniqueness here: a failed draw costs one counting pass, not a whole attempt
            proof = _count(*_split(state.equation), budget=cap)
            if proof.solutions == 1 and proof.nodes <= cap:
                state._count = proof
                return state
        raise Rejected("no unique draw with the required lengths and letter count")

    def solve(self, state: State) -> Solution:
        terms, result = _split(state.equation)
        count = state._count or _count(terms, result)
        if count.solutions != 1:
            raise Rejected("not unique" if count.solutions else "no solution")
        search = _Search(terms, result, record=True)
        search.column(0, 0)
        steps = [Step(kind="observe", text=f"{' + '.join(terms)} = {result}. Letters: "
                      f"{', '.join(sorted(search.letters))}. Leading letters (not 0): "
                      f"{', '.join(sorted(search.lead))}. I work column by column from the right: "
                      "try digits for the unknown addend letters, which fixes the column's sum "
                      "digit and the carry into the next column.",
                      anchor="\n".join(_layout(terms, result)))]
        steps += _grouped(search.events)
        steps.append(Step(kind="check", text=f"I continued the search through every remaining "
                          f"branch ({count.nodes - search.nodes} more tries): no second "
                          "assignment works, so the solution is unique."))
        answer = "[" + ", ".join(f'"{k}"={search.first[k]}' for k in sorted(search.first)) + "]"
        steps.append(Step(kind="conclude", text=f"The letters are {answer}."))
        return Solution(answer=answer, steps=steps, num_solutions=1, effort=count.nodes)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Crypto math. " + self.rules
        if variant == "image":
            body = "The picture shows the addition written in columns."
        else:
            terms, result = _split(state.equation)
            body = (f"The addition is: {state.equation}\n(written in columns:\n"
                    + "\n".join(_layout(terms, result)) + "\n)")
        return (f"{intro}\n\n{body}\n\nWhich digit does each letter stand for? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        # greyscale pasted from cached letter squares in 16 grey levels: drawing the glyphs and
        # compressing full-range grey were most of the time of an instance
        terms, result = _split(state.equation)
        cols = len(result) + 1  # one column for the plus sign
        width, height = cols * CELL + 2 * PAD, (len(terms) + 1) * CELL + 2 * PAD + 30
        image = Image.new("L", (width, height), 255)
        image.paste(_glyph("Letter addition", 16), (width // 2 - 100, 16 - CELL // 2))
        top = PAD + 20
        for row, word in enumerate(terms + [result]):
            y = top + row * CELL + (8 if row == len(terms) else 0)
            for k, ch in enumerate(reversed(word)):
                image.paste(_glyph(ch, 30), (PAD + (cols - 1 - k) * CELL, y))
        image.paste(_glyph("+", 30), (PAD, top + (len(terms) - 1) * CELL))
        line_y = top + len(terms) * CELL + 2
        ImageDraw.Draw(image).line([(PAD, line_y), (PAD + cols * CELL, line_y)], fill=0, width=3)
        return [to_png(image.convert("P"))]

    def initial_state(self, state: State) -> dict:
        return {"equation": state.equation}

CELL, PAD = 44, 24  # picture geometry (pixels)
# 16 grey levels: anti-aliased letters stay smooth, and few values compress fast
GREY_LEVELS = [min(255, 17 * round(v / 17)) for v in range(256)]


@lru_cache(maxsize=64)
def _glyph(text: str, size: int) -> Image.Image:
    """`text` centred on a white patch, CELL high and CELL (one letter) or 200 pixels wide."""
    width = CELL if len(text) == 1 else 200
    image = Image.new("L", (width, CELL), 255)
    text_center(ImageDraw.Draw(image), (width / 2, CELL / 2), text, size, fill=0)
    return image.point(GREY_LEVELS)


def _split(equation: str) -> tuple[list[str], str]:
    left, result = equation.split("=")
    return left.split("+"), result


def _layout(terms: list[str], result: str) -> list[str]:
    width = len(result) + 2
    rows = [w.rjust(width) for w in terms[:-1]] + ["+ " + terms[-1].rjust(width - 2)]
    return rows + ["-" * width, result.rjust(width)]


@dataclass
class _Count:
    solutions: int  # capped at 2
    nodes: int      # tries, counted exactly as _Search counts them


def _count(terms: list[str], result: str, budget: int = 10**9) -> _Count:
    """The counting pass of `_Search` (same order, same pruning, so the same tries), compiled:
    letters are numbered and each column's work is planned ahead, since which letters are known
    at a column does not depend on the branch. Only the count and the tries are kept. Past
    `budget` tries it stops early (nodes then exceed the budget)."""
    letters = sorted(set("".join(terms) + result))
    number = {ch: i for i, ch in enumerate(letters)}
    lead = {w[0] for w in terms + [result] if len(w) > 1}
    known: set[str] = set()
    plan = []
    for c in range(len(result)):
        addends = [t[-1 - c] for t in terms if c < len(t)]
        r = result[-1 - c]
        fixed: dict[str, int] = {}
        free: dict[str, int] = {}
        for letter in addends:
            target = fixed if letter in known else free
            target[letter] = target.get(letter, 0) + 1
        free_list = list(free)
        # the last free letter is filtered by the sum letter's digit when that is known by then
        fits = bool(free_list) and (r in known or r in free_list[:-1])
        steps = tuple((number[ch], times, 1 if ch in lead else 0) for ch, times in free.items())
        known |= set(free)
        r_new = r not in known
        known.add(r)
        plan.append((tuple((number[ch], t) for ch, t in fixed.items()), steps, number[r], r_new,
                     r in lead, fits))
    value = [0] * len(letters)
    used = [False] * 10
    solutions = nodes = 0
    last = len(plan)

    def column(c: int, carry: int) -> None:
        nonlocal solutions
        if c == last:
            if not carry:
                solutions += 1
            return
        fixed, free, r, r_new, r_lead, fits = plan[c]
        total = carry
        for i, times in fixed:
            total += value[i] * times
        branch(c, free, 0, r, r_new, r_lead, fits, total)

    def branch(c, free, i, r, r_new, r_lead, fits, total) -> None:
        nonlocal nodes
        if i == len(free):
            digit = total % 10
            if not r_new:
                if value[r] == digit:
                    column(c + 1, total // 10)
                return
            if used[digit] or (digit == 0 and r_lead):
                return
            nodes += 1
            value[r], used[digit] = digit, True
            column(c + 1, total // 10)
            used[digit] = False
            return
        letter, times, low = free[i]
        want = value[r] if fits and i == len(free) - 1 else -1
        for d in range(low, 10):
            if used[d] or (want >= 0 and (total + times * d) % 10 != want):
                continue
            nodes += 1
            value[letter], used[d] = d, True
            branch(c, free, i + 1, r, r_new, r_lead, fits, total + times * d)
            used[d] = False
            if solutions >= 2 or nodes > budget:
                return

    column(0, 0)
    return _Count(solutions=min(solutions, 2), nodes=nodes)


Event = tuple[str, int, str, "dict[str, int] | None"]  # kind, column, text, assignment


def _grouped(events: list[Event]) -> list[Step]:
    """The search as lines of attack: a stretch of events that moves left column by column (or
    stays in one) is cut where the search steps back to a column further right. Each stretch
    gives a `try` step (its guesses and the sums they force; `deduce` when it guessed nothing)
    and a step for the dead end or backtrack that closed it; texts list every event in order,
    anchors show the last assignment reached. Thousands of one-line steps become a few hundred
    readable ones; the search they describe is unchanged."""
    steps: list[Step] = []
    stretch: list[Event] = []
    for k, event in enumerate(events):
        stretch.append(event)
        if k + 1 < len(events) and events[k + 1][1] >= event[1]:
            continue
        cut = len(stretch)
        while cut and stretch[cut - 1][0] in ("dead_end", "backtrack"):
            cut -= 1
        for part in (stretch[:cut], stretch[cut:]):
            if part:
                steps.append(_step(part))
        stretch = []
    return steps


def _step(part: list[Event]) -> Step:
    kinds = {kind for kind, _, _, _ in part}
    kind = part[-1][0] if kinds & {"dead_end", "backtrack", "check"} else (
        "try" if "try" in kinds else "deduce")
    texts, last = [], -1
    for _, column, text, _ in part:
        texts.append(f"column {column}: {text}" if column != last else text)
        last = column
    snapshot = next((a for _, _, _, a in reversed(part) if a is not None), None)
    shown = " ".join(f"{ch}={snapshot[ch]}" for ch in sorted(snapshot)) if snapshot else None
    return Step(kind=kind, text="; ".join(texts), anchor=shown)


class _Search:
    """Column-wise search with carries, right to left, counting the tries (`nodes`: one per digit
    given to a letter). The counting pass counts solutions up to 2; the recording pass keeps its
    events and stops at the first solution."""

    def __init__(self, terms: list[str], result: str, record: bool):
        self.columns = [([t[-1 - c] for t in terms if c < len(t)], result[-1 - c])
                        for c in range(len(result))]
        self.lead = {w[0] for w in terms + [result] if len(w) > 1}
        self.letters = set("".join(terms) + result)
        self.value: dict[str, int] = {}
        self.used = [False] * 10
        self.nodes = 0
        self.solutions = 0
        self.first: dict[str, int] = {}
        # events until the first solution; off for the first (counting) pass, since the texts
        # cost more than the search itself and most draws are rejected as not unique
        self.record = record
        self.cap = 1 if record else 2  # the recording pass stops at the first solution
        self.events: list[tuple[str, int, str, dict[str, int] | None]] = []

    def _note(self, kind: str, column: int, text: str, anchor: dict[str, int] | None = None) -> None:
        self.events.append((kind, column, text, anchor))

    def _assignment(self) -> dict[str, int]:
        return dict(self.value)  # a snapshot; spelled out only where a grouped step shows it

    def column(self, c: int, carry: int) -> None:
        if c == len(self.columns):
            if carry:
                if self.record and not self.solutions:
                    self._note("dead_end", c, f"a carry of {carry} is left over past the last column")
                return
            self.solutions += 1
            if self.solutions == 1:
                self.first = dict(self.value)
                if self.record:
                    self._note("check", c, "every column holds and no carry is left: a solution",
                               self._assignment())
            return
        addends, r = self.columns[c]
        known, free = carry, {}
        for letter in addends:
            if letter in self.value:
                known += self.value[letter]
            else:
                free[letter] = free.get(letter, 0) + 1
        self._branch(c, list(free.items()), 0, r, known)

    def _branch(self, c: int, free: list[tuple[str, int]], i: int, r: str, total: int) -> None:
        if self.solutions >= self.cap:
            return
        if i == len(free):
            self._close(c, r, total)
            return
        letter, times = free[i]
        # the last unknown of a column whose sum letter is known only takes digits that fit it
        fits = self.value.get(r) if i == len(free) - 1 else None
        tried = False
        for d in range(1 if letter in self.lead else 0, 10):
            if self.used[d] or (fits is not None and (total + times * d) % 10 != fits):
                continue
            tried = True
            self.nodes += 1
            self.value[letter], self.used[d] = d, True
            if self.record and not self.solutions:
                self._note("try", c, f"try {letter} = {d}")
            self._branch(c, free, i + 1, r, total + times * d)
            del self.value[letter]
            self.used[d] = False
            if self.solutions >= self.cap:
                return
        if self.record and not self.solutions:
            if tried:
                self._note("backtrack", c, f"every digit for {letter} tried; undo it")
            else:
                self._note("dead_end", c, f"no free digit fits {letter}")

    def _close(self, c: int, r: str, total: int) -> None:
        """All addends of column c are known: the sum digit and the carry follow."""
        digit, carry = total % 10, total // 10
        sum_text = f"sum {total} gives digit {digit}, carry {carry}" if self.record else ""
        if r in self.value:
            if self.value[r] != digit:
                if self.record and not self.solutions:
                    self._note("dead_end", c, f"{sum_text}, but {r} = {self.value[r]}")
                return
            if self.record and not self.solutions:
                self._note("deduce", c, f"{sum_text}, and {r} = {digit} holds", self._assignment())
            self.column(c + 1, carry)
            return
        if self.used[digit] or (digit == 0 and r in self.lead):
            if self.record and not self.solutions:
                why = f"{digit} is already taken" if self.used[digit] else "a leading 0"
                self._note("dead_end", c, f"{sum_text}, so {r} = {digit}: {why}")
            return
        self.nodes += 1
        self.value[r], self.used[digit] = digit, True
        if self.record and not self.solutions:
            self._note("deduce", c, f"{sum_text}, so {r} = {digit}", self._assignment())
        self.column(c + 1, carry)
        del self.value[r]
        self.used[digit] = False


register(CryptoMath())
