import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestLargestRectangleInHistogram(TaskChecklist):
    task = "largest_rectangle_in_histogram"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        area = int(inst.solution.answer)
        return [str(area + 1), str(area - 1), str(area + rng.randint(2, 9)), "twenty", ""]

    def test_known_examples(self):
        state = {"heights": [2, 1, 5, 6, 2, 3]}
        assert verify_answer(self.task, state, "10").correct
        assert not verify_answer(self.task, state, "12").correct
        assert verify_answer(self.task, {"heights": [2, 4]}, "4").correct
        assert verify_answer(self.task, {"heights": [3, 3, 3]}, "9").correct  # equal heights

    def test_level_knobs(self):
        for level, (low, high, top) in {1: (5, 10, 20), 3: (20, 30, 60), 5: (40, 70, 100)}.items():
            for i in range(4):
                h = instance(self.task, level, i).initial_state["heights"]
                assert low <= len(h) <= high and 1 <= min(h) and max(h) <= top

    def test_skeleton_shows_the_stack(self):
        inst = instance(self.task, 2, 0)
        anchors = [s.anchor for s in inst.solution.steps[1:-2]]
        assert all(a.startswith("stack = ") for a in anchors)
        assert any("spans" in s.text for s in inst.solution.steps)
        assert "the end (height 0)" in inst.solution.steps[-3].text
