import random

from generators.graphs.shortest_path import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# 0 -1- 1 -1- 3 and a direct 0 -5- 3, plus a dead branch 1 -9- 2: the detour is shorter
SMALL = {"nodes": 4, "edges": [[0, 1, 1], [1, 3, 1], [0, 3, 5], [1, 2, 9]], "source": 0, "target": 3}


class TestShortestPath(TaskChecklist):
    task = "shortest_path"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        best = int(inst.solution.answer)
        return [str(best + 1), str(best - 1), str(best + rng.randint(2, 9)), "ten", "", "[0, 1]"]

    def test_known_example(self):
        assert verify_answer(self.task, SMALL, "2").correct
        assert verify_answer(self.task, SMALL, "2.0").correct
        assert not verify_answer(self.task, SMALL, "5").correct  # the direct edge is not shortest
        assert not verify_answer(self.task, SMALL, "1").correct
        assert verify_answer(self.task, SMALL, "two").status == "unparsable"

    def test_unreachable_target_rejects_every_number(self):
        cut = {"nodes": 3, "edges": [[0, 1, 2]], "source": 0, "target": 2}
        assert not verify_answer(self.task, cut, "2").correct

    def test_level_knobs(self):
        for level, (rows, cols, top, min_hops) in LEVELS.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                state = inst.initial_state
                assert state["nodes"] == rows * cols
                assert state["source"] == 0 and state["target"] == rows * cols - 1
                assert all(1 <= w <= top for *_, w in state["edges"])
                path = [s.text for s in inst.solution.steps if s.kind == "check"][0]
                hops = path.split("path ")[1].split(";")[0].count("->")
                assert hops >= min_hops

    def test_skeleton_records_the_distance_table(self):
        inst = instance(self.task, 3, 0)
        pops = [s for s in inst.solution.steps if s.kind == "deduce"]
        assert pops and all(s.anchor and s.anchor.startswith("settled:") for s in pops)
        assert "frontier:" in pops[0].anchor
        assert pops[-1].text.startswith(f"Pop {inst.initial_state['target']} ")
