import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


def _rows(answer: str) -> list[list[int]]:
    return [[int(t) for t in line.strip("|").split("|")] for line in answer.splitlines()]


def _fmt(rows: list[list[int]]) -> str:
    return "\n".join("|" + "|".join(map(str, r)) + "|" for r in rows)


class TestNumbrix(TaskChecklist):
    task = "numbrix"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        rows = _rows(inst.solution.answer)
        n = len(rows)
        free = [(r, c) for r in range(n) for c in range(n) if not inst.initial_state["grid"][r][c]]
        given = [(r, c) for r in range(n) for c in range(n) if inst.initial_state["grid"][r][c]]
        (r1, c1), (r2, c2) = rng.sample(free, 2)
        swapped = [list(r) for r in rows]
        swapped[r1][c1], swapped[r2][c2] = swapped[r2][c2], swapped[r1][c1]
        bumped = [list(r) for r in rows]
        bumped[r1][c1] = bumped[r1][c1] % (n * n) + 1
        gr, gc = rng.choice(given)
        moved_given = [list(r) for r in rows]
        other = next((r, c) for r in range(n) for c in range(n) if (r, c) != (gr, gc))
        moved_given[gr][gc], moved_given[other[0]][other[1]] = (moved_given[other[0]][other[1]],
                                                                moved_given[gr][gc])
        return [_fmt(swapped), _fmt(bumped), _fmt(moved_given), _fmt(rows[:-1]),
                _fmt([r[:-1] for r in rows])]

    def test_known_example(self):
        state = {"n": 3, "grid": [[1, 0, 0], [0, 0, 0], [0, 0, 9]]}
        snake = "|1|2|3|\n|6|5|4|\n|7|8|9|"
        assert verify_answer(self.task, state, snake).correct
        assert verify_answer(self.task, state, "[[1, 2, 3], [6, 5, 4], [7, 8, 9]]").correct
        assert verify_answer(self.task, state, "1 2 3\n6 5 4\n7 8 9").correct
        # the other snake through the same ends is also right (judged by the rules)
        assert verify_answer(self.task, state, "|1|6|7|\n|2|5|8|\n|3|4|9|").correct
        # diagonal step 4 -> 5 is not adjacent
        assert not verify_answer(self.task, state, "|1|2|3|\n|6|4|5|\n|7|8|9|").correct
        # a given number moved
        wrong = verify_answer(self.task, state, "|9|8|7|\n|4|5|6|\n|3|2|1|")
        assert not wrong.correct and "given" in wrong.reason
        assert verify_answer(self.task, state, "|1|2|x|\n|6|5|4|\n|7|8|9|").status == "unparsable"

    def test_level_knobs(self):
        for level, n in {1: 4, 2: 5, 3: 6, 4: 7, 5: 8}.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                grid = inst.initial_state["grid"]
                assert len(grid) == n and all(len(r) == n for r in grid)
                shares = sum(1 for r in grid for v in r if v) / (n * n)
                assert 0 < shares < 0.6
        low = [sum(1 for r in instance(self.task, 1, i).initial_state["grid"] for v in r if v) / 16
               for i in range(4)]
        high = [sum(1 for r in instance(self.task, 5, i).initial_state["grid"] for v in r if v) / 64
                for i in range(4)]
        assert sum(high) / 4 < sum(low) / 4, "fewer clues (as a share) at the higher level"

    def test_skeleton_shows_search(self):
        kinds = {s.kind for i in range(3) for s in instance(self.task, 5, i).solution.steps}
        assert {"try", "dead_end"} <= kinds
