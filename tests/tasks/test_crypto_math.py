import random
import re
from itertools import permutations

from generators.algorithms.crypto_math import CryptoMath, _count, _Search, _split
from tests.tasks.checklist import TaskChecklist, instance
from tests.tasks.counters import count_crypto_math
from verifiers.registry import verify, verify_answer

LEVELS = {1: (2, 3, 4), 2: (2, 4, 5), 3: (3, 3, 4), 4: (3, 4, 5), 5: (3, 5, 6)}


def pairs(answer: str) -> dict[str, int]:
    return {k: int(v) for k, v in re.findall(r'"([A-Z])"=(\d)', answer)}


def brute_force(equation: str) -> int:
    """Every digit assignment tried: the number of solutions, uncapped (few letters only)."""
    left, result = equation.split("=")
    words = left.split("+") + [result]
    letters = sorted(set("".join(words)))
    count = 0
    for digits in permutations(range(10), len(letters)):
        value = dict(zip(letters, digits))
        if any(len(w) > 1 and value[w[0]] == 0 for w in words):
            continue
        number = [int("".join(str(value[ch]) for ch in w)) for w in words]
        count += sum(number[:-1]) == number[-1]
    return count


def counting_pass(terms: list[str], result: str) -> tuple[int, int]:
    """The recorded search's counting pass: (solutions up to 2, tries)."""
    search = _Search(terms, result, record=False)
    search.column(0, 0)
    return min(search.solutions, 2), search.nodes


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

    def test_counter_sees_two_solutions(self):
        # the independent counter agrees with trying every assignment, two solutions included
        for equation, expected in [("BCE+BAE=DCDB", 2), ("ECE+BCB=ACAD", 2), ("AB+AB=CB", 4),
                                   ("AA+BB=CBC", 1), ("AB+BC=CAC", 0)]:
            assert brute_force(equation) == expected, equation
            assert count_crypto_math({"equation": equation}, limit=10) == expected, equation
            assert count_crypto_math({"equation": equation}) == min(expected, 2), equation
        assert count_crypto_math({"equation": "SEND+MORE=MONEY"}, limit=10) == 1

    def test_compiled_count_matches_the_recorded_search(self):
        """`_count` is a hand-compiled copy of `_Search`'s counting pass; the skeleton states its
        tries (effort, and "N more tries" after the recorded part), so both must count alike:
        over real instances, and over raw draws of every level, unique or not."""
        for level in range(1, 6):
            for i in range(8):
                inst = instance(self.task, level, i)
                terms, result = _split(inst.initial_state["equation"])
                compiled = _count(terms, result)
                assert (compiled.solutions, compiled.nodes) == counting_pass(terms, result), inst.id
                assert (compiled.solutions, compiled.nodes) == (1, inst.solution.effort), inst.id
                # the recorded part: one try per "try X = d" and per sum letter set ("so X = d")
                recorded = _Search(terms, result, record=True)
                recorded.column(0, 0)
                text = "\n".join(step.text for step in inst.solution.steps)
                shown = (len(re.findall(r"try [A-Z] = \d", text))
                         + len(re.findall(r"so [A-Z] = \d(?!:)", text)))
                assert shown == recorded.nodes, inst.id
                more = int(re.search(r"\((\d+) more tries\)", text).group(1))
                assert more == compiled.nodes - recorded.nodes, inst.id
        task, kinds = CryptoMath(), set()
        for seed in range(250):
            rng = random.Random(seed)
            count, length, result_length, letters, _ = task.params(seed % 5 + 1)
            pool = rng.sample(range(10), letters - rng.randint(0, 1))
            lead = [d for d in pool if d] or [1]
            numbers = [int("".join(str(rng.choice(pool if k else lead)) for k in range(length)))
                       for _ in range(count)]
            numbers.append(sum(numbers))
            code = {d: "ABCDEFGHIJ"[k] for k, d in enumerate(sorted(set("".join(map(str, numbers)))))}
            words = ["".join(code[d] for d in str(n)) for n in numbers]
            compiled = _count(words[:-1], words[-1])
            assert (compiled.solutions, compiled.nodes) == counting_pass(words[:-1], words[-1]), words
            kinds.add(compiled.solutions)
        assert kinds == {1, 2}, "the draws cover unique and non-unique equations"
