import random

from generators.graphs.topological_sort import LEVELS
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

# 5 -> 0, 5 -> 2, 4 -> 0, 4 -> 1, 2 -> 3, 3 -> 1
SMALL = {"nodes": 6, "adjacency": {"0": [], "1": [], "2": [3], "3": [1], "4": [0, 1], "5": [0, 2]}}


def _edges(state: dict) -> list[tuple[int, int]]:
    return [(int(u), v) for u, heads in state["adjacency"].items() for v in heads]


class TestTopologicalSort(TaskChecklist):
    task = "topological_sort"

    def perturb(self, inst, rng: random.Random) -> list[str]:
        order = [int(x) for x in inst.solution.answer.strip("[]").split(", ")]
        u, v = rng.choice(_edges(inst.initial_state))
        swapped = list(order)
        i, j = swapped.index(u), swapped.index(v)
        swapped[i], swapped[j] = v, u                       # one edge now points backward
        k = rng.randrange(len(order))
        duplicated = order[:k] + [order[k]] + order[k + 1:]   # one node twice ...
        duplicated[(k + 1) % len(order)] = order[k]           # ... and another missing
        fmt = lambda xs: "[" + ", ".join(map(str, xs)) + "]"  # noqa: E731
        return [fmt(swapped), fmt(order[:-1]), fmt(order + [len(order)]), fmt(duplicated),
                "[" + ", ".join(map(str, order[:-1])) + ", x]"]

    def test_known_example(self):
        assert verify_answer(self.task, SMALL, "[4, 5, 2, 0, 3, 1]").correct
        assert verify_answer(self.task, SMALL, "[5, 4, 0, 2, 3, 1]").correct  # another valid order
        assert verify_answer(self.task, SMALL, "5 4 2 3 1 0").correct          # plain spelling
        assert not verify_answer(self.task, SMALL, "[4, 5, 3, 2, 0, 1]").correct  # 2 -> 3 backward
        assert not verify_answer(self.task, SMALL, "[4, 5, 2, 0, 3]").correct     # 1 missing
        assert not verify_answer(self.task, SMALL, "[4, 5, 2, 0, 3, 1, 1]").correct
        assert verify_answer(self.task, SMALL, "[a, b]").status == "unparsable"

    def test_every_valid_order_is_accepted(self):
        # the largest-label-first Kahn order: valid, and not the solver's smallest-first one
        for level in (2, 4):
            state = instance(self.task, level, 1).initial_state
            n, edges = state["nodes"], _edges(state)
            indegree = [0] * n
            for _, v in edges:
                indegree[v] += 1
            ready, order = [v for v in range(n) if indegree[v] == 0], []
            while ready:
                u = max(ready)
                ready.remove(u)
                order.append(u)
                for a, b in edges:
                    if a == u:
                        indegree[b] -= 1
                        if indegree[b] == 0:
                            ready.append(b)
            assert str(order) != instance(self.task, level, 1).solution.answer
            assert verify_answer(self.task, state, str(order)).correct

    def test_level_knobs(self):
        for level, (n, m, min_chain) in LEVELS.items():
            for i in range(3):
                inst = instance(self.task, level, i)
                state = inst.initial_state
                assert state["nodes"] == n
                assert sorted(state["adjacency"], key=int) == [str(v) for v in range(n)]
                assert len(_edges(state)) >= m
                touched = {x for e in _edges(state) for x in e}
                assert touched == set(range(n)), "no isolated node"

    def test_skeleton_records_the_queue(self):
        steps = instance(self.task, 3, 0).solution.steps
        outputs = [s for s in steps if s.text.startswith("Output")]
        assert len(outputs) == 12 and all("queue:" in s.anchor for s in outputs)
