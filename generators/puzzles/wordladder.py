"""Word ladder (puzzles; official label `WordLadder`).

Turn the start word into the target word one letter at a time, every rung a common English word
from the project's packaged list (verifiers/puzzles/words.txt), no word twice. As in the official
benchmark, any valid ladder is right, not only a shortest one. The generator picks a start word,
runs a breadth-first search over the one-letter-change graph and draws a target whose shortest
ladder takes a number of changes in the level's range (the official generator's ranges). The
solver is the same BFS, recorded layer by layer, and reads a shortest ladder back through the
parents.
"""

from __future__ import annotations

import random
from collections import deque
from functools import lru_cache
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.puzzles._words import words_of_length
from generators.registry import register
from generators.render import BLACK, BLUE, GREY, canvas, text_center, to_png


class Level(NamedTuple):
    word_length: int
    min_steps: int  # the fewest changes from start to target lie in min_steps..max_steps
    max_steps: int  # (named as in the official generator)


LEVELS = {
    1: Level(3, 3, 5),
    2: Level(4, 4, 6),
    3: Level(4, 5, 7),
    4: Level(5, 6, 8),
    5: Level(5, 7, 10),
}
SHOWN_PER_LAYER = 24      # words written out per BFS layer in the recorded steps


class State(BaseModel):
    start_word: str
    target_word: str


class WordLadder(Task[State]):
    name = "wordladder"
    category = "puzzles"
    official_name = "WordLadder"
    score_function = "wordladder_evaluator"
    version = 2  # the official rule: any valid ladder is right, not only a shortest one
    levels = LEVELS
    rules = ("Change the start word into the target word one letter at a time: each step replaces "
             "exactly one letter (the letters stay in place; none is added or removed), every word "
             "on the way is a valid common English word (no names or abbreviations), and no word "
             "is used twice. Any such ladder is accepted; it need not be the shortest.")
    answer_format = ('the whole ladder from the start word to the target word as a list of quoted '
                     'words, e.g. ["how", "hot", "got", "get", "met"]')

    def generate(self, rng: random.Random, level: int) -> State:
        length, fewest, most = self.params(level)
        start = rng.choice(_main_component(length))
        dist = _bfs(start, length)[0]
        # a uniform draw over the level's distances that this start word can reach
        reachable = sorted({d for d in dist.values() if fewest <= d <= most})
        if not reachable:
            raise Rejected("no target at the level's distances")
        changes = rng.choice(reachable)
        far = sorted(w for w, d in dist.items() if d == changes)
        return State(start_word=start, target_word=rng.choice(far))

    def solve(self, state: State) -> Solution:
        start, target = state.start_word, state.target_word
        length = len(start)
        graph = _graph(length)
        steps = [Step(kind="observe",
                      text=f"Start {start}, target {target}, {length} letters. Each rung changes "
                           "one letter; any valid ladder will do, and a breadth-first search "
                           "finds one that is also short: layer k holds every word reachable in "
                           "k changes and not earlier; the first layer that holds the target "
                           "gives a shortest ladder.",
                      anchor=f"layer 0: {start}")]
        parent = {start: ""}
        layer, depth = [start], 0
        while target not in parent:
            following = []
            for word in layer:
                for nxt in graph[word]:
                    if nxt not in parent:
                        parent[nxt] = word
                        following.append(nxt)
            depth += 1
            if not following:
                raise Rejected("the target cannot be reached")
            layer = following
            shown = ", ".join(layer[:SHOWN_PER_LAYER])
            more = f" ... (+{len(layer) - SHOWN_PER_LAYER} more)" if len(layer) > SHOWN_PER_LAYER else ""
            found = target in parent
            steps.append(Step(kind="check" if found else "deduce",
                              text=f"Layer {depth}: {len(layer)} new words"
                                   + (f"; the target {target} is among them." if found
                                      else f"; {target} is not yet reached."),
                              anchor=f"layer {depth}: {shown}{more}"))
        ladder = [target]
        while parent[ladder[-1]]:
            ladder.append(parent[ladder[-1]])
        ladder.reverse()
        for a, b in zip(ladder, ladder[1:]):
            i = next(k for k in range(length) if a[k] != b[k])
            steps.append(Step(kind="deduce", text=f"{a} -> {b}: letter {i + 1} changes "
                              f"from {a[i]} to {b[i]}."))
        steps.append(Step(kind="conclude", text=f"The target first appears in layer {depth}: this "
                          f"ladder has {depth} changes and {depth + 1} words, no word twice.",
                          anchor=" -> ".join(ladder)))
        answer = "[" + ", ".join(f'"{w}"' for w in ladder) + "]"
        # effort = the ladder's changes: BFS node counts depend on how dense each word length's
        # graph is (5-letter words connect more sparsely than 4-letter ones), the distance does not
        return Solution(answer=answer, steps=steps, effort=depth)

    def question(self, state: State, variant: Variant) -> str:
        intro = f"Word ladder. {self.rules}"
        if variant == "image":
            body = "The picture shows the start word at the top and the target word at the bottom."
        else:
            body = f"Start word: {state.start_word}\nTarget word: {state.target_word}"
        return f"{intro}\n\n{body}\n\nAnswer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        image, draw = canvas(360, 300)
        text_center(draw, (180, 40), "Start word", 16, fill=GREY)
        text_center(draw, (180, 80), state.start_word.upper(), 34, fill=BLUE)
        for y in (130, 150, 170):
            text_center(draw, (180, y), "?", 18, fill=GREY)
        text_center(draw, (180, 220), "Target word", 16, fill=GREY)
        text_center(draw, (180, 260), state.target_word.upper(), 34, fill=BLACK)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"start_word": state.start_word, "target_word": state.target_word}


@lru_cache(maxsize=8)
def _graph(length: int) -> dict[str, tuple[str, ...]]:
    """Words of one length joined when they differ in exactly one letter (via wildcard buckets);
    neighbours sorted, so searches are deterministic."""
    buckets: dict[str, list[str]] = {}
    words = words_of_length(length)
    for w in words:
        for i in range(length):
            buckets.setdefault(w[:i] + "_" + w[i + 1:], []).append(w)
    return {w: tuple(sorted({v for i in range(length) for v in buckets[w[:i] + "_" + w[i + 1:]]
                             if v != w})) for w in words}


@lru_cache(maxsize=8)
def _main_component(length: int) -> tuple[str, ...]:
    """The largest connected group of words of this length (sorted): starts drawn from it reach
    far targets; a start in a small island would only be rejected."""
    seen: set[str] = set()
    best: list[str] = []
    for word in words_of_length(length):
        if word not in seen:
            group = list(_bfs(word, length)[0])
            seen.update(group)
            best = max(best, group, key=len)
    return tuple(sorted(best))


def _bfs(start: str, length: int) -> tuple[dict[str, int], dict[str, str]]:
    graph = _graph(length)
    dist, parent = {start: 0}, {start: ""}
    queue = deque([start])
    while queue:
        word = queue.popleft()
        for nxt in graph[word]:
            if nxt not in dist:
                dist[nxt], parent[nxt] = dist[word] + 1, word
                queue.append(nxt)
    return dist, parent


register(WordLadder())
