import ast
import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# a 5-cycle 0-1-2-3-4 with the chord 0-2
PENTAGON = {"0": [1, 2, 4], "1": [0, 2], "2": [0, 1, 3], "3": [2, 4], "4": [0, 3]}
# two triangles sharing vertex 0 (a bowtie): every vertex has degree >= 2, yet no cycle
BOWTIE = {"0": [1, 2, 3, 4], "1": [0, 2], "2": [0, 1], "3": [0, 4], "4": [0, 3]}


def is_no(answer: str) -> str:
    return "no" if answer.strip().lower() == "no" else "yes"


class TestHamiltonianCycle(TaskChecklist):
    task = "hamiltonian_cycle"
    branch_of = staticmethod(is_no)

    def perturb(self, inst, rng: random.Random) -> list[str]:
        n = len(inst.initial_state)
        if inst.solution.answer == "No":
            order = list(range(n))
            rng.shuffle(order)
            return [str(order), str(list(range(n))), str(list(range(n)) + [0]), "Yes"]
        cycle = ast.literal_eval(inst.solution.answer)
        return ["No", str(cycle[:-1]), str(cycle[:-1] + cycle[:1]), str(cycle + [cycle[1]]),
                str(cycle + cycle[:1] + cycle[1:2]), str(cycle[:1] + cycle)]

    def test_known_example(self):
        assert verify_answer(self.task, PENTAGON, "[0, 1, 2, 3, 4]").correct
        assert not verify_answer(self.task, PENTAGON, "[0, 2, 1, 3, 4]").correct
        assert not verify_answer(self.task, PENTAGON, "No").correct
        assert verify_answer(self.task, BOWTIE, "No").correct
        assert not verify_answer(self.task, BOWTIE, "[1, 2, 0, 3, 4]").correct  # 4-1 missing

    def test_rotations_reversals_and_closed_form(self):
        for answer in ("[2, 3, 4, 0, 1]", "[4, 3, 2, 1, 0]", "[0, 1, 2, 3, 4, 0]",
                       "3 -> 2 -> 1 -> 0 -> 4 -> 3", "[1, 0, 4, 3, 2]"):
            assert verify_answer(self.task, PENTAGON, answer).correct, answer
        assert not verify_answer(self.task, PENTAGON, "[0, 1, 2, 3, 4, 1]").correct

    def test_solver_cycles_in_any_rotation(self):
        for level in (2, 5):
            for i in range(6):
                inst = instance(self.task, level, i)
                if inst.solution.answer == "No":
                    continue
                cycle = ast.literal_eval(inst.solution.answer)
                k = len(cycle) // 2
                for other in (cycle[k:] + cycle[:k], cycle[::-1], cycle + cycle[:1]):
                    assert verify_answer(self.task, inst.initial_state, str(other)).correct

    def test_no_is_judged_on_both_branches(self):
        seen = set()
        for level in range(1, 6):
            for i in range(10):
                inst = instance(self.task, level, i)
                state, answer = inst.initial_state, inst.solution.answer
                verdict = verify_answer(self.task, state, "No")
                assert verdict.correct == (answer == "No"), (level, i, answer, verdict)
                seen.add((level, answer == "No"))
        assert len(seen) == 10, "both branches at every level"

    def test_level_knobs(self):
        for level, n in {1: 6, 2: 9, 3: 12, 4: 14, 5: 16}.items():
            for i in range(3):
                adj = instance(self.task, level, i).initial_state
                assert sorted(map(int, adj)) == list(range(n))
                assert all(len(nbrs) <= 4 for nbrs in adj.values())

    def test_skeleton_shows_search(self):
        kinds = {s.kind for level in (4, 5) for i in range(6)
                 for s in instance(self.task, level, i).solution.steps}
        assert {"try", "dead_end", "backtrack"} <= kinds
