import json
import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestKukurasu(TaskChecklist):
    task = "kukurasu"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        grid = json.loads(inst.solution.answer)
        n = len(grid)
        bad = []
        for _ in range(3):
            r, c = rng.randrange(n), rng.randrange(n)
            flipped = [row[:] for row in grid]
            flipped[r][c] = 1 - flipped[r][c]
            bad.append(json.dumps(flipped))
        bad.append(json.dumps(grid[:-1]))
        return bad

    def test_known_example_and_alternatives(self):
        state = {"size": 3, "row_sums": [3, 3, 0], "col_sums": [1, 1, 2]}
        assert verify_answer(self.task, state, "[[1, 1, 0], [0, 0, 1], [0, 0, 0]]").correct
        assert verify_answer(self.task, state, "1 1 0\n0 0 1\n0 0 0").correct
        wrong = verify_answer(self.task, state, "[[0, 0, 1], [1, 1, 0], [0, 0, 0]]")
        assert not wrong.correct and "column 1" in wrong.reason
        # all sums 3: exactly two grids qualify, and both are accepted
        two = {"size": 3, "row_sums": [3, 3, 3], "col_sums": [3, 3, 3]}
        assert verify_answer(self.task, two, "[[0, 0, 1], [0, 0, 1], [1, 1, 0]]").correct
        assert verify_answer(self.task, two, "[[1, 1, 0], [1, 1, 0], [0, 0, 1]]").correct

    def test_non_binary_and_shape(self):
        state = {"size": 3, "row_sums": [3, 3, 0], "col_sums": [1, 1, 2]}
        assert not verify_answer(self.task, state, "[[3, 0, 0], [0, 0, 1], [0, 0, 0]]").correct
        assert verify_answer(self.task, state, "[[1, 1], [0, 0]]").status == "unparsable"

    def test_level_knobs_and_uniqueness_share(self):
        found = []
        for level in range(1, 6):
            for i in range(3):
                inst = instance(self.task, level, i)
                assert inst.initial_state["size"] == level + 2
                found.append(inst.solution.num_solutions)
        assert found.count(1) >= 0.8 * len(found)
