import random
import re

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# 3 3 1 / 1 2 3 / 3 1 2: several shadings are valid
STATE = {"size": 3, "grid": [[3, 3, 1], [1, 2, 3], [3, 1, 2]]}


def _cells(answer: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in re.findall(r"\((\d+), (\d+)\)", answer)]


def _text(cells) -> str:
    return "{" + ", ".join(f"({r}, {c})" for r, c in sorted(set(cells))) + "}"


class TestHitori(TaskChecklist):
    task = "hitori"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        cells = _cells(inst.solution.answer)
        n = inst.initial_state["size"]
        bad = [_text(cells[1:])]                       # one shaded cell too few: a repeat survives
        r, c = cells[0]
        bad.append(_text(cells + [(r, c + 1 if c + 1 < n else c - 1)]))  # touching shaded cells
        bad.append(_text([(c, r) for r, c in cells]) if any(r != c for r, c in cells) else "{(0, 0), (0, 1)}")
        return [b for b in bad if b != inst.solution.answer]

    def test_known_example_and_alternatives(self):
        assert verify_answer(self.task, STATE, "{(0, 0)}").correct
        assert verify_answer(self.task, STATE, "{(0, 0), (2, 0)}").correct  # extra shading is legal
        assert verify_answer(self.task, STATE, "{(0, 1), (2, 0)}").correct
        repeat = verify_answer(self.task, STATE, "{(0, 1)}")  # column 0 keeps 3 twice
        assert not repeat.correct and "column 0" in repeat.reason
        assert verify_answer(self.task, STATE, "[(0,1), (2,0)]").correct
        assert verify_answer(self.task, STATE, "(0,1) (2,0)").correct
        assert verify_answer(self.task, STATE, "{(0, 1), (2, 0), (0, 0)}").status == "wrong"

    def test_rule_reasons(self):
        touching = verify_answer(self.task, STATE, "{(0, 0), (0, 1), (2, 0)}")
        assert "share a side" in touching.reason
        split = {"size": 3, "grid": [[1, 1, 2], [1, 2, 1], [2, 1, 1]]}
        # shading the anti-diagonal neighbours cuts off the corner (0, 0)
        verdict = verify_answer(self.task, split, "{(0, 1), (1, 0), (1, 2), (2, 1)}")
        assert not verdict.correct
        outside = verify_answer(self.task, STATE, "{(0, 1), (2, 0), (5, 5)}")
        assert "outside" in outside.reason
        assert verify_answer(self.task, STATE, "shade (0,1)").status == "unparsable"

    def test_level_knobs_and_uniqueness(self):
        for level in range(1, 6):
            for i in range(2):
                inst = instance(self.task, level, i)
                assert inst.initial_state["size"] == level + 3
                assert inst.solution.num_solutions == 1

    def test_official_list_state_is_read(self):
        assert verify_answer(self.task, STATE["grid"], "{(0, 1), (2, 0)}").correct
