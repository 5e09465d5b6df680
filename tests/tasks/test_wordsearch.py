import random
import re

from generators.puzzles.wordsearch import DIRECTIONS
from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_wordsearch
from verifiers.registry import verify_answer

_ANSWER = re.compile(r"(\w+) (\w+) @ \((\d+),(\d+)\)")


def _readings(grid: list[list[str]], word: str) -> int:
    n, total = len(grid), 0
    for r in range(n):
        for c in range(n):
            for dr, dc in DIRECTIONS.values():
                cells = [(r + k * dr, c + k * dc) for k in range(len(word))]
                if all(0 <= a < n and 0 <= b < n for a, b in cells):
                    total += "".join(grid[a][b] for a, b in cells) == word
    return total


class TestWordSearch(TaskChecklist):
    task = "wordsearch"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        word, direction, x, y = _ANSWER.fullmatch(inst.solution.answer).groups()
        x, y = int(x), int(y)
        other = rng.choice([d for d in DIRECTIONS if d != direction])
        dr, dc = DIRECTIONS[direction]
        end_x, end_y = x + (len(word) - 1) * dc, y + (len(word) - 1) * dr
        reverse = {"N": "S", "S": "N", "E": "W", "W": "E",
                   "NE": "SW", "SW": "NE", "NW": "SE", "SE": "NW"}[direction]
        return [f"{word} {other} @ ({x},{y})", f"{word} {direction} @ ({x + 1},{y})",
                f"{word} {direction} @ ({x},{y - 1})", f"{word} {direction} @ ({y},{x})" if x != y
                else f"{word} {direction} @ ({x},{y + 1})",
                f"{word} {reverse} @ ({end_x},{end_y})", f"{word[:-1]}{'Q' if word[-1] != 'Q' else 'Z'} {direction} @ ({x},{y})"]

    def test_known_example(self):
        state = {"grid": [list("CATX"), list("XOXX"), list("XXWX"), list("DOGX")], "word": "COW"}
        assert verify_answer(self.task, state, "COW SE @ (1,1)").correct
        assert verify_answer(self.task, state, "COW SE (1, 1) @").correct      # public generator form
        assert verify_answer(self.task, state, "cow south-east @ (1, 1)").correct
        assert not verify_answer(self.task, state, "COW E @ (1,1)").correct
        assert not verify_answer(self.task, state, "COW SE @ (2,2)").correct
        # x is the column: (1,1) is symmetric, so test a swapped pair on another word
        state2 = {"grid": [list("XXXX"), list("XXXX"), list("DOGX"), list("XXXX")], "word": "DOG"}
        assert verify_answer(self.task, state2, "DOG E @ (1,3)").correct
        assert not verify_answer(self.task, state2, "DOG E @ (3,1)").correct
        assert verify_answer(self.task, state2, "DOG @ (1,3)").status == "unparsable"
        assert verify_answer(self.task, state2, "DOG Q @ (1,3)").status == "unparsable"

    def test_word_reads_exactly_once(self):
        for level in range(1, 6):
            for i in range(4):
                state = instance(self.task, level, i).initial_state
                assert _readings(state["grid"], state["word"]) == 1

    def test_level_knobs(self):
        for level, (n, shortest, longest) in {1: (5, 4, 5), 3: (10, 6, 9), 5: (15, 8, 10)}.items():
            for i in range(3):
                state = instance(self.task, level, i).initial_state
                assert len(state["grid"]) == n and all(len(r) == n for r in state["grid"])
                assert shortest <= len(state["word"]) <= longest

    def test_counter_sees_two_solutions(self):
        """The counter agrees with the verifier asked about every position and direction."""
        cases = [({"grid": [list("CATX"), list("XOXX"), list("XXWX"), list("DOGX")], "word": "COW"}, 1),
                 ({"grid": [list("COWX"), list("OXXX"), list("WXXX"), list("XXXX")], "word": "COW"}, 2),
                 ({"grid": [list("XXXX"), list("XABA"), list("XXXX"), list("XXXX")], "word": "ABA"}, 2),
                 ({"grid": [list("COWX"), list("XXXX"), list("XXXX"), list("XXXX")], "word": "DOG"}, 0)]
        for state, expected in cases:
            accepted = sum(verify_answer(self.task, state, f"{state['word']} {d} @ ({x},{y})").correct
                           for d in DIRECTIONS for x in range(1, 5) for y in range(1, 5))
            assert accepted == expected, state
            assert count_wordsearch(state, limit=10) == expected, state
