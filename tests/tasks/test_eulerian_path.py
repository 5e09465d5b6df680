import ast
import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# the "house": square 0-1-2-3 with the roof 2-4-3; odd vertices 2 and 3
HOUSE = {"0": [1, 3], "1": [0, 2], "2": [1, 3, 4], "3": [0, 2, 4], "4": [2, 3]}
# a star with three leaves: four odd vertices (the centre has degree 3)
STAR = {"0": [1, 2, 3], "1": [0], "2": [0], "3": [0]}
# two separate triangles: all degrees even, but the edges are in two pieces
TWO_TRIANGLES = {"0": [1, 2], "1": [0, 2], "2": [0, 1], "3": [4, 5], "4": [3, 5], "5": [3, 4]}


def is_no(answer: str) -> str:
    return "no" if answer.strip().lower() == "no" else "yes"


class TestEulerianPath(TaskChecklist):
    task = "eulerian_path"
    branch_of = staticmethod(is_no)

    def perturb(self, inst, rng: random.Random) -> list[str]:
        adj = inst.initial_state
        if inst.solution.answer == "No":
            u = next(k for k, v in adj.items() if v)
            return [str([int(u), adj[u][0]]), str([int(u), adj[u][0], int(u)]), "Yes"]
        trail = ast.literal_eval(inst.solution.answer)
        i = rng.randrange(1, len(trail) - 1) if len(trail) > 2 else 0
        swapped = trail[:i] + [(trail[i] + 1) % len(adj)] + trail[i + 1:]
        return ["No", str(trail[:-1]), str(trail + [trail[-2]]), str(swapped), str(trail[1:])]

    def test_known_example(self):
        assert verify_answer(self.task, HOUSE, "[0, 1, 2, 4, 3, 2]").correct is False  # 3-0 unused
        assert verify_answer(self.task, HOUSE, "[0, 3, 4, 2, 3]").correct is False
        assert verify_answer(self.task, HOUSE, "[1, 0, 3, 4, 2, 3]").correct is False
        assert verify_answer(self.task, HOUSE, "[2, 1, 0, 3, 2, 4, 3]").correct
        assert verify_answer(self.task, HOUSE, "[3, 4, 2, 3, 0, 1, 2]").correct  # reversed
        assert verify_answer(self.task, HOUSE, "2 -> 4 -> 3 -> 2 -> 1 -> 0 -> 3").correct
        assert not verify_answer(self.task, HOUSE, "No").correct

    def test_no_by_parity_and_by_connectivity(self):
        assert verify_answer(self.task, STAR, "No").correct
        assert not verify_answer(self.task, STAR, "[1, 0, 2]").correct
        assert verify_answer(self.task, TWO_TRIANGLES, "No").correct
        assert not verify_answer(self.task, TWO_TRIANGLES, "[0, 1, 2, 0]").correct

    def test_no_is_judged_on_both_branches(self):
        seen = set()
        for level in range(1, 6):
            for i in range(10):
                inst = instance(self.task, level, i)
                state, answer = inst.initial_state, inst.solution.answer
                assert verify_answer(self.task, state, "No").correct == (answer == "No"), (level, i)
                seen.add((level, answer == "No"))
                if answer != "No":  # any valid trail: the reversed one too
                    back = str(ast.literal_eval(answer)[::-1])
                    assert verify_answer(self.task, state, back).correct
        assert len(seen) == 10, "both branches at every level"

    def test_both_kinds_of_no(self):
        kinds = set()
        for level in range(1, 6):
            for i in range(12):
                inst = instance(self.task, level, i)
                if inst.solution.answer == "No":
                    text = " ".join(s.text for s in inst.solution.steps)
                    kinds.add("pieces" if "separate pieces" in text else "parity")
        assert kinds == {"pieces", "parity"}

    def test_level_knobs(self):
        for level, n in {1: 6, 2: 8, 3: 10, 4: 12, 5: 16}.items():
            for i in range(3):
                adj = instance(self.task, level, i).initial_state
                assert sorted(map(int, adj)) == list(range(n))
                assert all(nbrs for nbrs in adj.values()), "no isolated vertex"

    def test_skeleton_shows_parity_and_splices(self):
        steps = [s for level in (3, 5) for i in range(8)
                 for s in instance(self.task, level, i).solution.steps]
        assert any(s.anchor and "degree" in s.anchor and "odd" in s.anchor for s in steps)
        assert any("Splice" in s.text for s in steps)
