import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

GOOD = "B3|A1|C2\nA2|C3|B1\nC1|B2|A3"
EMPTY3 = {"size": 3, "grid": [[None] * 3 for _ in range(3)]}


def _rows(answer: str) -> list[list[str]]:
    return [line.split("|") for line in answer.splitlines()]


def _text(rows) -> str:
    return "\n".join("|".join(r) for r in rows)


class TestEulero(TaskChecklist):
    task = "eulero"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        rows = _rows(inst.solution.answer)
        n = len(rows)
        bad = []
        r, c = rng.randrange(n), rng.randrange(n)
        changed = [row[:] for row in rows]
        cell = changed[r][c]
        changed[r][c] = cell[0] + str(int(cell[1:]) % n + 1)        # one number changed
        bad.append(_text(changed))
        changed = [row[:] for row in rows]
        changed[r][c] = chr((ord(cell[0]) - 65 + 1) % n + 65) + cell[1:]  # one letter changed
        bad.append(_text(changed))
        bad.append(_text(rows[:-1]))
        return bad

    def test_known_example(self):
        assert verify_answer(self.task, EMPTY3, GOOD).correct
        assert verify_answer(self.task, EMPTY3, "B3 A1 C2\nA2 C3 B1\nC1 B2 A3").correct
        assert verify_answer(self.task, EMPTY3, '[["B3","A1","C2"],["A2","C3","B1"],["C1","B2","A3"]]').correct
        # letters and numbers Latin, but B3 / A1 ... pairs repeat (same square twice)
        repeat = verify_answer(self.task, EMPTY3, "A1|B2|C3\nB2|C3|A1\nC3|A1|B2")
        assert not repeat.correct and "more than once" in repeat.reason
        assert verify_answer(self.task, EMPTY3, "B3|A1|C2\nA2|C3|B1").status == "unparsable"

    def test_givens_kept_and_alternatives(self):
        other = "A1|B2|C3\nB3|C1|A2\nC2|A3|B1"
        assert verify_answer(self.task, EMPTY3, other).correct
        state = {"size": 3, "grid": [["B3", None, None], [None] * 3, [None] * 3]}
        assert verify_answer(self.task, state, GOOD).correct
        kept = verify_answer(self.task, state, other)
        assert not kept.correct and "given" in kept.reason

    def test_level_knobs_never_six(self):
        for level, side in {1: 3, 2: 4, 3: 5, 4: 7, 5: 8}.items():
            for i in range(2):
                inst = instance(self.task, level, i)
                assert inst.initial_state["size"] == side != 6
                assert inst.solution.num_solutions == 1
