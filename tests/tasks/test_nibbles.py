import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

TURN = {"up": "right", "right": "down", "down": "left", "left": "up"}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}


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
        # one move too many, straight back: a reversal after the last apple kills the snake
        reversed_after = moves + [OPPOSITE[moves[-1]]]
        bad = [" ".join(turned), " ".join(dropped), " ".join(moves[:-1]), "north",
               " ".join(reversed_after)]
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

    def test_tail_cell_is_not_free(self):
        """Official rule (nibbles_eval.py checks the head against the whole snake before the tail
        moves): the head may not step into the cell its tail is leaving. The old helix rule
        allowed it, and accepted this answer."""
        square = [[0, 0], [0, 1], [1, 1], [1, 0]]  # head (0,0), tail (1,0) right below it
        verdict = verify_answer(self.task, state(3, square, "left", [[2, 2]]), "down right right down")
        assert not verdict.correct and "body at (1, 0)" in verdict.reason
        # public key names are read too
        public = {"grid_size": {"rows": 3, "cols": 3}, "initial_snake": square,
                  "initial_direction": "left", "apples": [[2, 2]]}
        assert not verify_answer(self.task, public, "down right right down").correct
        # the cell the tail left one move earlier is free
        line = state(4, [[0, 1], [0, 2], [1, 2], [1, 1]], "left", [[3, 3]])
        assert verify_answer(self.task, line, "left down right right right down down").correct

    def test_every_move_is_checked_after_the_last_apple(self):
        """Official rule: all listed moves are replayed; the old helix rule stopped at the last
        apple and accepted the suicidal tail here."""
        s = state(5, [[2, 2], [3, 2], [4, 2]], "up", [[1, 2]])
        assert verify_answer(self.task, s, "up").correct
        assert verify_answer(self.task, s, "up left").correct
        assert "reverses" in verify_answer(self.task, s, "up down").reason
        assert "off the board" in verify_answer(self.task, s, "up up up").reason

    def test_direction_must_fit_the_snake(self):
        # the official scorer refuses a board whose direction does not point away from the neck
        s = state(5, [[2, 2], [3, 2], [4, 2]], "left", [[0, 0]])
        assert verify_answer(self.task, s, "up up left left").status == "verifier_error"

    def test_level_knobs(self):
        for level, (n, apples) in {1: (6, 1), 3: (8, 3), 5: (10, 5)}.items():
            for i in range(3):
                init = instance(self.task, level, i).initial_state
                assert init["grid_size"] == {"rows": n, "cols": n}
                assert len(init["apples"]) == apples and len(init["snake"]) == 3
                assert init["apples"] == sorted(init["apples"])
