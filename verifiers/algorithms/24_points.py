"""Verifier for 24_points: judged by the rules. The expression is read by a small recursive-descent
parser of its own (never `eval`): integers, + - × ÷ (also * x / : \\times \\div \\cdot), parentheses
(also [] {} and \\left( \\right)), \\frac{a}{b}, and an optional trailing `= 24`. It must use the four
given numbers exactly once each and be worth 24, computed with exact fractions."""

from __future__ import annotations

import re
from collections import Counter
from fractions import Fraction

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

MAX_CHARS = 400      # a real answer is ~30 characters; longer text is not an answer
MAX_TOKENS = 120
MAX_DEPTH = 24       # parenthesis / \frac nesting
MAX_DIGITS = 6
TARGET = 24

# spellings folded into one symbol each before tokenising (longest first where they overlap)
_SPELLINGS = (("\\left", ""), ("\\right", ""), ("\\times", "*"), ("\\cdot", "*"), ("\\div", "/"),
              ("\\dfrac", "F"), ("\\tfrac", "F"), ("\\frac", "F"), ("×", "*"), ("⋅", "*"),
              ("·", "*"), ("∗", "*"), ("÷", "/"), ("∕", "/"), ("−", "-"), ("–", "-"), ("—", "-"),
              ("x", "*"), ("X", "*"), ("[", "("), ("]", ")"), ("{", "("), ("}", ")"),
              ("\\(", "("), ("\\)", ")"))
_TOKEN = re.compile(r"\s*(?:([0-9]+)|([-+*/()F]))")


class _Wrong(Exception):
    """A well-formed expression that breaks the rules (division by zero)."""


def check(state: dict, answer: str) -> Verdict:
    numbers = state.get("numbers")
    if (not isinstance(numbers, list) or len(numbers) != 4
            or not all(isinstance(n, int) and not isinstance(n, bool) for n in numbers)):
        raise ValueError("initial_state.numbers must be a list of 4 integers")
    expression = _strip_equals(answer)
    tokens = _tokenise(expression)
    parser = _Parser(tokens)
    try:
        value = parser.parse()
    except _Wrong as why:
        return Verdict.reject(str(why), parsed=expression)
    used = Counter(parser.numbers)
    if used != Counter(numbers):
        return Verdict.reject(f"uses {sorted(used.elements())}, but the numbers are "
                              f"{sorted(numbers)} (each exactly once)", parsed=expression)
    if abs(value - TARGET) > Fraction(1, 10**6):
        return Verdict.reject(f"the expression is worth {value}, not 24", parsed=expression)
    return Verdict.accept(parsed=expression)


def _strip_equals(answer: str) -> str:
    """Drop one trailing `= 24` (also `=24.0`); any other right-hand side is not the format."""
    text = answer.strip().rstrip(".").strip()
    if len(text) > MAX_CHARS:
        raise Unparsable(f"expression is {len(text)} characters long")
    if "=" in text:
        left, _, right = text.partition("=")
        if not re.fullmatch(r"\s*24(?:\.0+)?\s*", right):
            raise Unparsable("only a trailing '= 24' may follow the expression")
        text = left.strip()
    if not text:
        raise Unparsable("empty expression")
    return text


def _tokenise(text: str) -> list[str]:
    for spelling, symbol in _SPELLINGS:
        text = text.replace(spelling, symbol)
    text = text.replace("$", "").strip()
    tokens, at = [], 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if not match:
            raise Unparsable(f"unexpected character {text[at:].lstrip()[:1]!r} in the expression")
        number, symbol = match.groups()
        if number is not None and len(number) > MAX_DIGITS:
            raise Unparsable(f"number {number[:10]}... is too long")
        tokens.append(number if number is not None else symbol)
        at = match.end()
        if len(tokens) > MAX_TOKENS:
            raise Unparsable("expression has too many tokens")
        if text[at:].strip() == "":
            break
    if not tokens:
        raise Unparsable("empty expression")
    return tokens


class _Parser:
    """expr := term (('+'|'-') term)* ; term := atom (('*'|'/') atom)* ;
    atom := number | '(' expr ')' | F atom atom (\\frac{a}{b}). Unary signs are not arithmetic
    on the given numbers and are refused."""

    def __init__(self, tokens: list[str]):
        self.tokens = tokens
        self.at = 0
        self.depth = 0
        self.numbers: list[int] = []

    def parse(self) -> Fraction:
        value = self._expr()
        if self.at != len(self.tokens):
            raise Unparsable(f"unexpected {self.tokens[self.at]!r} after a complete expression "
                             "(missing operator?)")
        return value

    def _peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def _expr(self) -> Fraction:
        value = self._term()
        while self._peek() in ("+", "-"):
            op = self.tokens[self.at]
            self.at += 1
            right = self._term()
            value = value + right if op == "+" else value - right
        return value

    def _term(self) -> Fraction:
        value = self._atom()
        while self._peek() in ("*", "/"):
            op = self.tokens[self.at]
            self.at += 1
            right = self._atom()
            value = value * right if op == "*" else _divide(value, right)
        return value

    def _atom(self) -> Fraction:
        token = self._peek()
        if token is None:
            raise Unparsable("expression ends where a number was expected")
        self.at += 1
        if token[0] in "0123456789":
            self.numbers.append(int(token))
            return Fraction(int(token))
        if token in ("(", "F"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise Unparsable("expression nested too deeply")
            if token == "F":
                value = _divide(self._atom(), self._atom())
            else:
                value = self._expr()
                if self._peek() != ")":
                    raise Unparsable("unbalanced parentheses")
                self.at += 1
            self.depth -= 1
            return value
        if token in ("+", "-"):
            raise Unparsable("a sign without a left operand (unary +/-) is not allowed")
        raise Unparsable(f"unexpected {token!r} where a number was expected")


def _divide(a: Fraction, b: Fraction) -> Fraction:
    if b == 0:
        raise _Wrong("the expression divides by zero")
    return a / b


register("24_points", check)
