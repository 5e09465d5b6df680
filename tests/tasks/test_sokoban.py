import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

TURN = {"up": "right", "right": "down", "down": "left", "left": "up"}
# one box two cells left of its goal, the player behind it
CORRIDOR = {"map": ["#######",
                    "#@$--.#",
                    "#-----#",
                    "#######"]}


class TestSokoban(TaskChecklist):
    task = "sokoban"
    per_level = 2
    effort_samples = 4

    def perturb(self, inst, rng: random.Random) -> list[str]:
        moves = inst.solution.answer.split()
        i = rng.randrange(len(moves))
        turned = moves[:i] + [TURN[moves[i]]] + moves[i + 1:]
        bad = [" ".join(turned), " ".join(moves[:-1]), " ".join(moves[:i] + moves[i + 1:]), "north"]
        return [b for b in bad if b != inst.solution.answer] + [""]

    def test_known_example(self):
        assert verify_answer(self.task, CORRIDOR, "right right right").correct
        assert verify_answer(self.task, CORRIDOR, "R R R").correct
        # a detour through the lower row is fine
        assert verify_answer(self.task, CORRIDOR, "down up right right right").correct
        assert not verify_answer(self.task, CORRIDOR, "right right").correct

    def test_walls_and_boxes_block(self):
        assert "wall" in verify_answer(self.task, CORRIDOR, "up").reason
        # pushing the box past the goal into the wall is illegal
        assert "into a wall" in verify_answer(self.task, CORRIDOR, "right right right right").reason
        two = {"map": ["######", "#@$$.#", "######"]}
        assert "another box" in verify_answer(self.task, two, "right").reason
        # boxes cannot be pulled: walking away leaves the box where it is
        back = {"map": ["######", "#-$@.#", "######"]}
        assert not verify_answer(self.task, back, "left").correct

    def test_xsb_spaces_and_public_string(self):
        assert verify_answer(self.task, {"map": "#######\n#@$  .#\n#######"}, "right right right").correct

    def test_level_knobs(self):
        sizes = {1: (5, 7, 1), 2: (7, 9, 1), 3: (7, 9, 2), 4: (11, 13, 2), 5: (11, 13, 3)}
        for level, (rows, cols, boxes) in sizes.items():
            grid = instance(self.task, level, 0).initial_state["map"]
            assert len(grid) == rows and all(len(row) == cols for row in grid)
            assert sum(row.count("$") + row.count("*") for row in grid) == boxes
            assert sum(row.count(".") + row.count("*") + row.count("+") for row in grid) == boxes
