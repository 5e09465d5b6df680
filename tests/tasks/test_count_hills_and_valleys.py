import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestCountHillsAndValleys(TaskChecklist):
    task = "count_hills_and_valleys"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        count = int(inst.solution.answer)
        return [str(count + 1), str(count - 1), str(count + rng.randint(2, 9)), "three", ""]

    def test_known_examples(self):
        # LeetCode 2210: [2,4,1,1,6,5] has hills at 1 and 5, valleys at 2/3 (one plateau): 3
        assert verify_answer(self.task, {"terrain": [2, 4, 1, 1, 6, 5]}, "3").correct
        assert not verify_answer(self.task, {"terrain": [2, 4, 1, 1, 6, 5]}, "4").correct
        assert verify_answer(self.task, {"terrain": [6, 6, 5, 5, 4, 1]}, "0").correct
        # edge plateaus never count; a plateau top counts once
        assert verify_answer(self.task, {"terrain": [3, 3, 1, 5, 5, 5, 2, 2]}, "2").correct

    def test_level_knobs(self):
        for level, (low, high, top) in {1: (5, 10, 20), 3: (20, 30, 60), 5: (40, 70, 100)}.items():
            for i in range(4):
                t = instance(self.task, level, i).initial_state["terrain"]
                assert low <= len(t) <= high and 1 <= min(t) and max(t) <= top

    def test_plateaus_occur_and_skeleton_handles_them(self):
        insts = [instance(self.task, 3, i) for i in range(3)]
        assert any(a == b for inst in insts for a, b in zip(inst.initial_state["terrain"],
                                                          inst.initial_state["terrain"][1:]))
        texts = [s.text for inst in insts for s in inst.solution.steps]
        assert any("same plateau" in t for t in texts) and any("a hill" in t for t in texts)
        assert all(s.anchor for s in insts[0].solution.steps[:-2])
