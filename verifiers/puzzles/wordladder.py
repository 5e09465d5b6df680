"""Verifier for wordladder, by the rules: the ladder starts at the start word and ends at the
target, each step changes exactly one letter in place, no word repeats, every word is in the
packaged word list (verifiers/puzzles/words.txt), and the ladder is a shortest one.

Choice: the question asks for a shortest ladder (the level is defined by the shortest length), so
a longer valid ladder is rejected with a reason saying so; every shortest ladder is accepted, not
only the stored one. The shortest length is computed here by breadth-first search over the list.
Accepted spellings: `["how", "hot", "got"]`, `[how, hot, got]`, `how -> hot -> got`,
`how, hot, got`, any case."""

from __future__ import annotations

import re
from collections import deque
from functools import lru_cache

from verifiers.puzzles._words import word_set
from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_SEPARATORS = re.compile(r"\s*(?:,|->|→|=>|\s)\s*")
_WORD = re.compile(r"[a-z]{1,30}")
MAX_WORDS = 200


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


@lru_cache(maxsize=8)
def _neighbours(length: int) -> dict[str, tuple[str, ...]]:
    buckets: dict[str, list[str]] = {}
    words = sorted(w for w in word_set() if len(w) == length)
    for w in words:
        for i in range(length):
            buckets.setdefault(w[:i] + "_" + w[i + 1:], []).append(w)
    return {w: tuple(v for i in range(length) for v in buckets[w[:i] + "_" + w[i + 1:]] if v != w)
            for w in words}


def shortest_changes(start: str, target: str) -> int | None:
    """Fewest one-letter changes from start to target through listed words, or None."""
    graph = _neighbours(len(start))
    if start not in graph or target not in graph:
        return None
    dist = {start: 0}
    queue = deque([start])
    while queue:
        word = queue.popleft()
        if word == target:
            return dist[word]
        for nxt in graph[word]:
            if nxt not in dist:
                dist[nxt] = dist[word] + 1
                queue.append(nxt)
    return None


def check(state: dict, answer: str) -> Verdict:
    start, target = state.get("start_word"), state.get("target_word")
    if not (isinstance(start, str) and isinstance(target, str) and start and len(start) == len(target)):
        raise ValueError("initial_state needs start_word and target_word of equal length")
    start, target = start.lower(), target.lower()
    ladder = parse_ladder(answer)
    parsed = "[" + ", ".join(f'"{w}"' for w in ladder) + "]"
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
    best = shortest_changes(start, target)
    if best is not None and len(ladder) - 1 > best:
        return Verdict.reject(f"the ladder is valid but takes {len(ladder) - 1} changes; the "
                              f"shortest takes {best}", parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("wordladder", check)
