import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestBestTimeToBuyAndSellStock(TaskChecklist):
    task = "best_time_to_buy_and_sell_stock"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        profit = int(inst.solution.answer)
        return [str(profit + 1), str(profit - 1), str(profit + rng.randint(2, 9)), "thirteen", ""]

    def test_known_example(self):
        state = {"prices": [7, 1, 5, 3, 6, 4]}
        assert verify_answer(self.task, state, "7").correct
        assert not verify_answer(self.task, state, "5").correct  # one transaction only
        assert verify_answer(self.task, {"prices": [1, 2, 3, 4, 5]}, "4").correct
        assert verify_answer(self.task, {"prices": [5, 4, 3]}, "0").correct

    def test_level_knobs(self):
        for level, (low, high, top) in {1: (5, 10, 20), 3: (20, 30, 60), 5: (50, 70, 100)}.items():
            for i in range(4):
                p = instance(self.task, level, i).initial_state["prices"]
                assert low <= len(p) <= high and 1 <= min(p) and max(p) <= top

    def test_skeleton_walks_the_rises(self):
        inst = instance(self.task, 2, 0)
        texts = [s.text for s in inst.solution.steps]
        assert any("rises by" in t for t in texts)
        assert all(s.anchor for s in inst.solution.steps[:-2])
