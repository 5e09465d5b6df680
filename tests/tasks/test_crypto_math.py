import random
import re

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify, verify_answer

LEVELS = {1: (2, 3, 4), 2: (2, 4, 5), 3: (3, 3, 4), 4: (3, 4, 5), 5: (3, 5, 6)}


def pairs(answer: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'"([A-Z])"=(\d)', answer)}


def spell(assignment: dict[str, int]) -> str:
    return "[" + ", ".join(f'"{k}"={v}' for k, v in sorted(assignment.items())) + "]"


class TestCryptoMath(TaskChecklist):
    task = "crypto_math"
    effort_samples = 30  # search size varies a lot per draw; average over more

    def perturb(self, inst, rng: random.Random) -> list[str]:
        right = pairs(inst.solution.answer)
        letters = sorted(right)
        a, b = rng.sample(letters, 2)
        swapped = dict(right, **{a: right[b], b: right[a]})       # two letters exchanged
        free = sorted(set(range(10)) - set(right.values()))
        moved = dict(right, **{a: free[0]})                        # one letter changed
        clash = dict(right, **{a: right[b]})                       # two letters share a digit
        dropped = {k: v for k, v in right.items() if k != a}       # one letter missing
        return [spell(swapped), spell(moved), spell(clash), spell(dropped), ""]

    def test_known_example(self):
        state = {"equation": "SEND+MORE=MONEY"}
        right = "O=0, M=1, Y=2, E=5, N=6, D=7, R=8, S=9"
        assert verify_answer(self.task, state, right).correct
        assert verify_answer(self.task, state, '["D"=7, "E"=5, "M"=1, "N"=6, "O"=0, "R"=8, "S"=9, "Y"=2]').correct
        assert verify_answer(self.task, state, "{'S': 9, 'E': 5, 'N': 6, 'D': 7, 'M': 1, 'O': 0, 'R': 8, 'Y': 2}").correct
        assert verify(self.task, state, f"\\boxed{{{right}}}").correct
        assert not verify_answer(self.task, state, "O=0, M=1, Y=2, E=5, N=6, D=7, R=8, S=3").correct

    def test_rules_enforced(self):
        state = {"equation": "AB+CD=EFG"}  # 85 + 47 = 132
        assert verify_answer(self.task, state, "A=8, B=5, C=4, D=7, E=1, F=3, G=2").correct
        cases = {
            "A=8, B=5, C=4, D=7, E=1, F=3, G=6": "not",            # the sum fails
            "A=8, B=5, C=4, D=7, E=1, F=4, G=2": "both",           # two letters share 4
            "A=8, B=5, C=4, D=7, E=1, F=3, G=2, H=0": "H",         # a letter not in the equation
            "A=8, B=5, C=4, D=7, E=1, F=3": "G",                   # a letter missing
        }
        for text, why in cases.items():
            verdict = verify_answer(self.task, state, text)
            assert verdict.status == "wrong" and why in verdict.reason, (text, verdict)
        # a leading zero is refused even when the arithmetic holds: 05 + 27 = 32
        verdict = verify_answer(self.task, {"equation": "AB+CD=EF"}, "A=0, B=5, C=2, D=7, E=3, F=2")
        assert not verdict.correct
        verdict = verify_answer(self.task, {"equation": "AB+CD=EF"}, "A=0, B=5, C=2, D=6, E=3, F=1")
        assert verdict.status == "wrong" and "start with 0" in verdict.reason
        for text in ["A=nine", "A=8 B=5", "A=8, A=8", "[1, 2, 3]"]:
            assert verify_answer(self.task, state, text).status == "unparsable", text

    def test_level_knobs_and_uniqueness(self):
        for level, (count, length, result) in LEVELS.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                left, right = inst.initial_state["equation"].split("=")
                terms = left.split("+")
                assert len(terms) == count and all(len(t) == length for t in terms)
                assert len(right) == result
                assert inst.solution.num_solutions == 1

    def test_skeleton_shows_the_column_search(self):
        steps = instance(self.task, 3, 0).solution.steps
        kinds = {s.kind for s in steps}
        assert {"try", "deduce", "dead_end", "check", "conclude"} <= kinds
        assert any("carry" in s.text for s in steps)
