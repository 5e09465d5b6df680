import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.puzzles._place import parse_pairs
from verifiers.registry import verify_answer


def _fmt(cells) -> str:
    return ",".join(f"({r}, {c})" for r, c in sorted(cells))


class TestMinesweeper(TaskChecklist):
    task = "minesweeper"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        mines = parse_pairs(inst.solution.answer)
        board = inst.initial_state["board"]
        hidden = [(r, c) for r, row in enumerate(board) for c, v in enumerate(row)
                  if v == "?" and (r, c) not in mines]
        i = rng.randrange(len(mines))
        out = [_fmt(mines[:i] + mines[i + 1:]), _fmt(mines + [(0, 99)]), "no mines here"]
        if hidden:
            out.append(_fmt(mines[:i] + [rng.choice(hidden)] + mines[i + 1:]))
        return out

    BOARD = {"rows": 3, "cols": 3, "mines": 1,
             "board": [["1", "1", "1"], ["1", "?", "1"], ["1", "1", "1"]]}

    def test_known_example(self):
        assert verify_answer(self.task, self.BOARD, "(1, 1)").correct
        assert verify_answer(self.task, self.BOARD, "[(1,1)]").correct
        verdict = verify_answer(self.task, self.BOARD, "(0, 0)")
        assert not verdict.correct and "revealed" in verdict.reason
        verdict = verify_answer(self.task, self.BOARD, "(1, 1),(1, 1)")
        assert not verdict.correct

    def test_counts_enforced(self):
        board = {"rows": 2, "cols": 3, "mines": 1, "board": [["1", "?", "?"], ["1", "?", "?"]]}
        assert verify_answer(self.task, board, "(0, 1)").correct
        verdict = verify_answer(self.task, board, "(0, 2)")
        assert not verdict.correct and "see 0" in verdict.reason
        verdict = verify_answer(self.task, board, "(0, 1),(0, 2)")
        assert not verdict.correct and "board has 1" in verdict.reason

    def test_level_knobs_and_deducibility(self):
        for level, (n, k) in {1: (5, 3), 3: (7, 5), 5: (9, 9)}.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                st = inst.initial_state
                assert st["rows"] == st["cols"] == n and st["mines"] == k
                assert len(parse_pairs(inst.solution.answer)) == k
                assert inst.solution.num_solutions == 1
                assert all(s.kind in ("observe", "deduce", "check", "conclude") for s in inst.solution.steps)
