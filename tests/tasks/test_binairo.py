import itertools
import random

from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_binairo
from verifiers.registry import verify_answer

EMPTY4 = {"size": 4, "grid": [[None] * 4 for _ in range(4)]}
GOOD = "0 1 0 1\n1 0 1 0\n0 1 1 0\n1 0 0 1"
OTHER = "1 0 1 0\n0 1 0 1\n1 0 0 1\n0 1 1 0"


def _rows(answer: str) -> list[list[int]]:
    return [[int(x) for x in line.split()] for line in answer.splitlines()]


def _text(rows: list[list[int]]) -> str:
    return "\n".join(" ".join(map(str, r)) for r in rows)


class TestBinairo(TaskChecklist):
    task = "binairo"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        rows = _rows(inst.solution.answer)
        n = len(rows)
        bad = []
        for _ in range(3):
            r, c = rng.randrange(n), rng.randrange(n)
            flipped = [row[:] for row in rows]
            flipped[r][c] = 1 - flipped[r][c]
            bad.append(_text(flipped))
        bad.append(_text(rows[:-1]))
        return bad

    def test_known_example(self):
        assert verify_answer(self.task, EMPTY4, GOOD).correct
        assert verify_answer(self.task, EMPTY4, "[[0,1,0,1],[1,0,1,0],[0,1,1,0],[1,0,0,1]]").correct
        assert verify_answer(self.task, EMPTY4, "0101\n1010\n0110\n1001").correct
        # balanced and free of triples, but rows 0 and 2 are identical
        dup = verify_answer(self.task, EMPTY4, "0 1 0 1\n1 0 1 0\n0 1 0 1\n1 0 1 0")
        assert not dup.correct and "identical" in dup.reason
        assert verify_answer(self.task, EMPTY4, "0 1 2 1\n1 0 1 0\n0 1 1 0\n1 0 0 1").status == "unparsable"

    def test_alternative_solutions_accepted_and_givens_kept(self):
        assert verify_answer(self.task, EMPTY4, OTHER).correct
        state = {"size": 4, "grid": [[0, None, None, None]] + [[None] * 4 for _ in range(3)]}
        assert verify_answer(self.task, state, GOOD).correct
        kept = verify_answer(self.task, state, OTHER)
        assert not kept.correct and "given" in kept.reason

    def test_official_list_state_is_read(self):
        assert verify_answer(self.task, [[None] * 4 for _ in range(4)], GOOD).correct

    def test_no_three_alike_rejected(self):
        state = {"size": 6, "grid": [[None] * 6 for _ in range(6)]}
        rows = ["0 0 0 1 1 1", "1 1 1 0 0 0"] * 3
        verdict = verify_answer(self.task, state, "\n".join(rows))
        assert not verdict.correct and "three" in verdict.reason

    def test_level_knobs(self):
        for level, side in {1: 4, 2: 6, 3: 6, 4: 8, 5: 8}.items():
            for i in range(2):
                inst = instance(self.task, level, i)
                assert inst.initial_state["size"] == side == len(inst.initial_state["grid"])
        density = [sum(v is not None for row in instance(self.task, level, i).initial_state["grid"]
                       for v in row) / instance(self.task, level, i).initial_state["size"] ** 2
                   for level in (2, 3) for i in range(4)]
        assert sum(density[:4]) > sum(density[4:])

    def test_skeleton_names_rules(self):
        texts = " ".join(s.text for lvl in (4, 5) for i in range(3)
                         for s in instance(self.task, lvl, i).solution.steps)
        assert "no three alike" in texts and "already has its" in texts

    def test_counter_sees_two_solutions(self):
        """Givens of a real 4x4 puzzle dropped one by one: the independent counter follows every
        completion the verifier accepts (all grids of balanced rows tried) until there are two."""
        rows = [r for r in itertools.product((0, 1), repeat=4) if sum(r) == 2]
        state = instance(self.task, 1, 0).initial_state
        grid = [list(row) for row in state["grid"]]
        givens = [(r, c) for r in range(4) for c in range(4) if grid[r][c] is not None]
        for r, c in givens:
            grid[r][c] = None
            mutated = {"size": 4, "grid": grid}
            accepted = sum(verify_answer(self.task, mutated, _text(list(g))).correct
                           for g in itertools.product(rows, repeat=4))
            assert count_binairo(mutated, limit=100) == accepted
            if accepted >= 2:
                break
        else:
            raise AssertionError("an empty 4x4 grid has many solutions")
        assert count_binairo(mutated) == 2
