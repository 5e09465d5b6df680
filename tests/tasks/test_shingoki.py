import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

SQUARE = "(0,0)-(0,1) (0,1)-(1,1) (1,1)-(1,0) (1,0)-(0,0)"


class TestShingoki(TaskChecklist):
    task = "shingoki"
    effort_samples = 5

    def perturb(self, inst, rng: random.Random) -> list[str]:
        edges = inst.solution.answer.split(" ")
        i = rng.randrange(len(edges))
        return [" ".join(edges[:i] + edges[i + 1:]), " ".join(edges + [edges[i]]),
                " ".join(edges[:i] + ["(0,0)-(9,9)"] + edges[i + 1:]), "a loop"]

    def test_known_example(self):
        # 3x3 points; a black 2 at a corner of the unit square
        state = {"rows": 3, "cols": 3, "grid": [["B2", ".", "."], [".", ".", "."], [".", ".", "."]]}
        assert verify_answer(self.task, state, SQUARE).correct
        assert verify_answer(self.task, state, SQUARE.replace(" ", ", ")).correct
        big = ("(0,0)-(0,1) (0,1)-(0,2) (0,2)-(1,2) (1,2)-(2,2) (2,2)-(2,1) (2,1)-(2,0) "
               "(2,0)-(1,0) (1,0)-(0,0)")
        verdict = verify_answer(self.task, state, big)
        assert not verdict.correct and "add up to 4" in verdict.reason

    def test_rules_enforced(self):
        white = {"rows": 3, "cols": 3, "grid": [[".", "W2", "."], [".", ".", "."], [".", ".", "."]]}
        verdict = verify_answer(self.task, white, SQUARE)
        assert not verdict.correct and "straight" in verdict.reason
        missed = {"rows": 3, "cols": 3, "grid": [["B2", ".", "."], [".", ".", "."], [".", ".", "B2"]]}
        verdict = verify_answer(self.task, missed, SQUARE)
        assert not verdict.correct and "misses" in verdict.reason
        two = SQUARE + " (1,2)-(2,2) (2,2)-(2,1) (2,1)-(1,1)"  # degree 4 at (1,1)
        assert not verify_answer(self.task, missed, two).correct
        assert not verify_answer(self.task, missed, "(0,0)-(1,1)").correct

    def test_alternative_loop_accepted(self):
        # one black 2 at the centre: four unit squares fit it
        state = {"rows": 3, "cols": 3, "grid": [[".", ".", "."], [".", "B2", "."], [".", ".", "."]]}
        assert verify_answer(self.task, state, SQUARE).correct
        other = "(1,1)-(1,2) (1,2)-(2,2) (2,2)-(2,1) (2,1)-(1,1)"
        assert verify_answer(self.task, state, other).correct

    def test_level_knobs(self):
        for level, (n, k) in {1: (3, 3), 3: (5, 4), 5: (7, 10)}.items():
            for i in range(2):
                inst = instance(self.task, level, i)
                grid = inst.initial_state["grid"]
                assert len(grid) == n and sum(cell != "." for row in grid for cell in row) == k
