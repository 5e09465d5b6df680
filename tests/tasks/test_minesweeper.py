import itertools
import random

from generators.games.minesweeper import State, _Solver
from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_minesweeper
from verifiers.parse import parse_pairs
from verifiers.registry import verify_answer


def _fmt(cells) -> str:
    return ",".join(f"({r}, {c})" for r, c in sorted(cells))


def _board(*rows: str) -> dict:
    return {"rows": len(rows), "cols": len(rows[0]), "board": [list(row) for row in rows]}


class TestMinesweeper(TaskChecklist):
    task = "minesweeper"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        mines = parse_pairs(inst.solution.answer)
        board = inst.initial_state["board"]
        safe_blanks = [(r, c) for r, row in enumerate(board) for c, v in enumerate(row)
                       if v == "." and (r, c) not in mines]
        numbered = [(r, c) for r, row in enumerate(board) for c, v in enumerate(row) if v != "."]
        i = rng.randrange(len(mines))
        out = [_fmt(mines[:i] + mines[i + 1:]), _fmt(mines + [(0, 99)]), "no mines here",
               _fmt(mines + [rng.choice(numbered)])]
        if safe_blanks:
            out.append(_fmt(mines[:i] + [rng.choice(safe_blanks)] + mines[i + 1:]))
            out.append(_fmt(mines + [rng.choice(safe_blanks)]))
        return out

    BOARD = _board("111", "1.1", "111")

    def test_known_example(self):
        assert verify_answer(self.task, self.BOARD, "(1, 1)").correct
        assert verify_answer(self.task, self.BOARD, "[(1,1)]").correct
        verdict = verify_answer(self.task, self.BOARD, "(0, 0)")
        assert not verdict.correct and "number" in verdict.reason
        # a repeated cell is the same mine: the official scorer compares sets
        assert verify_answer(self.task, self.BOARD, "(1, 1),(1, 1)").correct

    def test_counts_enforced(self):
        board = _board("1..", "1..")
        verdict = verify_answer(self.task, board, "(0, 1),(0, 2),(1, 1),(1, 2)")
        assert not verdict.correct and "see 2" in verdict.reason

    def test_unlisted_blank_is_a_zero(self):
        """Official rule: a blank that is no mine shows 0, so it touches no mine. The old helix
        rules (hidden cells, mine total given) accepted the lone (0, 1) here."""
        board = _board("..1")
        verdict = verify_answer(self.task, board, "(0, 1)")
        assert not verdict.correct and "blank (0, 0)" in verdict.reason
        # both blanks are mines: the blank group is all mines (no mine total to contradict it)
        assert verify_answer(self.task, board, "(0, 0),(0, 1)").correct
        assert verify_answer(self.task, _board("1.", "11"), "(0, 1)").correct

    def test_old_state_shape_is_a_verifier_error(self):
        old = {"rows": 1, "cols": 3, "mines": 1, "board": [["?", "?", "1"]]}
        assert verify_answer(self.task, old, "(0, 1)").status == "verifier_error"

    def test_solver_tries_when_the_numbers_stall(self):
        state = State(n=3, board=[[".", "1", "."]])
        assert _Solver(state, record=False).count(limit=5) == 2  # the generator rejects such a board
        solver = _Solver(state, record=True)
        mines = solver.solve()
        assert [s.kind for s in solver.steps].count("try") >= 1
        assert verify_answer(self.task, _board(".1."), _fmt(mines)).correct

    def test_level_knobs_and_uniqueness(self):
        for level, (n, k) in {1: (5, 3), 3: (7, 5), 5: (9, 9)}.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                st = inst.initial_state
                assert set(st) == {"rows", "cols", "board"}  # no mine total: the official puzzle
                assert st["rows"] == st["cols"] == n
                assert all(v == "." or v in "12345678" for row in st["board"] for v in row)
                assert len(parse_pairs(inst.solution.answer)) == k
                assert inst.solution.num_solutions == 1
                assert f"{k} mines" not in inst.question_text + inst.question_image
                bars = "\n".join("|" + "|".join(" " if v == "." else v for v in row) + "|"
                                 for row in st["board"])
                assert bars in inst.question_text

    def test_counter_sees_two_solutions(self):
        """The independent counter agrees with the verifier run over every set of blanks, on
        boards with one, two and more mine sets."""
        for rows, expected in [((".1.",), 2), (("111", "1.1", "111"), 1), (("..1",), 1),
                               (("1..", "1.."), 0), ((".1.1.",), 2), ((".1", "1."), 0), (("...",), 2)]:
            board = _board(*rows)
            blanks = [(r, c) for r, row in enumerate(rows) for c, v in enumerate(row) if v == "."]
            accepted = sum(verify_answer(self.task, board, _fmt(mines)).correct
                           for k in range(1, len(blanks) + 1)
                           for mines in itertools.combinations(blanks, k))
            # no mine at all (an answer the verifier cannot parse) fits a board without numbers
            accepted += all(v == "." for row in rows for v in row)
            assert accepted == expected, rows
            assert count_minesweeper(board, limit=10) == expected, rows
            assert count_minesweeper(board) == min(expected, 2), rows
