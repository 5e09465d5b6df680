import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


def _rows(answer: str) -> list[list[int]]:
    return [[int(t) if t.strip() else 0 for t in line.strip()[1:-1].split("|")]
            for line in answer.splitlines()]


def _fmt(rows: list[list[int]]) -> str:
    return "\n".join("|" + "|".join(str(v) if v else " " for v in r) + "|" for r in rows)


class TestNumbrix(TaskChecklist):
    task = "numbrix"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        rows = _rows(inst.solution.answer)
        n = len(rows)
        given = inst.initial_state["grid"]
        top = max(v for r in rows for v in r)
        # numbers the solver wrote (never the highest: that one is given)
        placed = [(r, c) for r in range(n) for c in range(n) if rows[r][c] and not given[r][c]]
        out = [_fmt(rows[:-1]), _fmt([r[:-1] for r in rows])]
        if placed:
            (r1, c1) = rng.choice(placed)
            duplicated = [list(r) for r in rows]
            duplicated[r1][c1] = rows[r1][c1] % top + 1        # a number twice
            erased = [list(r) for r in rows]
            erased[r1][c1] = 0                                 # a gap below the highest number
            out += [_fmt(duplicated), _fmt(erased)]
            # two numbers at least 3 apart swapped: their neighbours cannot fit both places
            far = [(a, b) for a in placed for b in placed if rows[a[0]][a[1]] + 3 <= rows[b[0]][b[1]]]
            if far:
                (ra, ca), (rb, cb) = rng.choice(far)
                swapped = [list(r) for r in rows]
                swapped[ra][ca], swapped[rb][cb] = swapped[rb][cb], swapped[ra][ca]
                out.append(_fmt(swapped))
        gr, gc = rng.choice([(r, c) for r in range(n) for c in range(n) if given[r][c]])
        moved_given = [list(r) for r in rows]
        other = next((r, c) for r in range(n) for c in range(n) if (r, c) != (gr, gc))
        moved_given[gr][gc], moved_given[other[0]][other[1]] = (moved_given[other[0]][other[1]],
                                                                moved_given[gr][gc])
        out.append(_fmt(moved_given))
        return out

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

    def test_chain_may_stop_short_of_n_squared(self):
        """The official rule: the chain runs 1..K, K the highest number written (at least the
        highest given), and cells may stay empty. The old helix rule demanded all of 1..n^2."""
        state = {"n": 3, "grid": [[1, 0, 0], [0, 0, 0], [0, 0, 5]]}
        short = "|1|2|3|\n| | |4|\n| | |5|"
        assert verify_answer(self.task, state, short).correct           # old rule: rejected
        assert verify_answer(self.task, state, "1 2 3\n. . 4\n0 0 5").correct
        assert verify_answer(self.task, state, "[[1, 2, 3], [0, 0, 4], [0, 0, 5]]").correct
        # going on past the highest given number is a longer chain, also right
        assert verify_answer(self.task, state, "|1|2|3|\n| |7|4|\n| |6|5|").correct
        # a full chain 1..9 through the givens is right too
        assert verify_answer(self.task, state, "|1|2|3|\n|8|9|4|\n|7|6|5|").correct
        # a gap in the numbers, a given left empty, a repeated number: wrong
        gap = verify_answer(self.task, state, "|1|2|3|\n| | | |\n| | |5|")
        assert not gap.correct and "missing" in gap.reason
        erased = verify_answer(self.task, state, "|1|2|3|\n| | |4|\n| | | |")
        assert not erased.correct and "left empty" in erased.reason
        twice = verify_answer(self.task, state, "|1|2|3|\n|3| |4|\n| | |5|")
        assert not twice.correct and "twice" in twice.reason
        assert not verify_answer(self.task, state, "| | | |\n| | | |\n| | | |").correct

    def test_official_reference_answer_form(self):
        # the official answers start with an empty line and write '|' rows
        state = {"n": 4, "grid": [[0, 1, 0, 7], [3, 0, 5, 0], [0, 13, 0, 9], [15, 16, 11, 0]]}
        answer = "\n|2|1|6|7|\n|3|4|5|8|\n|14|13|12|9|\n|15|16|11|10|"
        assert verify_answer(self.task, state, answer).correct

    def test_some_chains_leave_cells_empty(self):
        short = [i for level in (1, 2, 3) for i in range(8)
                 if min(v for row in instance(self.task, level, i).state.solution for v in row) == 0]
        assert short, "now and then the drawn chain stops before covering the grid"
        for level in (1, 5):
            for i in range(3):
                grid = instance(self.task, level, i).initial_state["grid"]
                values = [v for row in grid for v in row if v]
                top = max(max(row) for row in instance(self.task, level, i).state.solution)
                assert 1 in values and top in values, "1 and the highest number are given"

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
