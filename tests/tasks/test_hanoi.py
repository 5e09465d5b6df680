import json
import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

PAIR = "({},{})"


class TestHanoi(TaskChecklist):
    task = "hanoi"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        moves = [tuple(int(x) for x in m.strip("()").split(",")) for m in inst.solution.answer.split()]
        i = rng.randrange(len(moves))
        disk, peg = moves[i]
        other_peg = [p for p in (1, 2, 3) if p != peg][rng.randrange(2)]
        wrong_peg = moves[:i] + [(disk, other_peg)] + moves[i + 1:]
        wrong_disk = moves[:i] + [(disk % 7 + 1, peg)] + moves[i + 1:]
        show = lambda ms: " ".join(PAIR.format(*m) for m in ms)  # noqa: E731
        return [show(wrong_peg), show(wrong_disk), show(moves[:-1]), show(moves[1:]),
                "(1 3)", ""]

    def test_known_example(self):
        state = {"pegs": [[3, 2, 1], [], []]}
        best = "(1,3) (2,2) (1,2) (3,3) (1,1) (2,3) (1,3)"
        assert verify_answer(self.task, state, best).correct
        assert verify_answer(self.task, state, "[(1, 3), (2, 2), (1, 2), (3, 3), (1, 1), (2, 3), (1, 3)]").correct
        # a legal detour is still a solution
        detour = "(1,2) (1,1) " + best
        assert verify_answer(self.task, state, detour).correct
        assert not verify_answer(self.task, state, "(1,3) (2,3)").correct  # larger on smaller
        assert "under" in verify_answer(self.task, state, "(2,2)").reason  # not the top disk
        assert not verify_answer(self.task, state, "(1,4)").correct
        assert not verify_answer(self.task, state, best.rsplit(" ", 1)[0]).correct

    def test_public_row_shape(self):
        # public rows store the peg lists as the JSON text of a list
        assert verify_answer(self.task, json.dumps([[2, 1], [], [3]]), "(1,2) (2,3) (1,3)").correct

    def test_level_knobs(self):
        for level, (fewest, most, low, high) in {1: (3, 4, 3, 7), 3: (5, 6, 16, 31),
                                                 5: (7, 7, 51, 80)}.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                assert fewest <= sum(map(len, inst.initial_state["pegs"])) <= most
                assert low <= inst.solution.effort <= high
                assert inst.solution.num_solutions == 1  # the shortest route to peg 3 is unique

    def test_start_positions_vary(self):
        starts = {json.dumps(instance(self.task, 2, i).initial_state) for i in range(6)}
        assert len(starts) == 6
