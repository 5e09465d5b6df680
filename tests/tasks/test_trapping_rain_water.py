import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestTrappingRainWater(TaskChecklist):
    task = "trapping_rain_water"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        water = int(inst.solution.answer)
        return [str(water + 1), str(water - 1), str(water + rng.randint(2, 9)), "forty", ""]

    def test_known_example(self):
        state = {"height": [0, 1, 0, 2, 1, 0, 1, 3, 2, 1, 2, 1]}
        assert verify_answer(self.task, state, "6").correct
        assert verify_answer(self.task, state, "6.0").correct
        assert not verify_answer(self.task, state, "5").correct

    def test_level_knobs(self):
        for level, (low, high, top) in {1: (5, 10, 20), 5: (40, 70, 100)}.items():
            for i in range(4):
                h = instance(self.task, level, i).initial_state["height"]
                assert low <= len(h) <= high and max(h) <= top

    def test_skeleton_walks_the_sweep(self):
        inst = instance(self.task, 2, 0)
        texts = [s.text for s in inst.solution.steps]
        assert any("left pointer" in t for t in texts) and any("right pointer" in t for t in texts)
        assert all(s.anchor for s in inst.solution.steps[1:-2])
