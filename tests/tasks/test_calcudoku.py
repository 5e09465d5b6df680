import json
import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# 3x3, rows 1 2 3 / 2 3 1 / 3 1 2 with cages written in the official (1-based) form
STATE = {"size": 3, "cages": [
    {"cells": [[1, 1], [1, 2]], "operator": "-", "target": 1},
    {"cells": [[1, 3], [2, 3]], "operator": "/", "target": 3},
    {"cells": [[2, 1], [2, 2], [3, 2]], "operator": "*", "target": 6},
    {"cells": [[3, 1]], "operator": "=", "target": 3},
    {"cells": [[3, 3]], "operator": "", "target": 2},
]}
GOOD = "[[1, 2, 3], [2, 3, 1], [3, 1, 2]]"


class TestCalcudoku(TaskChecklist):
    task = "calcudoku"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        grid = json.loads(inst.solution.answer)
        n = len(grid)
        bad = []
        for _ in range(2):
            r, c = rng.randrange(n), rng.randrange(n)
            changed = [row[:] for row in grid]
            changed[r][c] = changed[r][c] % n + 1
            bad.append(json.dumps(changed))
        # swapping two rows keeps the Latin square but (almost always) breaks a cage
        swapped = [grid[1], grid[0]] + grid[2:]
        if verify_answer(self.task, inst.initial_state, json.dumps(swapped)).correct is False:
            bad.append(json.dumps(swapped))
        return bad

    def test_known_example(self):
        assert verify_answer(self.task, STATE, GOOD).correct
        assert verify_answer(self.task, STATE, "1 2 3\n2 3 1\n3 1 2").correct
        # a Latin square that breaks the 1- cage and the ÷ cage
        wrong = verify_answer(self.task, STATE, "[[1, 3, 2], [2, 1, 3], [3, 2, 1]]")
        assert not wrong.correct and "cage" in wrong.reason
        latin = verify_answer(self.task, STATE, "[[1, 2, 3], [2, 3, 1], [3, 1, 1]]")
        assert not latin.correct and "row 3" in latin.reason

    def test_operator_spellings_and_alternatives(self):
        spelled = json.loads(json.dumps(STATE))
        spelled["cages"][0]["operator"] = "−"
        spelled["cages"][1]["operator"] = "÷"
        spelled["cages"][2]["operator"] = "×"
        assert verify_answer(self.task, spelled, GOOD).correct
        # one big + cage: any Latin square is right
        loose = {"size": 3, "cages": [{"cells": [[r, c] for r in (1, 2, 3) for c in (1, 2, 3)],
                                       "operator": "+", "target": 18}]}
        assert verify_answer(self.task, loose, GOOD).correct
        assert verify_answer(self.task, loose, "[[2, 1, 3], [3, 2, 1], [1, 3, 2]]").correct

    def test_level_knobs(self):
        for level, side in {1: 3, 2: 4, 3: 5, 4: 6, 5: 8}.items():
            inst = instance(self.task, level, 0)
            assert inst.initial_state["size"] == side
            cells = [tuple(p) for cage in inst.initial_state["cages"] for p in cage["cells"]]
            assert sorted(cells) == [(r, c) for r in range(1, side + 1) for c in range(1, side + 1)]
