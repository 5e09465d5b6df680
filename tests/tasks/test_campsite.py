import json
import random
from itertools import combinations

from generators.puzzles.campsite import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


def _tents(answer: str) -> list[list[int]]:
    return json.loads(answer)


def brute_layouts(state: dict, limit: int = 2) -> int:
    """Independent count of tent sets under the official rules (small grids only): every subset
    of the cells beside a tree with the right size, checked rule by rule."""
    grid = state["input_grid"]
    n = len(grid)
    near = sorted({(r + dr, c + dc) for r in range(n) for c in range(n) if grid[r][c] == "T"
                   for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))
                   if 0 <= r + dr < n and 0 <= c + dc < n and grid[r + dr][c + dc] == "X"})
    found = 0
    for tents in combinations(near, sum(state["row_constraints"])):
        if any(max(abs(a - c), abs(b - d)) <= 1 for (a, b), (c, d) in combinations(tents, 2)):
            continue
        if ([sum(r == i for r, _ in tents) for i in range(n)] == state["row_constraints"]
                and [sum(c == i for _, c in tents) for i in range(n)] == state["col_constraints"]):
            found += 1
            if found >= limit:
                break
    return found


class TestCampsite(TaskChecklist):
    task = "campsite"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        tents = _tents(inst.solution.answer)
        n = len(inst.initial_state["input_grid"])
        i = rng.randrange(len(tents))
        dropped = tents[:i] + tents[i + 1:]
        r, c = tents[i]
        moved = [t for t in tents]
        moved[i] = [r, c % n + 1]
        spare = next([a, b] for a in range(1, n + 1) for b in range(1, n + 1) if [a, b] not in tents)
        added = tents + [spare]
        return [json.dumps(dropped), json.dumps(moved), json.dumps(added),
                json.dumps([[a - 1, b - 1] for a, b in tents]), "tents everywhere"]

    # two trees whose tents can swap corners: both layouts meet every rule
    STATE = {"input_grid": [["X", "T", "X"], ["X", "X", "X"], ["X", "T", "X"]],
             "row_constraints": [1, 0, 1], "col_constraints": [1, 0, 1]}

    def test_known_example_and_alternative(self):
        assert verify_answer(self.task, self.STATE, "[[1, 1], [3, 3]]").correct
        assert verify_answer(self.task, self.STATE, "[[1, 3], [3, 1]]").correct
        assert verify_answer(self.task, self.STATE, "[[3,1],[1,3]]").correct

    def test_rule_violations(self):
        cases = {
            "[[1, 1], [3, 1]]": "column",           # counts broken
            "[[1, 2], [3, 3]]": "tree",             # tent on a tree
            "[[1, 1], [2, 2], [3, 3]]": "touch",    # touching tents
            "[[1, 1], [4, 3]]": "outside",
        }
        for answer, word in cases.items():
            verdict = verify_answer(self.task, self.STATE, answer)
            assert not verdict.correct and word in verdict.reason, (answer, verdict)

    def test_tents_may_share_a_tree(self):
        # official rule 1: a tent needs a tree beside it, not a tree of its own (version 1 of
        # this task demanded a one-to-one pairing and rejected this layout)
        state = {"input_grid": [["X", "T", "X"]], "row_constraints": [2], "col_constraints": [1, 0, 1]}
        assert verify_answer(self.task, state, "[[1, 1], [1, 3]]").correct

    def test_a_tree_may_stay_without_a_tent(self):
        # two trees, one tent (version 1 asked one tent per tree when the margins allowed it)
        state = {"input_grid": [["T", "X", "X", "T"]], "row_constraints": [1],
                 "col_constraints": [0, 1, 0, 0]}
        assert verify_answer(self.task, state, "[[1, 2]]").correct

    def test_every_tent_needs_a_tree_beside_it(self):
        state = {"input_grid": [["T", "X", "X"], ["X", "X", "X"], ["X", "X", "X"]],
                 "row_constraints": [1, 0, 1], "col_constraints": [0, 1, 1]}
        verdict = verify_answer(self.task, state, "[[1, 2], [3, 3]]")
        assert not verdict.correct and "no tree" in verdict.reason
        # diagonal is not beside: (2, 2) touches the tree only at a corner
        state = {"input_grid": [["T", "X"], ["X", "X"]], "row_constraints": [0, 1],
                 "col_constraints": [0, 1]}
        assert not verify_answer(self.task, state, "[[2, 2]]").correct

    def test_cell_listed_twice_is_one_tent(self):
        # the official evaluator reads the answer as a set of cells; so does helix
        assert verify_answer(self.task, self.STATE, "[[1, 1], [3, 3], [1, 1]]").correct

    def test_no_tents_only_for_zero_margins(self):
        zero = {"input_grid": [["X", "T"], ["X", "X"]], "row_constraints": [0, 0],
                "col_constraints": [0, 0]}
        assert verify_answer(self.task, zero, "[]").correct
        assert not verify_answer(self.task, self.STATE, "[]").correct

    def test_deliberate_difference_tent_on_a_tree(self):
        """The official evaluator (campsite_eval.py) never checks that a tent stands on an empty
        cell: a tent drawn on the left one of two neighbouring trees has the right one beside it,
        so the official rules as coded accept this answer. helix rejects it (tents go on empty
        cells)."""
        state = {"input_grid": [["T", "T", "X"]], "row_constraints": [1], "col_constraints": [1, 0, 0]}
        verdict = verify_answer(self.task, state, "[[1, 1]]")
        assert not verdict.correct and "tree" in verdict.reason

    def test_level_knobs_and_uniqueness(self):
        for level in (1, 2, 3, 5):
            n, k, extra = LEVELS[level]
            for i in range(3):
                inst = instance(self.task, level, i)
                grid = inst.initial_state["input_grid"]
                assert len(grid) == n and all(len(row) == n for row in grid)
                assert sum(row.count("T") for row in grid) == k + extra
                assert sum(inst.initial_state["row_constraints"]) == k
                assert inst.solution.num_solutions == 1
                if n <= 5:  # independent proof under the official rules
                    assert brute_layouts(inst.initial_state) == 1

    def test_question_states_the_official_rules(self):
        inst = instance(self.task, 1, 0)
        for question in (inst.question_image, inst.question_text):
            assert "at least one tree" in question and "diagonally" in question
            assert "its own" not in question
