import json
import random
from collections import deque
from pathlib import Path

from generators.puzzles._words import WORDS_FILE, words_of_length
from generators.puzzles.wordladder import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.puzzles._words import WORDS_FILE as VERIFIER_WORDS_FILE
from verifiers.puzzles._words import word_set
from verifiers.registry import verify_answer


def _fmt(ladder: list[str]) -> str:
    return "[" + ", ".join(f'"{w}"' for w in ladder) + "]"


def shortest_changes(start: str, target: str) -> int | None:
    """Fewest one-letter changes through listed words (an independent BFS), or None."""
    words = {w for w in word_set() if len(w) == len(start)}
    dist, queue = {start: 0}, deque([start])
    while queue:
        word = queue.popleft()
        if word == target:
            return dist[word]
        for i in range(len(word)):
            for letter in "abcdefghijklmnopqrstuvwxyz":
                nxt = word[:i] + letter + word[i + 1:]
                if nxt in words and nxt not in dist:
                    dist[nxt] = dist[word] + 1
                    queue.append(nxt)
    return None


class TestWordLadder(TaskChecklist):
    task = "wordladder"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        ladder = json.loads(inst.solution.answer)
        words = word_set()
        i = rng.randrange(1, len(ladder) - 1)
        # one rung replaced by a listed word that is not one letter from its neighbours
        stranger = next(w for w in sorted(words) if len(w) == len(ladder[i]) and w not in ladder
                        and sum(a != b for a, b in zip(w, ladder[i - 1])) > 1)
        swapped = list(ladder)
        swapped[i] = stranger
        return [_fmt(ladder[:-1]), _fmt(ladder[1:]), _fmt(swapped), _fmt(ladder[:i] + ladder[i + 1:]),
                _fmt(ladder[:i + 1] + [ladder[i - 1]] + ladder[i:]),  # a repeat: back and forth
                _fmt(list(reversed(ladder)))]

    def test_known_example(self):
        state = {"start_word": "cold", "target_word": "warm"}
        assert shortest_changes("cold", "warm") == 4
        right = ["cold", "cord", "card", "ward", "warm"]
        assert all(w in word_set() for w in right)
        assert verify_answer(self.task, state, _fmt(right)).correct
        assert verify_answer(self.task, state, "COLD -> CORD -> CARD -> WARD -> WARM").correct
        assert verify_answer(self.task, state, "[cold, cord, card, ward, warm]").correct
        # a non-word
        verdict = verify_answer(self.task, state, _fmt(["cold", "cxld", "card", "ward", "warm"]))
        assert not verdict.correct
        # two letters at once
        assert not verify_answer(self.task, state, _fmt(["cold", "card", "ward", "warm"])).correct
        assert verify_answer(self.task, state, "[cold, c0rd]").status == "unparsable"

    def test_every_valid_ladder_accepted_shortest_or_not(self):
        state = {"start_word": "cold", "target_word": "warm"}
        other = ["cold", "cord", "word", "ward", "warm"]
        assert all(w in word_set() for w in other)
        assert verify_answer(self.task, state, _fmt(other)).correct
        # the official rule (wordladder_eval.py): any valid ladder, however long; version 1 of
        # this task rejected this one for not being a shortest ladder
        longer = ["cold", "bold", "bolt", "boat", "coat", "cost"]
        state2 = {"start_word": "cold", "target_word": "cost"}
        assert all(w in word_set() for w in longer) and shortest_changes("cold", "cost") == 2
        assert verify_answer(self.task, state2, _fmt(longer)).correct
        assert verify_answer(self.task, state2, "cold -> colt -> cost").correct

    def test_rules_still_bind_long_ladders(self):
        state = {"start_word": "cold", "target_word": "cost"}
        # a word used twice (back and forth) is still wrong
        verdict = verify_answer(self.task, state, _fmt(["cold", "bold", "cold", "colt", "cost"]))
        assert not verdict.correct and "twice" in verdict.reason
        verdict = verify_answer(self.task, state, _fmt(["cold"]))
        assert not verdict.correct
        verdict = verify_answer(self.task, {"start_word": "cold", "target_word": "cold"}, _fmt(["cold"]))
        assert not verdict.correct and "at least" in verdict.reason

    def test_question_asks_for_any_valid_ladder(self):
        inst = instance(self.task, 1, 0)
        for question in (inst.question_image, inst.question_text):
            assert "need not be the shortest" in question and "used twice" in question
        assert inst.state.start_word in inst.question_text

    def test_level_knobs(self):
        # the official levels count changes (steps) of a shortest ladder: 3-5 / 4-6 / 5-7 / 6-8 / 7-10
        for level, (length, low, high) in LEVELS.items():
            for i in range(4):
                inst = instance(self.task, level, i)
                state = inst.initial_state
                assert len(state["start_word"]) == len(state["target_word"]) == length
                changes = shortest_changes(state["start_word"], state["target_word"])
                assert low <= changes <= high
                assert len(json.loads(inst.solution.answer)) == changes + 1

    def test_one_word_list_for_both_sides(self):
        assert Path(WORDS_FILE).resolve() == Path(VERIFIER_WORDS_FILE).resolve()
        assert set(words_of_length(4)) == {w for w in word_set() if len(w) == 4}
        header = Path(WORDS_FILE).read_text().splitlines()[0]
        assert header.startswith("#")

    def test_skeleton_shows_bfs_layers(self):
        steps = instance(self.task, 5, 0).solution.steps
        assert sum(s.text.startswith("Layer") for s in steps) >= 7
