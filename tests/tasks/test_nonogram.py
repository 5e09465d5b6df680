import itertools
import random

from generators.puzzles.nonogram import LEVELS, placements
from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_nonogram
from verifiers.registry import verify_answer

# a plus sign: unique
STATE = {"row_clues": [[1], [3], [1]], "col_clues": [[1], [3], [1]]}
PLUS = ".X.\nXXX\n.X."


class TestNonogram(TaskChecklist):
    task = "nonogram"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        rows = inst.solution.answer.split("\n")
        r = rng.randrange(len(rows))
        c = rng.randrange(len(rows[r]))
        flipped = list(rows)
        flipped[r] = rows[r][:c] + ("." if rows[r][c] == "X" else "X") + rows[r][c + 1:]
        shifted = list(rows)
        shifted[r] = rows[r][-1] + rows[r][:-1]  # row rotated by one
        out = ["\n".join(flipped), "\n".join(rows[:-1]), "\n".join(rows + [rows[0]])]
        if shifted[r] != rows[r]:
            out.append("\n".join(shifted))
        return out

    def test_known_example(self):
        assert verify_answer(self.task, STATE, PLUS).correct
        assert verify_answer(self.task, STATE, ". X .\nX X X\n. X .").correct
        assert verify_answer(self.task, STATE, "010\n111\n010").correct
        assert verify_answer(self.task, STATE, ".x.,xxx,.x.").correct
        wrong = verify_answer(self.task, STATE, "XX.\nXXX\n.X.")
        assert not wrong.correct and "row 0" in wrong.reason
        assert verify_answer(self.task, STATE, "XX\nXX").status == "unparsable"

    def test_empty_line_clue(self):
        state = {"row_clues": [[0], [2]], "col_clues": [[1], [1]]}
        assert verify_answer(self.task, state, "..\nXX").correct
        assert verify_answer(self.task, {"row_clues": [[], [2]], "col_clues": [[1], [1]]}, "..\nXX").correct

    def test_columns_are_enforced(self):
        # the rows match but the columns do not
        verdict = verify_answer(self.task, STATE, ".X.\nXXX\n..X")
        assert not verdict.correct and "column" in verdict.reason

    def test_placements(self):
        assert placements((1, 1), 3) == (0b101,)
        assert len(placements((2,), 4)) == 3

    def test_level_knobs(self):
        for level in LEVELS:
            inst = instance(self.task, level, 0)
            n = LEVELS[level][0]
            assert len(inst.initial_state["row_clues"]) == n == len(inst.initial_state["col_clues"])
            assert inst.solution.num_solutions == 1

    def test_counter_sees_two_solutions(self):
        # one cell in each row and column of a 2x2: either diagonal
        assert count_nonogram({"row_clues": [[1], [1]], "col_clues": [[1], [1]]}) == 2
        assert count_nonogram(STATE) == 1
        # the counter agrees with the verifier run over every 3x3 picture, for the clues of a
        # few pictures (some of them ambiguous)
        pictures = list(itertools.product(".X", repeat=9))
        blocks = lambda line: [len(b) for b in "".join(line).split(".") if b] or [0]
        counts = []
        for picture in pictures[::37]:
            rows = [picture[k:k + 3] for k in (0, 3, 6)]
            state = {"row_clues": [blocks(r) for r in rows],
                     "col_clues": [blocks(c) for c in zip(*rows)]}
            accepted = sum(verify_answer(self.task, state, "\n".join(
                "".join(p[k:k + 3]) for k in (0, 3, 6))).correct for p in pictures)
            assert count_nonogram(state, limit=100) == accepted, state
            counts.append(accepted)
        assert 1 in counts and 2 in counts
