import ast
import random

from generators.puzzles._skyscraper_lines import count_solutions
from generators.puzzles.skyscrapers import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_skyscrapers
from verifiers.registry import verify_answer

# 3x3: rows 1 2 3 / 2 3 1 / 3 1 2; clues computed by hand
SOLVED = [[1, 2, 3], [2, 3, 1], [3, 1, 2]]
STATE = {"n": 3, "top": [3, 2, 1], "bottom": [1, 2, 2], "left": [3, 2, 1], "right": [1, 2, 2]}
SIDES = ("top", "bottom", "left", "right")


class TestSkyscrapers(TaskChecklist):
    task = "skyscrapers"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        grid = ast.literal_eval(inst.solution.answer)
        n = len(grid)
        r, c = rng.randrange(n), rng.randrange(n)
        changed = [row[:] for row in grid]
        changed[r][c] = grid[r][c] % n + 1                  # one cell
        swapped = [row[:] for row in grid]
        swapped[r] = grid[r][::-1]                         # rows stay valid, columns break
        return [str(changed), str(swapped), str(grid[:-1])]

    def test_known_example(self):
        assert verify_answer(self.task, STATE, str(SOLVED)).correct
        assert verify_answer(self.task, STATE, "1 2 3\n2 3 1\n3 1 2").correct
        wrong = verify_answer(self.task, STATE, "[[1, 3, 2], [2, 1, 3], [3, 2, 1]]")
        assert not wrong.correct and "clue" in wrong.reason
        latin = verify_answer(self.task, STATE, "[[1, 2, 3], [2, 3, 1], [3, 2, 1]]")
        assert not latin.correct and "repeats" in latin.reason
        assert verify_answer(self.task, STATE, "[[1, 2], [2, 1]]").status == "unparsable"

    def test_clue_zero_is_no_constraint(self):
        # the official evaluator skips a clue 0; helix reads it the same way
        blank = {**STATE, "top": [0] * 3, "bottom": [0] * 3, "left": [0] * 3, "right": [0] * 3}
        # every Latin square is right when nothing is clued
        for grid in (SOLVED, [[3, 1, 2], [1, 2, 3], [2, 3, 1]], [[2, 1, 3], [3, 2, 1], [1, 3, 2]]):
            assert verify_answer(self.task, blank, str(grid)).correct
        # one clue back: only grids that show it pass
        one = {**blank, "left": [3, 0, 0]}
        assert verify_answer(self.task, one, str(SOLVED)).correct
        verdict = verify_answer(self.task, one, "[[2, 1, 3], [3, 2, 1], [1, 3, 2]]")
        assert not verdict.correct and "left clue of row 0" in verdict.reason

    def test_state_is_the_official_shape_without_givens(self):
        for level in LEVELS:
            inst = instance(self.task, level, 0)
            assert set(inst.initial_state) == {"n", "top", "bottom", "left", "right"}
            assert all(v > 0 for s in SIDES for v in inst.initial_state[s]), "all 4n clues shown"
            for question in (inst.question_image, inst.question_text):
                assert "given" not in question.lower() and "exactly once" in question

    def test_version_1_givens_are_still_kept(self):
        # rows made by version 1 carry a `grid` of given heights; they are still judged with it
        blank = {**STATE, "top": [0] * 3, "bottom": [0] * 3, "left": [0] * 3, "right": [0] * 3,
                 "grid": [[0, 0, 0], [0, 3, 0], [0, 0, 0]]}
        assert verify_answer(self.task, blank, str(SOLVED)).correct
        verdict = verify_answer(self.task, blank, "[[2, 1, 3], [3, 2, 1], [1, 3, 2]]")
        assert not verdict.correct and "given" in verdict.reason

    def test_second_solution_accepted(self):
        """Drop clues of a real instance until it has two solutions: both pass."""
        checked = 0
        for level in (2, 3, 4):
            inst = instance(self.task, level, 0)
            state = {k: (v if k == "n" else list(v)) for k, v in inst.initial_state.items()}
            n = state["n"]
            for side, k in [(s, k) for s in SIDES for k in range(n)]:
                state[side][k] = 0
                clues = tuple(state[s] for s in SIDES)
                found, sols = count_solutions(n, clues, None, 20000)
                # the generator's counter and the independent one see the second solution together
                assert count_skyscrapers(state) == found
                if found == 2:
                    grids = [[s[r * n:(r + 1) * n] for r in range(n)] for s in sols]
                    assert grids[0] != grids[1]
                    for grid in grids:
                        assert verify_answer(self.task, state, str(grid)).correct
                    checked += 1
                    break
        assert checked == 3

    def test_level_knobs_and_uniqueness(self):
        for level in LEVELS:
            n = LEVELS[level][0]
            for i in range(self.per_level):
                inst = instance(self.task, level, i)
                state = inst.initial_state
                assert state["n"] == n
                assert all(len(state[s]) == n and all(1 <= v <= n for v in state[s]) for s in SIDES)
                assert inst.solution.num_solutions == 1
                assert count_skyscrapers(state) == 1  # the independent count

    def test_counter_sees_two_solutions(self):
        assert count_skyscrapers(STATE) == 1
        # no clues: every Latin square of side 3 (there are 12)
        blank = {**STATE, "top": [0] * 3, "bottom": [0] * 3, "left": [0] * 3, "right": [0] * 3}
        assert count_skyscrapers(blank, limit=100) == 12 and count_skyscrapers(blank) == 2
        # version-1 givens narrow it down: only the squares with a 3 in the middle
        givens = {**blank, "grid": [[0, 0, 0], [0, 3, 0], [0, 0, 0]]}
        assert count_skyscrapers(givens, limit=100) == 4
