import json
import random

from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_maze
from verifiers.registry import verify_answer

FLIP = {"up": "down", "down": "up", "left": "right", "right": "left"}
TURN = {"up": "right", "right": "down", "down": "left", "left": "up"}

# 2x2 cells: S top-left, E bottom-left, a wall between them; the only way is right down left
SMALL = {"size": 2, "maze": ["#####",
                             "#S..#",
                             "###.#",
                             "#E..#",
                             "#####"]}


class TestMaze(TaskChecklist):
    task = "maze"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        moves = inst.solution.answer.split()
        i = rng.randrange(len(moves))
        turned = moves[:i] + [TURN[moves[i]]] + moves[i + 1:]
        flipped = moves[:i] + [FLIP[moves[i]]] + moves[i + 1:]
        return [" ".join(turned), " ".join(flipped), " ".join(moves[:-1]),
                " ".join(moves + [moves[-1]]), "north", ""]

    def test_known_example(self):
        assert verify_answer(self.task, SMALL, "right down left").correct
        assert verify_answer(self.task, SMALL, "R, D, L").correct
        # revisits are allowed: the rules only ask for a wall-free walk that ends on E
        assert verify_answer(self.task, SMALL, "right left right down left").correct
        assert not verify_answer(self.task, SMALL, "right down").correct

    def test_walls_are_enforced(self):
        verdict = verify_answer(self.task, SMALL, "down")
        assert not verdict.correct and "wall" in verdict.reason
        assert not verify_answer(self.task, SMALL, "left").correct  # off the maze
        assert verify_answer(self.task, SMALL, "up").status == "wrong"

    def test_public_text_format(self):
        public = "\n".join(["+-+-+", "|S  |", "+-+ +", "|E  |", "+-+-+"])
        # a public row stores initial_state as JSON text of the maze string
        assert verify_answer(self.task, json.dumps(public), "right down left").correct
        assert verify_answer(self.task, {"maze": public}, "right down left").correct
        assert not verify_answer(self.task, {"maze": public}, "down").correct

    def test_level_knobs(self):
        for level, n in {1: 3, 3: 7, 5: 11}.items():
            inst = instance(self.task, level, 0)
            rows = inst.initial_state["maze"]
            assert inst.initial_state["size"] == n and len(rows) == 2 * n + 1
            assert all(len(row) == 2 * n + 1 for row in rows)

    def test_perfect_maze_has_unique_path(self):
        for level in (2, 4):
            inst = instance(self.task, level, 1)
            assert inst.solution.num_solutions == 1
            rows = inst.initial_state["maze"]
            n = inst.initial_state["size"]
            gaps = sum(ch != "#" for r, row in enumerate(rows) for c, ch in enumerate(row)
                       if (r + c) % 2 == 1)
            assert gaps == n * n - 1  # a spanning tree of the cells: no loops

    def test_skeleton_shows_dead_ends(self):
        kinds = {s.kind for i in range(4) for s in instance(self.task, 5, i).solution.steps}
        assert {"dead_end", "backtrack", "try"} <= kinds

    def test_counter_sees_two_solutions(self):
        assert count_maze(SMALL) == 1
        # open the wall between S and E: a loop, so two loop-free ways (down, or right down left)
        loop = {"size": 2, "maze": ["#####", "#S..#", "#.#.#", "#E..#", "#####"]}
        assert verify_answer(self.task, loop, "down").correct
        assert verify_answer(self.task, loop, "right down left").correct
        assert count_maze(loop) == 2 and count_maze(loop, limit=10) == 2
        # knock out a wall between two cells of the path from S to E that are not consecutive
        # along it: the path's stretch between them and the new gap are two ways
        inst = instance(self.task, 5, 0)
        rows = [list(row) for row in inst.initial_state["maze"]]
        path = [next((r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "S")]
        for move in inst.solution.answer.split():
            dr, dc = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}[move]
            path.append((path[-1][0] + 2 * dr, path[-1][1] + 2 * dc))
        at = {cell: k for k, cell in enumerate(path)}
        r, c = next(((a[0] + b[0]) // 2, (a[1] + b[1]) // 2) for a in path for b in path
                    if abs(a[0] - b[0]) + abs(a[1] - b[1]) == 2 and (a[0] == b[0] or a[1] == b[1])
                    and abs(at[a] - at[b]) > 1)
        assert rows[r][c] == "#"
        rows[r][c] = "."
        looped = {"size": inst.initial_state["size"], "maze": ["".join(row) for row in rows]}
        assert count_maze(looped) == 2 and count_maze(looped, limit=10) == 2
