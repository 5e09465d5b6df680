import ast
import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# two triangles sharing vertex 0 (a bowtie): all degrees even, one piece
BOWTIE = {"0": [1, 2, 3, 4], "1": [0, 2], "2": [0, 1], "3": [0, 4], "4": [0, 3]}
# a square with one diagonal: vertices 0 and 2 have odd degree
SQUARE_DIAGONAL = {"0": [1, 2, 3], "1": [0, 2], "2": [0, 1, 3], "3": [0, 2]}
# two separate triangles: all degrees even, but the edges are in two pieces
TWO_TRIANGLES = {"0": [1, 2], "1": [0, 2], "2": [0, 1], "3": [4, 5], "4": [3, 5], "5": [3, 4]}


def is_no(answer: str) -> str:
    return "no" if answer.strip().lower() == "no" else "yes"


class TestEulerianCycle(TaskChecklist):
    task = "eulerian_cycle"
    branch_of = staticmethod(is_no)

    def perturb(self, inst, rng: random.Random) -> list[str]:
        adj = inst.initial_state
        if inst.solution.answer == "No":
            u = next(k for k, v in adj.items() if v)
            return [str([int(u), adj[u][0], int(u)]), str([int(u)]), "Yes"]
        trail = ast.literal_eval(inst.solution.answer)
        i = rng.randrange(1, len(trail) - 1)
        swapped = trail[:i] + [(trail[i] + 1) % len(adj)] + trail[i + 1:]
        return ["No", str(trail[:-2] + trail[-1:]), str(trail + trail[1:2]), str(swapped),
                str(trail[:-1] + trail[1:2])]

    def test_known_example(self):
        assert verify_answer(self.task, BOWTIE, "[0, 1, 2, 0, 3, 4, 0]").correct
        assert verify_answer(self.task, BOWTIE, "[0, 1, 2, 0, 3, 4]").correct  # open form
        assert verify_answer(self.task, BOWTIE, "[3, 0, 1, 2, 0, 4, 3]").correct  # other start
        assert verify_answer(self.task, BOWTIE, "[0, 4, 3, 0, 2, 1, 0]").correct  # reversed
        assert not verify_answer(self.task, BOWTIE, "[0, 1, 2, 0, 3, 4, 0, 1]").correct
        assert verify_answer(self.task, BOWTIE, "[1, 2, 0, 3, 4, 0]").correct  # open, rotated
        assert not verify_answer(self.task, BOWTIE, "[0, 1, 2, 3, 4, 0]").correct  # 2-3 no edge
        assert not verify_answer(self.task, BOWTIE, "[0, 1, 2, 0]").correct  # edges unused
        assert not verify_answer(self.task, BOWTIE, "No").correct

    def test_no_by_parity_and_by_connectivity(self):
        assert verify_answer(self.task, SQUARE_DIAGONAL, "No").correct
        # an Eulerian path exists here, but it does not close
        assert not verify_answer(self.task, SQUARE_DIAGONAL, "[0, 1, 2, 3, 0, 2]").correct
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
                if answer != "No":  # any start and direction
                    trail = ast.literal_eval(answer)
                    k = len(trail) // 2
                    for other in (trail[::-1], trail[k:] + trail[1:k + 1], trail[:-1]):
                        assert verify_answer(self.task, state, str(other)).correct, other
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
        for level, n in {1: 8, 2: 10, 3: 12, 4: 14, 5: 16}.items():
            for i in range(3):
                adj = instance(self.task, level, i).initial_state
                assert sorted(map(int, adj)) == list(range(n))
                assert all(nbrs for nbrs in adj.values()), "no isolated vertex"

    def test_skeleton_shows_parity_and_splices(self):
        steps = [s for level in (3, 5) for i in range(8)
                 for s in instance(self.task, level, i).solution.steps]
        assert any(s.anchor and "degree" in s.anchor and "odd" in s.anchor for s in steps)
        assert any("Splice" in s.text for s in steps)
