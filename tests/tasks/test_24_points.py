import random
import re

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify, verify_answer

LEVELS = {1: (1, 9, True), 2: (1, 13, True), 3: (1, 20, True), 4: (1, 20, False), 5: (3, 25, False)}


class Test24Points(TaskChecklist):
    task = "24_points"
    effort_samples = 40  # nodes-until-first-solution varies a lot per draw; average over more

    def perturb(self, inst, rng: random.Random) -> list[str]:
        answer = inst.solution.answer
        first = re.search(r"\d+", answer)
        bumped = answer[:first.start()] + str(int(first.group()) + 1) + answer[first.end():]
        return [bumped,                      # one number changed: the multiset differs
                f"({answer}) × 1",           # an extra number
                f"{answer} = 25",            # wrong target
                "24", "", "I give up"]

    def test_known_examples(self):
        state = {"numbers": [1, 7, 9, 6]}
        for good in ["(1 + 7) × (9 - 6)", "(1+7)*(9-6) = 24", "(9 - 6) * (7 + 1)",
                     r"(1 + 7) \times (9 - 6)", "(1+7)x(9-6)", "[1 + 7] × {9 − 6}",
                     r"\left(1 + 7\right) \cdot (9 - 6) =24"]:
            assert verify_answer(self.task, state, good).correct, good
        assert verify_answer(self.task, {"numbers": [3, 3, 8, 8]}, "8 / (3 - 8 / 3)").correct
        assert verify_answer(self.task, {"numbers": [3, 3, 8, 8]}, r"\frac{8}{3-\frac{8}{3}}").correct
        assert verify(self.task, {"numbers": [3, 3, 8, 8]}, r"\boxed{8 \div (3 - 8 \div 3)}").correct

    def test_alternative_solutions_accepted(self):
        state = {"numbers": [2, 3, 4, 6]}  # many ways to 24; any of them is right
        for good in ["6 × 4 × (3 - 2)", "6 × 4 ÷ (3 - 2)", "6 × 3 + 4 + 2", "2 × 4 × (6 - 3)"]:
            assert verify_answer(self.task, state, good).correct, good

    def test_rule_violations_rejected(self):
        state = {"numbers": [1, 7, 9, 6]}
        cases = {
            "(1 + 7) × 3": "wrong",                 # a number missing, 3 not given
            "(1 + 7) × (9 - 6) × 1": "wrong",       # 1 used twice
            "(1 + 7) / (9 - 9) × 6": "wrong",       # division by zero is wrong, not a crash
            "1 + 7 + 9 + 6": "wrong",               # 23
            "(1 + 7)(9 - 6)": "unparsable",         # implicit multiplication
            "-(1 - 7) × (9 - 6)": "unparsable",     # unary minus
            "17 + 9 - 6 + 4": "wrong",              # digits glued into a new number
            "__import__('os').system('echo')": "unparsable",
            "(1 + 7) ** (9 - 6)": "unparsable",
            "(1+7)*(9-6) = 25": "unparsable",
        }
        for text, status in cases.items():
            verdict = verify_answer(self.task, state, text)
            assert not verdict.correct and verdict.status == status, (text, verdict)
            assert verdict.reason

    def test_hostile_inputs_bounded(self):
        state = {"numbers": [1, 7, 9, 6]}
        for text in ["(" * 5000 + "1" + ")" * 5000, "1+" * 3000 + "1", "9" * 500, "²³+1+7+6",
                     "(" * 30 + "1 + 7" + ")" * 30 + " × (9 - 6)", "٣ + 7 + 9 + 5"]:
            verdict = verify_answer(self.task, state, text)
            assert verdict.status in ("wrong", "unparsable"), (text[:40], verdict)

    def test_level_knobs_and_solvable(self):
        for level, (low, high, repeats) in LEVELS.items():
            for i in range(6):
                inst = instance(self.task, level, i)
                numbers = inst.initial_state["numbers"]
                assert len(numbers) == 4 and all(low <= n <= high for n in numbers)
                if not repeats:
                    assert len(set(numbers)) == 4
                assert verify_answer(self.task, inst.initial_state, inst.solution.answer).correct

    def test_skeleton_shows_the_search(self):
        kinds = {s.kind for i in range(4) for s in instance(self.task, 5, i).solution.steps}
        assert {"try", "dead_end", "backtrack", "check", "conclude"} <= kinds
