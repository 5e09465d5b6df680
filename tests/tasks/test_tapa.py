import random

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.parse import parse_pairs
from verifiers.registry import verify_answer


def _fmt(cells) -> str:
    return ", ".join(f"({r},{c})" for r, c in sorted(cells))


class TestTapa(TaskChecklist):
    task = "tapa"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        black = parse_pairs(inst.solution.answer)
        n = inst.initial_state["rows"]
        i = rng.randrange(len(black))
        white = [(r, c) for r in range(n) for c in range(n)
                 if (r, c) not in black and f"{r},{c}" not in inst.initial_state["clues"]]
        out = [_fmt(black[:i] + black[i + 1:]), "black: all of them"]
        if white:
            out.append(_fmt(black + [rng.choice(white)]))
        clue = next(iter(inst.initial_state["clues"]))
        out.append(_fmt(black + [tuple(map(int, clue.split(",")))]))
        return out

    def test_known_example(self):
        # an L-shaped wall in the bottom-left corner: the centre sees one group of 3, the corner 1
        state = {"rows": 3, "cols": 3, "clues": {"1,1": 3, "0,0": 1}}
        assert verify_answer(self.task, state, "(1,0), (2,0), (2,1)").correct
        assert verify_answer(self.task, state, "{(2, 1), (1, 0), (2, 0)}").correct
        wrong = verify_answer(self.task, state, "(1,0), (2,0)")
        assert not wrong.correct and "clue" in wrong.reason

    def test_rules_enforced(self):
        # two separate groups never make one clue; connectivity; 2x2; clue cells white
        state = {"rows": 3, "cols": 3, "clues": {"1,1": 2}}
        verdict = verify_answer(self.task, state, "(0,1), (2,1)")
        assert not verdict.correct and "groups" in verdict.reason
        assert not verify_answer(self.task, state, "(0,0), (2,2)").correct  # two separate cells
        block = {"rows": 3, "cols": 3, "clues": {"2,2": 3}}
        verdict = verify_answer(self.task, block, "(1,1), (1,2), (2,1), (0,0), (0,1), (1,0)")
        assert not verdict.correct and "2x2" in verdict.reason
        verdict = verify_answer(self.task, state, "(1,1)")
        assert not verdict.correct and "white" in verdict.reason
        # a 0 clue: no black neighbour at all
        zero = {"rows": 3, "cols": 3, "clues": {"0,0": 0}}
        assert verify_answer(self.task, zero, "(2,0), (2,1), (2,2)").correct
        assert not verify_answer(self.task, zero, "(1,1), (2,1)").correct

    def test_clue_groups_touch_by_corners(self):
        """The official rule: a clue's black neighbours form one group counting corner contact
        (8-connectivity), not one run around the ring. N and E of the clue touch by a corner, so
        they are one group of 2 (the old ring-run rule read them as runs 1 and 1)."""
        state = {"rows": 5, "cols": 5, "clues": {"2,2": 2}}
        wall = "(1,2), (0,2), (0,3), (0,4), (1,4), (2,4), (2,3)"
        assert verify_answer(self.task, state, wall).correct
        # N and S are no group: they touch neither by side nor by corner
        state = {"rows": 3, "cols": 3, "clues": {"1,1": 2}}
        assert not verify_answer(self.task, state, "(0,1), (0,2), (1,2), (2,2), (2,1)").correct

    def test_several_numbers_in_one_clue_are_not_a_state(self):
        # official clues hold one number; a multi-number clue is a malformed state, said as such
        verdict = verify_answer(self.task, {"rows": 3, "cols": 3, "clues": {"1,1": [1, 1]}}, "(0,0)")
        assert verdict.status == "verifier_error" and "one number" in verdict.reason
        # the one-number list that older exports wrote still reads
        assert verify_answer(self.task, {"rows": 3, "cols": 3, "clues": {"1,1": [3], "0,0": [1]}},
                             "(1,0), (2,0), (2,1)").correct

    def test_alternative_shading_accepted(self):
        # one clue, two mirror-image shadings both fit
        state = {"rows": 3, "cols": 3, "clues": {"1,1": 2}}
        assert verify_answer(self.task, state, "(0,0), (0,1)").correct
        assert verify_answer(self.task, state, "(0,1), (0,2)").correct

    def test_generated_clues_are_single_groups(self):
        for level in (1, 5):
            for i in range(3):
                clues = instance(self.task, level, i).initial_state["clues"]
                assert clues and all(isinstance(v, int) and 1 <= v <= 8 for v in clues.values())

    def test_level_knobs_and_uniqueness(self):
        for level, n in {1: 3, 3: 5, 5: 7}.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                assert inst.initial_state["rows"] == inst.initial_state["cols"] == n
                assert inst.solution.num_solutions == 1
