import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestContainerWithMostWater(TaskChecklist):
    task = "container_with_most_water"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        best = int(inst.solution.answer)
        return [str(best + 1), str(best - 1), str(best + rng.randint(2, 9)), "eighteen", ""]

    def test_known_example(self):
        state = {"heights": [1, 8, 6, 2, 5, 4, 8, 3, 7]}
        assert verify_answer(self.task, state, "49").correct
        assert verify_answer(self.task, state, "49.0").correct
        assert not verify_answer(self.task, state, "56").correct  # 8 * 7 ignores the shorter line
        assert verify_answer(self.task, {"heights": [1, 1]}, "1").correct

    def test_level_knobs(self):
        for level, (low, high, top) in {1: (5, 10, 20), 3: (20, 30, 60), 5: (40, 70, 100)}.items():
            for i in range(4):
                h = instance(self.task, level, i).initial_state["heights"]
                assert low <= len(h) <= high and 1 <= min(h) and max(h) <= top

    def test_skeleton_walks_the_sweep(self):
        inst = instance(self.task, 2, 0)
        texts = [s.text for s in inst.solution.steps]
        assert any("move left inward" in t for t in texts)
        assert any("move right inward" in t for t in texts)
        assert all(s.anchor for s in inst.solution.steps[:-2])
