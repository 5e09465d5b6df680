import json
import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


def _tents(answer: str) -> list[list[int]]:
    return json.loads(answer)


class TestCampsite(TaskChecklist):
    task = "campsite"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        tents = _tents(inst.solution.answer)
        n = len(inst.initial_state["input_grid"])
        i = rng.randrange(len(tents))
        dropped = tents[:i] + tents[i + 1:]
        r, c = tents[i]
        moved = [t for t in tents]
        moved[i] = [r, c % n + 1]
        added = tents + [[r, c]]
        return [json.dumps(dropped), json.dumps(moved), json.dumps(added),
                json.dumps([[a - 1, b - 1] for a, b in tents]), "tents everywhere"]

    # two trees whose tents can swap corners: both layouts meet every rule
    STATE = {"input_grid": [["X", "T", "X"], ["X", "X", "X"], ["X", "T", "X"]],
             "row_constraints": [1, 0, 1], "col_constraints": [1, 0, 1]}

    def test_known_example_and_alternative(self):
        assert verify_answer(self.task, self.STATE, "[[1, 1], [3, 3]]").correct
        assert verify_answer(self.task, self.STATE, "[[1, 3], [3, 1]]").correct
        assert verify_answer(self.task, self.STATE, "[[3,1],[1,3]]").correct

    def test_rule_violations(self):
        cases = {
            "[[1, 1], [3, 1]]": "column",           # counts broken
            "[[1, 2], [3, 3]]": "tree",             # tent on a tree
            "[[1, 1], [2, 2], [3, 3]]": "touch",    # touching tents
            "[[1, 1], [4, 3]]": "outside",
        }
        for answer, word in cases.items():
            verdict = verify_answer(self.task, self.STATE, answer)
            assert not verdict.correct and word in verdict.reason, (answer, verdict)

    def test_every_tent_needs_its_own_tree(self):
        # one tree, two tents in reach of it only: counts fit, the pairing does not
        state = {"input_grid": [["X", "T", "X"]], "row_constraints": [2], "col_constraints": [1, 0, 1]}
        verdict = verify_answer(self.task, state, "[[1, 1], [1, 3]]")
        assert not verdict.correct and "tree" in verdict.reason

    def test_level_knobs_and_uniqueness(self):
        for level, (n, k) in {1: (4, 3), 3: (6, 7), 5: (8, 12)}.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                grid = inst.initial_state["input_grid"]
                assert len(grid) == n and all(len(row) == n for row in grid)
                assert sum(row.count("T") for row in grid) == k == sum(inst.initial_state["row_constraints"])
                assert inst.solution.num_solutions == 1
