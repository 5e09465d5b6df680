"""Verifier for wordladder, by the official rules: the ladder starts at the start word and ends at
the target, each step changes exactly one letter in place, no word repeats, and every word is in
the packaged word list (verifiers/puzzles/words.txt). Any valid ladder is accepted, however long:
the official evaluator (VLMEvalKit mmhelix wordladder_eval.py) does not ask for a shortest one.
The official evaluator checks words against NLTK's `words` corpus; helix checks its own packaged
list (the official generator needs a network download, and the public rows took their words from
this list). Accepted spellings: `["how", "hot", "got"]`, `[how, hot, got]`, `how -> hot -> got`,
`how, hot, got`, any case."""

from __future__ import annotations

import re

from verifiers.puzzles._words import word_set
from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_SEPARATORS = re.compile(r"\s*(?:,|->|→|=>|\s)\s*")
_WORD = re.compile(r"[a-z]{1,30}")
MAX_WORDS = 5000  # a bound against hostile text only: the rules set no length limit


def parse_ladder(answer: str) -> list[str]:
    text = answer.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    parts = [p.strip().strip("'\"`").lower() for p in _SEPARATORS.split(text.strip()) if p.strip()]
    if not parts:
        raise Unparsable("expected a list of words")
    if len(parts) > MAX_WORDS:
        raise Unparsable(f"{len(parts)} words is not a ladder")
    bad = next((p for p in parts if not _WORD.fullmatch(p)), None)
    if bad is not None:
        raise Unparsable(f"{bad[:30]!r} is not a word")
    return parts


def check(state: dict, answer: str) -> Verdict:
    start, target = state.get("start_word"), state.get("target_word")
    if not (isinstance(start, str) and isinstance(target, str) and start and len(start) == len(target)):
        raise ValueError("initial_state needs start_word and target_word of equal length")
    start, target = start.lower(), target.lower()
    ladder = parse_ladder(answer)
    parsed = "[" + ", ".join(f'"{w}"' for w in ladder) + "]"
    if len(ladder) < 2:
        return Verdict.reject("a ladder lists at least the start word and the target word",
                              parsed=parsed)
    if ladder[0] != start:
        return Verdict.reject(f"the ladder must start at {start}, not {ladder[0]}", parsed=parsed)
    if ladder[-1] != target:
        return Verdict.reject(f"the ladder must end at {target}, not {ladder[-1]}", parsed=parsed)
    words = word_set()
    seen: set[str] = set()
    for i, word in enumerate(ladder):
        if word in seen:
            return Verdict.reject(f"{word} is used twice", parsed=parsed)
        seen.add(word)
        if word not in words:
            return Verdict.reject(f"{word} is not in the word list", parsed=parsed)
        if i:
            prev = ladder[i - 1]
            if len(word) != len(prev) or sum(a != b for a, b in zip(prev, word)) != 1:
                return Verdict.reject(f"{prev} -> {word} does not change exactly one letter",
                                      parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("wordladder", check)
