"""Verifier for crypto_math: judged by the rules, not by the stored answer. Every letter of the
equation gets exactly one digit, different letters get different digits, no multi-digit number
starts with 0, and the addition holds. Accepts `["A"=1, "B"=6]`, `A=1, B=6`, `{'A': 1, 'B': 6}`."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

MAX_WORD = 20
_EQUATION = re.compile(r"[A-Z]{1,20}(?:\+[A-Z]{1,20}){1,9}=[A-Z]{1,20}")
_PAIR = re.compile(r"""\s*["'“”‘’]?([A-Za-z])["'“”‘’]?\s*(?:=|:|->|→)\s*([0-9])\s*""")


def check(state: dict, answer: str) -> Verdict:
    equation = state.get("equation")
    if not isinstance(equation, str) or not _EQUATION.fullmatch(equation.replace(" ", "")):
        raise ValueError("initial_state.equation must look like ABC+DEF=GHIJ")
    left, result = equation.replace(" ", "").split("=")
    terms = left.split("+")
    assignment = _parse(answer)
    letters = set("".join(terms) + result)
    extra = sorted(set(assignment) - letters)
    if extra:
        return Verdict.reject(f"letter(s) {', '.join(extra)} do not occur in the equation")
    missing = sorted(letters - set(assignment))
    if missing:
        return Verdict.reject(f"no digit given for {', '.join(missing)}")
    by_digit: dict[int, str] = {}
    for letter in sorted(assignment):
        digit = assignment[letter]
        if digit in by_digit:
            return Verdict.reject(f"{by_digit[digit]} and {letter} are both {digit}")
        by_digit[digit] = letter
    for word in terms + [result]:
        if len(word) > 1 and assignment[word[0]] == 0:
            return Verdict.reject(f"{word} would start with 0")

    def number(word: str) -> int:
        return int("".join(str(assignment[ch]) for ch in word))

    total = sum(number(t) for t in terms)
    if total != number(result):
        shown = " + ".join(str(number(t)) for t in terms)
        return Verdict.reject(f"{shown} = {total}, not {number(result)}")
    return Verdict.accept()


def _parse(answer: str) -> dict[str, int]:
    text = answer.strip().rstrip(".")
    if len(text) > 2000:
        raise Unparsable("answer too long")
    if text[:1] in "[{(" and text[-1:] in "]})":
        text = text[1:-1]
    parts = [p for p in re.split(r"[,;\n]", text) if p.strip()]
    if not parts:
        raise Unparsable("expected letter=digit pairs, got nothing")
    assignment: dict[str, int] = {}
    for part in parts:
        match = _PAIR.fullmatch(part)
        if not match:
            raise Unparsable(f"{part.strip()[:30]!r} is not a letter=digit pair")
        letter, digit = match.group(1).upper(), int(match.group(2))
        if letter in assignment:
            raise Unparsable(f"letter {letter} is given twice")
        assignment[letter] = digit
    return assignment


register("crypto_math", check)
