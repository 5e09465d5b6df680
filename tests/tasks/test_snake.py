import random
import re

from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_snake
from verifiers.registry import verify_answer

_PAIR = re.compile(r"\((\d+),(\d+)\)")


def _cells(answer: str) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in _PAIR.findall(answer)]


def _fmt(cells) -> str:
    return " ".join(f"({r},{c})" for r, c in cells)


class TestSnake(TaskChecklist):
    task = "snake"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        cells = _cells(inst.solution.answer)
        i = rng.randrange(1, len(cells) - 1)
        r, c = cells[i]
        shifted = list(cells)
        shifted[i] = (r + 1, c) if (r + 1, c) not in cells else (r, c + 1)
        swapped = list(cells)
        swapped[i], swapped[i + 1] = swapped[i + 1], swapped[i]
        return [_fmt(cells[:i] + cells[i + 1:]), _fmt(shifted), _fmt(swapped), _fmt(cells[:-1]),
                _fmt(cells[1:]), _fmt(cells + [cells[-2]])]

    @staticmethod
    def state_for(n: int, path: str) -> dict:
        cells = _cells(path)
        rows, cols = [0] * n, [0] * n
        for r, c in cells:
            rows[r] += 1
            cols[c] += 1
        return {"n": n, "start": list(cells[0]), "end": list(cells[-1]),
                "row_counts": rows, "col_counts": cols}

    def test_known_example(self):
        right = "(0,0) (0,1) (0,2) (1,2) (2,2) (3,2) (3,3)"
        state = self.state_for(4, right)
        assert state["row_counts"] == [3, 1, 1, 2] and state["col_counts"] == [1, 1, 4, 1]
        assert verify_answer(self.task, state, right).correct
        assert verify_answer(self.task, state,
                             "[(0, 0), (0, 1), (0, 2), (1, 2), (2, 2), (3, 2), (3, 3)]").correct
        assert verify_answer(self.task, state,
                             "[[0, 0], [0, 1], [0, 2], [1, 2], [2, 2], [3, 2], [3, 3]]").correct
        # read from the tail: the same cell set, accepted
        assert verify_answer(self.task, state, "(3,3) (3,2) (2,2) (1,2) (0,2) (0,1) (0,0)").correct
        # the counts are enforced
        wrong = verify_answer(self.task, state, "(0,0) (1,0) (2,0) (3,0) (3,1) (3,2) (3,3)")
        assert not wrong.correct and "holds" in wrong.reason
        assert verify_answer(self.task, state, "(0,0) then (0,1)").status == "unparsable"

    def test_touching_is_rejected(self):
        u_turn = "(0,0) (0,1) (1,1) (1,0)"
        verdict = verify_answer(self.task, self.state_for(3, u_turn), u_turn)
        assert not verdict.correct and "share a side" in verdict.reason
        bend = "(2,0) (1,0) (0,0) (0,1) (0,2) (1,2) (2,2)"    # corners meet only at the bends
        assert verify_answer(self.task, self.state_for(4, bend), bend).correct
        spiral = "(2,1) (2,0) (1,0) (0,0) (0,1) (0,2) (1,2)"  # (2,1) and (1,2) meet at a corner
        verdict = verify_answer(self.task, self.state_for(4, spiral), spiral)
        assert not verdict.correct and "corner" in verdict.reason

    def test_level_knobs(self):
        for level, (low, high) in {1: (5, 6), 3: (8, 9), 5: (12, 13)}.items():
            for i in range(3):
                state = instance(self.task, level, i).initial_state
                assert low <= state["n"] <= high
                assert sum(state["row_counts"]) == sum(state["col_counts"])

    def test_skeleton_shows_search(self):
        kinds = {s.kind for i in range(4) for s in instance(self.task, 5, i).solution.steps}
        assert {"try", "dead_end", "backtrack"} <= kinds

    def test_counter_sees_two_solutions(self):
        # an S bent either way: mirror images with the same row and column counts
        one = "(0,2) (0,3) (1,3) (2,3) (2,2) (2,1) (3,1) (4,1) (4,2)"
        other = "(0,2) (0,1) (1,1) (2,1) (2,2) (2,3) (3,3) (4,3) (4,2)"
        state = self.state_for(5, one)
        assert state == self.state_for(5, other)
        assert verify_answer(self.task, state, one).correct
        assert verify_answer(self.task, state, other).correct
        assert count_snake(state) == 2 and count_snake(state, limit=10) == 2
        # the counts of the known example allow only that snake
        assert count_snake(self.state_for(4, "(0,0) (0,1) (0,2) (1,2) (2,2) (3,2) (3,3)")) == 1
