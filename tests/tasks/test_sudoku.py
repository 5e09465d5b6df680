import random

from generators.puzzles.sudoku import LEVELS, count_solutions
from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_sudoku
from verifiers.registry import verify_answer

# a classic puzzle and its unique solution
PUZZLE = ("530070000600195000098000060800060003400803001700020006060000280000419005000080079")
SOLVED = ("534678912672195348198342567859761423426853791713924856961537284287419635345286179")


def rows(digits: str) -> list[list[int]]:
    return [[int(ch) for ch in digits[r * 9:(r + 1) * 9]] for r in range(9)]


class TestSudoku(TaskChecklist):
    task = "sudoku"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        cells = [int(t) for t in inst.solution.answer.split()]
        givens = [v for row in inst.initial_state["grid"] for v in row]
        free = [i for i in range(81) if not givens[i]]
        bad = []
        i = rng.choice(free)
        changed = list(cells)
        changed[i] = cells[i] % 9 + 1  # one cell off by one
        bad.append(changed)
        row = [j for j in free if j // 9 == i // 9 and j != i]
        if row:  # swap two free cells of one row: the row stays valid, the columns break
            j = rng.choice(row)
            swapped = list(cells)
            swapped[i], swapped[j] = swapped[j], swapped[i]
            bad.append(swapped)
        blank = list(cells)
        blank[i] = 0
        bad.append(blank)
        answers = [" ".join(map(str, b)) for b in bad]
        return answers + [" ".join(map(str, cells[:80])), inst.solution.answer + " 5"]

    def test_known_example(self):
        state = {"grid": rows(PUZZLE)}
        assert verify_answer(self.task, state, " ".join(SOLVED)).correct
        assert verify_answer(self.task, state, SOLVED).correct  # digits run together
        nine_lines = "\n".join(SOLVED[r * 9:(r + 1) * 9] for r in range(9))
        assert verify_answer(self.task, state, nine_lines).correct
        spaced_lines = "\n".join(" ".join(SOLVED[r * 9:(r + 1) * 9]) for r in range(9))
        assert verify_answer(self.task, state, spaced_lines).correct
        assert verify_answer(self.task, {"grid": PUZZLE}, SOLVED).correct  # public text state
        wrong = SOLVED[:40] + ("1" if SOLVED[40] != "1" else "2") + SOLVED[41:]
        assert not verify_answer(self.task, state, wrong).correct
        assert verify_answer(self.task, state, "12 34").status == "unparsable"

    def test_givens_are_enforced(self):
        # relabel the digits of the solution: still a valid Sudoku, but it overwrites the givens
        relabel = {str(d): str(d % 9 + 1) for d in range(1, 10)}
        other = "".join(relabel[ch] for ch in SOLVED)
        verdict = verify_answer(self.task, {"grid": rows(PUZZLE)}, other)
        assert not verdict.correct and "given" in verdict.reason

    def test_alternative_completion_accepted(self):
        # with few givens many completions are valid: any of them is right
        state = {"grid": [[int(SOLVED[0])] + [0] * 8] + [[0] * 9 for _ in range(8)]}
        relabel = {str(d): str(d % 9 + 1) for d in range(1, 10)}
        other = "".join(relabel[ch] for ch in SOLVED)
        assert verify_answer(self.task, state, SOLVED).correct
        assert not verify_answer(self.task, state, other).correct  # the one given differs
        state["grid"][0][0] = 0
        assert verify_answer(self.task, state, other).correct

    def test_level_knobs(self):
        for level in (1, 3, 5):
            for i in range(3):
                grid = instance(self.task, level, i).initial_state["grid"]
                assert sum(1 for row in grid for v in row if v) == LEVELS[level].givens

    def test_counter_caps_at_two(self):
        assert count_solutions([0] * 81) == 2
        assert count_solutions([int(ch) for ch in PUZZLE]) == 1

    def test_skeleton_shows_singles_and_guessing(self):
        texts = []
        for i in range(6):
            texts += [s.kind + ":" + s.text for s in instance(self.task, 5, i).solution.steps]
        assert any("hidden single" in t for t in texts) and any("naked single" in t for t in texts)
        assert any(t.startswith("try:") for t in texts)

    def test_counter_sees_two_solutions(self):
        assert count_sudoku({"grid": rows(PUZZLE)}) == 1
        assert count_sudoku({"grid": [[0] * 9 for _ in range(9)]}) == 2
        # a solved grid less four cells a b / b a in two rows, two columns and two boxes: the
        # digits of the rectangle can swap, so exactly two completions
        grid = rows(SOLVED)
        r1, r2, c1, c2 = next((r1, r2, c1, c2) for r1 in range(9) for r2 in range(r1 // 3 * 3 + 3, 9)
                              for c1 in range(9) for c2 in range(c1 + 1, 9)
                              if c1 // 3 == c2 // 3 and grid[r1][c1] == grid[r2][c2]
                              and grid[r1][c2] == grid[r2][c1])
        for r, c in ((r1, c1), (r1, c2), (r2, c1), (r2, c2)):
            grid[r][c] = 0
        assert count_sudoku({"grid": grid}, limit=10) == 2
        assert count_solutions([v for row in grid for v in row], limit=10) == 2
        # givens of a real puzzle dropped one by one: both counters see the second solution together
        cells = [v for row in instance(self.task, 5, 0).initial_state["grid"] for v in row]
        for i in [i for i, v in enumerate(cells) if v]:
            cells[i] = 0
            ours = count_sudoku({"grid": [cells[r * 9:(r + 1) * 9] for r in range(9)]})
            assert ours == count_solutions(cells)
            if ours == 2:
                break
        else:
            raise AssertionError("a grid with no givens has many solutions")
