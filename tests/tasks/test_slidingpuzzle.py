import random

from generators.registry import get
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

TURN = {"up": "right", "right": "down", "down": "left", "left": "up"}
FLIP = {"up": "down", "down": "up", "left": "right", "right": "left"}
SOLVED = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12], [13, 14, 15, 0]]
# two moves from solved: the blank went left then up, so the tiles must go down then right
NEAR = {"board": [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 0, 11], [13, 14, 15, 12]]}


class TestSlidingPuzzle(TaskChecklist):
    task = "slidingpuzzle"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        moves = inst.solution.answer.split()
        i = rng.randrange(len(moves))
        turned = moves[:i] + [TURN[moves[i]]] + moves[i + 1:]
        bad = [" ".join(turned), " ".join(moves[:-1]), " ".join(moves + [FLIP[moves[-1]]]), "north"]
        return [b for b in bad if b != inst.solution.answer] + [""]

    def test_known_example(self):
        assert verify_answer(self.task, NEAR, "left up").correct  # tile 11 left, tile 12 up
        assert verify_answer(self.task, NEAR, "L U").correct
        # the same solution written as the blank's directions is not what the question asks for
        verdict = verify_answer(self.task, NEAR, "right down")
        assert not verdict.correct and "blank's directions" in verdict.reason
        # a longer detour still solves it
        assert verify_answer(self.task, NEAR, "right left left up").correct
        assert not verify_answer(self.task, NEAR, "left").correct
        assert not verify_answer(self.task, NEAR, "up left").correct

    def test_illegal_move_rejected(self):
        # blank bottom-right: no tile sits right of it or below it
        verdict = verify_answer(self.task, {"board": SOLVED}, "left left")
        assert not verdict.correct and "impossible" in verdict.reason

    def test_public_shapes(self):
        assert verify_answer(self.task, NEAR["board"], "left up").correct
        assert verify_answer(self.task, [t for row in NEAR["board"] for t in row], "left up").correct

    def test_level_knobs_and_optimality(self):
        task = get(self.task)
        for level in (1, 3, 5):
            low, high = task.levels[level]
            for i in range(3):
                inst = instance(self.task, level, i)
                # the stored answer is optimal, so never longer than the scramble
                assert 1 <= len(inst.solution.answer.split()) <= high

    def test_search_records_threshold_rounds(self):
        kinds = [s.kind for i in range(4) for s in instance(self.task, 5, i).solution.steps]
        assert "dead_end" in kinds and "backtrack" in kinds
