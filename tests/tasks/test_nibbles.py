import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

TURN = {"up": "right", "right": "down", "down": "left", "left": "up"}


def state(size, snake, direction, apples):
    return {"grid_size": {"rows": size, "cols": size}, "snake": snake, "direction": direction,
            "apples": apples}


class TestNibbles(TaskChecklist):
    task = "nibbles"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        moves = inst.solution.answer.split()
        i = rng.randrange(len(moves))
        turned = moves[:i] + [TURN[moves[i]]] + moves[i + 1:]
        dropped = moves[:i] + moves[i + 1:]
        bad = [" ".join(turned), " ".join(dropped), " ".join(moves[:-1]), "north"]
        return [b for b in bad if b != inst.solution.answer] + [""]

    def test_known_example(self):
        s = state(5, [[2, 2], [3, 2], [4, 2]], "up", [[0, 2], [0, 4]])
        assert verify_answer(self.task, s, "up up right right").correct
        assert verify_answer(self.task, s, "u u r r").correct
        # a detour is fine as long as the snake survives
        assert verify_answer(self.task, s, "left up up right right right").correct
        assert not verify_answer(self.task, s, "up up right").correct  # one apple left

    def test_walls_reversal_and_body(self):
        s = state(5, [[2, 2], [3, 2], [4, 2]], "up", [[0, 0]])
        assert "reverses" in verify_answer(self.task, s, "down").reason
        assert "off the board" in verify_answer(self.task, s, "up up up").reason
        # a 5-long snake curled up: turning back into its own body kills it
        curl = state(5, [[1, 1], [1, 2], [2, 2], [2, 1], [2, 0]], "left", [[4, 4]])
        assert "body" in verify_answer(self.task, curl, "down").reason

    def test_tail_cell_is_free(self):
        # a 4-long snake in a 2x2 square: the head may step into the cell the tail leaves
        square = [[0, 0], [0, 1], [1, 1], [1, 0]]
        assert verify_answer(self.task, state(3, square, "left", [[2, 2]]),
                             "down right right down").correct
        # public key names are read too
        public = {"grid_size": {"rows": 3, "cols": 3}, "initial_snake": square,
                  "initial_direction": "left", "apples": [[2, 2]]}
        assert verify_answer(self.task, public, "down right right down").correct

    def test_level_knobs(self):
        for level, (n, apples) in {1: (6, 1), 3: (8, 3), 5: (10, 5)}.items():
            for i in range(3):
                init = instance(self.task, level, i).initial_state
                assert init["grid_size"] == {"rows": n, "cols": n}
                assert len(init["apples"]) == apples and len(init["snake"]) == 3
