import random

from generators.graphs.max_flow import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# source capacity 3 + 2 = 5, sink capacity 2 + 3 = 5, but the middle only passes 1 + 2 + 1 = 4:
# 0->1 (3), 0->2 (2), 1->3 (1), 1->4 (2), 2->4 (1), 3->5 (2), 4->5 (3)
SMALL = {"nodes": 6, "source": 0, "sink": 5, "layers": [[0], [1, 2], [3, 4], [5]],
         "edges": [[0, 1, 3], [0, 2, 2], [1, 3, 1], [1, 4, 2], [2, 4, 1], [3, 5, 2], [4, 5, 3]]}


class TestMaxFlow(TaskChecklist):
    task = "max_flow"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        best = int(inst.solution.answer)
        return [str(best + 1), str(best - 1), str(best + rng.randint(2, 9)), "many", ""]

    def test_known_example(self):
        assert verify_answer(self.task, SMALL, "4").correct
        assert verify_answer(self.task, SMALL, "4.0").correct
        assert not verify_answer(self.task, SMALL, "5").correct  # the source's total is not the flow
        assert not verify_answer(self.task, SMALL, "3").correct
        assert verify_answer(self.task, SMALL, "four").status == "unparsable"

    def test_antiparallel_and_unreachable(self):
        loop = {"nodes": 3, "source": 0, "sink": 2, "edges": [[0, 1, 4], [1, 0, 4], [1, 2, 3]]}
        assert verify_answer(self.task, loop, "3").correct
        cut = {"nodes": 3, "source": 0, "sink": 2, "edges": [[0, 1, 4], [2, 1, 3]]}
        assert verify_answer(self.task, cut, "0").correct

    def test_level_knobs(self):
        for level, (sizes, top) in LEVELS.items():
            for i in range(3):
                state = instance(self.task, level, i).initial_state
                assert [len(layer) for layer in state["layers"]] == list(sizes)
                assert state["source"] == 0 and state["sink"] == sum(sizes) - 1
                layer_of = {v: k for k, layer in enumerate(state["layers"]) for v in layer}
                assert all(layer_of[v] == layer_of[u] + 1 and 1 <= c <= top
                           for u, v, c in state["edges"])

    def test_answer_is_not_a_plain_sum_at_the_ends(self):
        for level in (1, 3, 5):
            for inst in self.instances(level):
                state, value = inst.initial_state, int(inst.solution.answer)
                assert value < sum(c for u, _, c in state["edges"] if u == state["source"])
                assert value < sum(c for _, v, c in state["edges"] if v == state["sink"])

    def test_skeleton_records_paths_and_the_cut(self):
        steps = instance(self.task, 4, 0).solution.steps
        paths = [s for s in steps if s.text.startswith("Augmenting path")]
        assert paths and all("bottleneck" in s.text and s.anchor for s in paths)
        assert "cut equal to the flow" in steps[-2].text
