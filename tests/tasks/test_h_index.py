import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestHIndex(TaskChecklist):
    task = "h_index"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        h = int(inst.solution.answer)
        return [str(h + 1), str(h - 1), str(h + rng.randint(2, 9)), "five", ""]

    def test_known_examples(self):
        assert verify_answer(self.task, {"citations": [3, 0, 6, 1, 5]}, "3").correct
        assert not verify_answer(self.task, {"citations": [3, 0, 6, 1, 5]}, "2").correct
        assert verify_answer(self.task, {"citations": [1, 3, 1]}, "1").correct
        assert verify_answer(self.task, {"citations": [100]}, "1").correct
        assert verify_answer(self.task, {"citations": [0, 0]}, "0").correct

    def test_level_knobs(self):
        for level, (low, high, top) in {1: (5, 10, 20), 3: (20, 30, 60), 5: (40, 70, 100)}.items():
            for i in range(4):
                c = instance(self.task, level, i).initial_state["citations"]
                assert low <= len(c) <= high and 0 <= min(c) and max(c) <= top

    def test_skeleton_walks_the_ranks(self):
        inst = instance(self.task, 2, 0)
        assert inst.solution.steps[0].anchor.startswith("sorted = ")
        assert all(s.anchor for s in inst.solution.steps[:-1])
