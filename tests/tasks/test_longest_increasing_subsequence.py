import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestLongestIncreasingSubsequence(TaskChecklist):
    task = "longest_increasing_subsequence"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        n = int(inst.solution.answer)
        return [str(n + 1), str(n - 1), str(n + rng.randint(2, 9)), "three", ""]

    def test_known_examples(self):
        state = {"sequence": [10, 9, 2, 5, 3, 7, 101, 18]}
        assert verify_answer(self.task, state, "4").correct
        assert not verify_answer(self.task, state, "5").correct
        # strictly increasing: repeats do not extend
        assert verify_answer(self.task, {"sequence": [7, 7, 7, 7]}, "1").correct
        assert verify_answer(self.task, {"sequence": [1, 2, 2, 3]}, "3").correct

    def test_level_knobs(self):
        for level, (low, high, top) in {1: (5, 10, 20), 3: (20, 30, 60), 5: (40, 70, 100)}.items():
            for i in range(4):
                s = instance(self.task, level, i).initial_state["sequence"]
                assert low <= len(s) <= high and 1 <= min(s) and max(s) <= top

    def test_skeleton_shows_the_tails(self):
        inst = instance(self.task, 3, 0)
        anchors = [s.anchor for s in inst.solution.steps[1:-2]]
        assert all(a.startswith("tails = ") for a in anchors)
        assert any("replaces tail" in s.text for s in inst.solution.steps)
