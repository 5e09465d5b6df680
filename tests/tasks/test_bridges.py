import random
import re

from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer


class TestBridges(TaskChecklist):
    task = "bridges"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        lines = inst.solution.answer.splitlines()
        i = rng.randrange(len(lines))
        head, count = lines[i].rsplit(":", 1)
        flipped = lines[:i] + [f"{head}:{3 - int(count)}"] + lines[i + 1:]
        shifted = re.sub(r"\((\d+),", lambda m: f"({int(m.group(1)) + 1},", lines[i], count=1)
        return ["\n".join(lines[:i] + lines[i + 1:]), "\n".join(flipped),
                "\n".join(lines[:i] + [shifted] + lines[i + 1:]), "\n".join(lines + [lines[i]])]

    # a square of four islands 2 2 / 2 2: the ring of single bridges; double pairs stay disconnected
    SQUARE = {"size": 5, "islands": [{"x": 0, "y": 0, "num": 2}, {"x": 4, "y": 0, "num": 2},
                                     {"x": 0, "y": 4, "num": 2}, {"x": 4, "y": 4, "num": 2}]}

    def test_known_example_and_spellings(self):
        ring = "(0,0)-(4,0):1\n(4,0)-(4,4):1\n(4,4)-(0,4):1\n(0,4)-(0,0):1"
        assert verify_answer(self.task, self.SQUARE, ring).correct
        assert verify_answer(self.task, self.SQUARE, ring.replace("\n", " ")).correct
        assert verify_answer(self.task, self.SQUARE, ring.replace("\n", ", ").replace(":1", "")).correct
        # one line per bridge: a repeated line adds up
        doubled = "(0,0)-(4,0)\n(0,0)-(4,0)\n(0,0)-(0,4):0"
        assert not verify_answer(self.task, self.SQUARE, doubled).correct

    def test_rules_enforced(self):
        cases = {
            "(0,0)-(4,0):2\n(0,4)-(4,4):2": "connected",         # two separate pairs
            "(0,0)-(4,4):2": "horizontal or vertical",
            "(0,0)-(4,0):3": "1 or 2",
            "(0,0)-(2,0):1": "not an island",
            "(0,0)-(4,0):1\n(0,0)-(4,0):2": "more than two",
        }
        for answer, word in cases.items():
            verdict = verify_answer(self.task, self.SQUARE, answer)
            assert not verdict.correct and word in verdict.reason, (answer, verdict)
        cross = {"size": 5, "islands": [{"x": 2, "y": 0, "num": 1}, {"x": 2, "y": 4, "num": 1},
                                        {"x": 0, "y": 2, "num": 1}, {"x": 4, "y": 2, "num": 1}]}
        verdict = verify_answer(self.task, cross, "(2,0)-(2,4):1\n(0,2)-(4,2):1")
        assert not verdict.correct and "cross" in verdict.reason
        over = {"size": 5, "islands": [{"x": 0, "y": 0, "num": 1}, {"x": 2, "y": 0, "num": 0},
                                       {"x": 4, "y": 0, "num": 1}]}
        verdict = verify_answer(self.task, over, "(0,0)-(4,0):1")
        assert not verdict.correct and "passes over" in verdict.reason

    def test_level_knobs_distinct_and_unique(self):
        for level, (size, low, high) in {1: (5, 3, 4), 3: (7, 5, 6), 5: (9, 7, 10)}.items():
            ids = set()
            for i in range(6):
                inst = instance(self.task, level, i)
                islands = inst.initial_state["islands"]
                assert inst.initial_state["size"] == size and low <= len(islands) <= high
                assert all(0 <= d["x"] < size and 0 <= d["y"] < size for d in islands)
                assert inst.solution.num_solutions == 1
                ids.add(inst.id)
            assert len(ids) == 6
