import ast
import random

from generators.puzzles.futoshiki import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

STATE = {"n": 3, "grid": [[0, 0, 0], [0, 0, 0], [0, 0, 3]], "inequalities": [[0, 0, 0, 1]]}


class TestFutoshiki(TaskChecklist):
    task = "futoshiki"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        grid = ast.literal_eval(inst.solution.answer)
        n = len(grid)
        r, c = rng.randrange(n), rng.randrange(n)
        changed = [row[:] for row in grid]
        changed[r][c] = grid[r][c] % n + 1
        swapped = [row[:] for row in grid]
        swapped[r] = grid[r][::-1]  # a row reversed: rows stay valid, columns break
        out = [str(changed), str(grid[:-1])]
        if swapped != grid:
            out.append(str(swapped))
        return out

    def test_known_example(self):
        assert verify_answer(self.task, STATE, "[[1, 2, 3], [3, 1, 2], [2, 3, 1]]").correct is False  # given
        assert verify_answer(self.task, STATE, "[[1, 3, 2], [2, 1, 3], [3, 2, 1]]").correct is False
        assert verify_answer(self.task, STATE, "[[1, 2, 3], [2, 3, 1], [3, 1, 2]]").correct is False
        ok = "[[2, 3, 1], [1, 2, 3], [3, 1, 2]]"
        assert verify_answer(self.task, {**STATE, "grid": [[0] * 3, [0] * 3, [3, 0, 0]]}, ok).correct
        assert verify_answer(self.task, {**STATE, "grid": [[0] * 3, [0] * 3, [3, 0, 0]]},
                             "2 3 1\n1 2 3\n3 1 2").correct

    def test_inequalities_and_alternatives(self):
        state = {"n": 3, "grid": [[0] * 3 for _ in range(3)], "inequalities": [[0, 0, 0, 1]]}
        # two different valid grids are both accepted
        assert verify_answer(self.task, state, "[[1, 2, 3], [2, 3, 1], [3, 1, 2]]").correct
        assert verify_answer(self.task, state, "[[2, 3, 1], [3, 1, 2], [1, 2, 3]]").correct
        verdict = verify_answer(self.task, state, "[[3, 2, 1], [2, 1, 3], [1, 3, 2]]")
        assert not verdict.correct and "smaller" in verdict.reason

    def test_level_knobs(self):
        for level in LEVELS:
            n, share, (low, high) = LEVELS[level]
            for i in range(2):
                state = instance(self.task, level, i).initial_state
                pairs = 2 * n * (n - 1)
                assert len(state["grid"]) == n
                assert sum(1 for row in state["grid"] for v in row if v) == round(share * n * n)
                assert len(state["inequalities"]) <= high * pairs
                assert instance(self.task, level, i).solution.num_solutions == 1
