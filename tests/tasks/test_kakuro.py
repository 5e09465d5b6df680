import itertools
import random
import re

from generators.puzzles.kakuro import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_kakuro
from verifiers.registry import verify_answer

B, W = {"type": "black"}, {"type": "white"}
# 3x3 with the unique solution 1 3 / 2 1: rows sum to 4 and 3, columns to 3 and 4
STATE = {"grid": [[B, {"type": "black", "down": 3}, {"type": "black", "down": 4}],
                  [{"type": "black", "right": 4}, W, W],
                  [{"type": "black", "right": 3}, W, W]]}


class TestKakuro(TaskChecklist):
    task = "kakuro"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        pairs = re.findall(r"\((\d+),(\d+)\):(\d)", inst.solution.answer)
        k = rng.randrange(len(pairs))
        r, c, d = pairs[k]
        changed = list(pairs)
        changed[k] = (r, c, str(int(d) % 9 + 1))
        dropped = pairs[:k] + pairs[k + 1:]
        text = lambda ps: " ".join(f"({a},{b}):{v}" for a, b, v in ps)
        return [text(changed), text(dropped), text(pairs) + " (0,0):5", "(1,1)=",
                inst.solution.answer.replace(")", "")]

    def test_known_example(self):
        assert verify_answer(self.task, STATE, "(1,1):1 (1,2):3 (2,1):2 (2,2):1").correct
        assert verify_answer(self.task, STATE, "(2,2):1, (2,1):2,\n(1,2):3 (1,1):1").correct
        assert verify_answer(self.task, STATE["grid"], "(1,1):1 (1,2):3 (2,1):2 (2,2):1").correct
        bad = verify_answer(self.task, STATE, "(1,1):3 (1,2):1 (2,1):2 (2,2):1")
        assert not bad.correct and "sums" in bad.reason
        assert verify_answer(self.task, STATE, "(1,1):1 (1,2):3 (2,1):2").reason.startswith("white cell")
        assert verify_answer(self.task, STATE, "1 3 2 1").status == "unparsable"

    def test_repeats_within_a_run_are_rejected(self):
        state = {"grid": [[B, {"type": "black", "down": 4}, {"type": "black", "down": 4}],
                          [{"type": "black", "right": 4}, W, W],
                          [{"type": "black", "right": 4}, W, W]]}
        verdict = verify_answer(self.task, state, "(1,1):2 (1,2):2 (2,1):2 (2,2):2")
        assert not verdict.correct and "repeats" in verdict.reason

    def test_level_knobs(self):
        for level in LEVELS:
            side = LEVELS[level][0]
            for i in range(2):
                grid = instance(self.task, level, i).initial_state["grid"]
                assert len(grid) == side and all(len(row) == side for row in grid)
                assert all(cell["type"] == "black" for cell in grid[0])

    def test_stored_answer_is_unique(self):
        for level in LEVELS:
            assert instance(self.task, level, 0).solution.num_solutions == 1

    def test_counter_sees_two_solutions(self):
        # every run sums to 3 = 1 + 2: the 2x2 block is 1 2 / 2 1 or 2 1 / 1 2
        clue = lambda down, right: {"type": "black", **({"down": down} if down else {}),
                                    **({"right": right} if right else {})}
        state = {"grid": [[B, clue(3, 0), clue(3, 0)], [clue(0, 3), W, W], [clue(0, 3), W, W]]}
        accepted = [digits for digits in itertools.product(range(1, 10), repeat=4)
                    if verify_answer(self.task, state, "(1,1):{} (1,2):{} (2,1):{} (2,2):{}"
                                     .format(*digits)).correct]
        assert accepted == [(1, 2, 2, 1), (2, 1, 1, 2)]
        assert count_kakuro(state) == 2 and count_kakuro(state, limit=10) == 2
        assert count_kakuro(STATE) == 1
        # a white cell outside every clued run may hold any digit
        loose = {"grid": [[B, B], [B, W]]}
        assert count_kakuro(loose, limit=20) == 9
