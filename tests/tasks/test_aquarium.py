import random
import re

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# two tanks: the left column (A) and the rest (B); A filled up to y=1, B only its bottom row
STATE = {"size": 3, "regions": [[0, 1, 1], [0, 1, 1], [0, 1, 1]],
         "row_clues": [0, 1, 3], "col_clues": [2, 1, 1]}
GOOD = "[(0, 1), (0, 2), (1, 2), (2, 2)]"


def _cells(answer: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"\((\d+), (\d+)\)", answer)]


def _text(cells) -> str:
    return "[" + ", ".join(f"({x}, {y})" for x, y in cells) + "]"


class TestAquarium(TaskChecklist):
    task = "aquarium"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        cells = _cells(inst.solution.answer)
        n = inst.initial_state["size"]
        bad = [_text(cells[:-1])]
        free = [(x, y) for x in range(n) for y in range(n) if (x, y) not in cells]
        if free:
            bad.append(_text(cells + [rng.choice(free)]))
        swapped = [(y, x) for x, y in cells]
        if sorted(swapped) != sorted(cells):
            bad.append(_text(swapped))  # (row, column) order is wrong unless it happens to agree
        return [b for b in bad if not verify_answer(self.task, inst.initial_state, b).correct] or bad[:1]

    def test_known_example(self):
        assert verify_answer(self.task, STATE, GOOD).correct
        assert verify_answer(self.task, STATE, "{(0, 2), (0, 1), (2, 2), (1, 2)}").correct
        # the same cells written (row, column) are judged as (x, y) and fail
        assert not verify_answer(self.task, STATE, "[(1, 0), (2, 0), (2, 1), (2, 2)]").correct

    def test_water_must_rest_on_the_bottom(self):
        # counts match, but tank B holds water in row 1 above a dry cell in row 2
        state = {"size": 2, "regions": [[0, 0], [0, 0]], "row_clues": [0, 1], "col_clues": [1, 0]}
        assert verify_answer(self.task, state, "[(0, 1)]").status == "wrong"  # tank row half dry
        tank = {"size": 2, "regions": [[0, 1], [0, 1]], "row_clues": [1, 1], "col_clues": [1, 1]}
        floating = verify_answer(self.task, tank, "[(0, 0), (1, 1)]")
        assert not floating.correct and "dry" in floating.reason
        assert verify_answer(self.task, tank, "[(0, 0), (0, 1)]").correct is False  # column counts
        ok = {"size": 2, "regions": [[0, 1], [0, 1]], "row_clues": [0, 2], "col_clues": [1, 1]}
        assert verify_answer(self.task, ok, "[(0, 1), (1, 1)]").correct

    def test_alternative_solutions_accepted(self):
        # four one-cell tanks, one water cell per row and column: both diagonals are right
        state = {"size": 2, "regions": [[0, 1], [2, 3]], "row_clues": [1, 1], "col_clues": [1, 1]}
        assert verify_answer(self.task, state, "[(0, 0), (1, 1)]").correct
        assert verify_answer(self.task, state, "[(1, 0), (0, 1)]").correct
        dry = {"size": 2, "regions": [[0, 0], [1, 1]], "row_clues": [0, 0], "col_clues": [0, 0]}
        assert verify_answer(self.task, dry, "[]").correct

    def test_level_knobs(self):
        for level in range(1, 6):
            inst = instance(self.task, level, 0)
            assert inst.initial_state["size"] == level + 3
            assert inst.solution.num_solutions == 1
