import random
from collections import Counter

from generators.graphs.isomorphism import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# a 6-cycle against two triangles: same size, every degree 2, not isomorphic
CYCLE = {"nodes": 6, "edges": [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [0, 5]]}
TRIANGLES = {"nodes": 6, "edges": [[0, 1], [1, 2], [0, 2], [3, 4], [4, 5], [3, 5]]}
RELABELLED = {"nodes": 6, "edges": [[0, 3], [3, 1], [1, 4], [4, 2], [2, 5], [5, 0]]}


def _degrees(graph: dict) -> list[int]:
    count = Counter(v for edge in graph["edges"] for v in edge)
    return sorted(count[v] for v in range(graph["nodes"]))


class TestIsomorphism(TaskChecklist):
    task = "isomorphism"
    branch_of = staticmethod(lambda answer: answer)

    def perturb(self, inst, rng: random.Random) -> list[str]:
        flipped = "No" if inst.solution.answer == "Yes" else "Yes"
        return [flipped, flipped.lower(), "Maybe", ""]

    def test_known_example(self):
        same = {"graph1": CYCLE, "graph2": RELABELLED, "pair_id": "x"}
        differ = {"graph1": CYCLE, "graph2": TRIANGLES, "pair_id": "x"}
        assert verify_answer(self.task, same, "Yes").correct
        assert verify_answer(self.task, same, "yes.").correct
        assert not verify_answer(self.task, same, "No").correct
        assert verify_answer(self.task, differ, "No").correct  # equal degrees do not decide it
        assert not verify_answer(self.task, differ, "Yes").correct
        assert verify_answer(self.task, differ, "Perhaps").status == "unparsable"

    def test_pairs_share_g1_and_differ_in_answer(self):
        for level in LEVELS:
            for k in range(3):
                yes, no = instance(self.task, level, 2 * k), instance(self.task, level, 2 * k + 1)
                assert yes.initial_state["graph1"] == no.initial_state["graph1"]
                assert yes.initial_state["pair_id"] == no.initial_state["pair_id"]
                assert (yes.solution.answer, no.solution.answer) == ("Yes", "No")
                assert yes.images[0] == no.images[0], "G1 is drawn identically in both members"
            ids = {instance(self.task, level, 2 * k).initial_state["pair_id"] for k in range(3)}
            assert len(ids) == 3

    def test_level_knobs_and_shared_degrees(self):
        for level, (n, m, same_degrees) in LEVELS.items():
            for i in range(4):
                state = instance(self.task, level, i).initial_state
                for graph in (state["graph1"], state["graph2"]):
                    assert graph["nodes"] == n and len(graph["edges"]) == m
                if same_degrees:  # from level 3 a degree count alone does not decide a pair
                    assert _degrees(state["graph1"]) == _degrees(state["graph2"])

    def test_two_pictures(self):
        inst = instance(self.task, 3, 0)
        assert len(inst.images) == 2 and inst.images[0] != inst.images[1]

    def test_skeleton_argues_with_invariants_and_mapping(self):
        yes, no = instance(self.task, 4, 0), instance(self.task, 4, 1)
        assert any("degree sequences" in s.text for s in yes.solution.steps)
        assert yes.solution.steps[-2].anchor.startswith("mapping: ")
        assert "Not isomorphic" in no.solution.steps[-1].text
        assert "degree sequences differ" not in no.solution.steps[-1].text
