import ast
import random
import time

from generators.graphs import _path_tasks_layout as layout
from tests.tasks.checklist import TaskChecklist, instance
from verifiers.registry import verify_answer

PATH_0123 = {"adjacency": {"0": [1], "1": [0, 2], "2": [1, 3], "3": [2]}, "start_vertex": 0}


def is_no(answer: str) -> str:
    return "no" if answer.strip().lower() == "no" else "yes"


class TestHamiltonianPath(TaskChecklist):
    task = "hamiltonian_path"
    branch_of = staticmethod(is_no)

    def perturb(self, inst, rng: random.Random) -> list[str]:
        state = inst.initial_state
        n, start = len(state["adjacency"]), state["start_vertex"]
        if inst.solution.answer == "No":
            others = [v for v in range(n) if v != start]
            rng.shuffle(others)
            return [str([start] + others), str([start] + sorted(others)), "Yes"]
        path = ast.literal_eval(inst.solution.answer)
        return ["No", str(path[:-1]), str(path[:-1] + [path[0]]), str(path[1:] + path[:1]),
                str(path[::-1]), str(path + [path[-2]])]

    def test_known_example(self):
        assert verify_answer(self.task, PATH_0123, "[0, 1, 2, 3]").correct
        assert verify_answer(self.task, PATH_0123, "0 -> 1 -> 2 -> 3").correct
        assert not verify_answer(self.task, PATH_0123, "[0, 1, 2]").correct
        assert not verify_answer(self.task, PATH_0123, "[0, 2, 1, 3]").correct
        assert not verify_answer(self.task, PATH_0123, "No").correct

    def test_start_vertex_is_enforced(self):
        # [3, 2, 1, 0] is a Hamiltonian path, but it does not begin at the start vertex 0
        verdict = verify_answer(self.task, PATH_0123, "[3, 2, 1, 0]")
        assert not verdict.correct and "start" in verdict.reason
        from_one = dict(PATH_0123, start_vertex=1)
        assert not verify_answer(self.task, from_one, "[0, 1, 2, 3]").correct
        assert verify_answer(self.task, from_one, "No").correct  # 1 is inside the path graph

    def test_public_bare_adjacency_dict(self):
        bare = PATH_0123["adjacency"]
        assert verify_answer(self.task, bare, "[3, 2, 1, 0]").correct
        assert not verify_answer(self.task, bare, "No").correct

    def test_no_is_judged_on_both_branches(self):
        seen = set()
        for level in range(1, 6):
            for i in range(10):
                inst = instance(self.task, level, i)
                state, answer = inst.initial_state, inst.solution.answer
                verdict = verify_answer(self.task, state, "No")
                assert verdict.correct == (answer == "No"), (level, i, answer, verdict)
                assert verify_answer(self.task, state, "no.").correct == (answer == "No")
                seen.add((level, answer == "No"))
        assert len(seen) == 10, "both branches at every level"

    def test_level_knobs(self):
        for level, (n, _, max_degree) in {1: (4, .3, 3), 3: (8, .3, 3), 5: (16, .3, 4)}.items():
            for i in range(4):
                adj = instance(self.task, level, i).initial_state["adjacency"]
                assert sorted(map(int, adj)) == list(range(n))
                assert all(1 <= len(nbrs) <= max_degree for nbrs in adj.values())

    def test_no_edge_hidden_behind_a_node(self):
        for level in (3, 5):
            for i in range(4):
                inst = instance(self.task, level, i)
                pts = inst.state.positions
                for u, nbrs in enumerate(inst.state.adjacency):
                    for v in nbrs:
                        (ux, uy), (vx, vy) = pts[u], pts[v]
                        for w, (px, py) in enumerate(pts):
                            if w in (u, v):
                                continue
                            dx, dy = vx - ux, vy - uy
                            t = max(0, min(1, ((px - ux) * dx + (py - uy) * dy) / (dx * dx + dy * dy)))
                            gap = ((px - ux - t * dx) ** 2 + (py - uy - t * dy) ** 2) ** 0.5
                            assert gap * layout.CELL > layout.RADIUS + 4, (u, v, w)

    def test_skeleton_shows_search(self):
        kinds = {s.kind for level in (4, 5) for i in range(6)
                 for s in instance(self.task, level, i).solution.steps}
        assert {"try", "dead_end", "backtrack"} <= kinds

    def test_no_answer_search_is_bounded(self):
        # a long path graph, start in the middle: No, refuted at once by the degree count
        n = 60
        adj = {str(v): [w for w in (v - 1, v + 1) if 0 <= w < n] for v in range(n)}
        began = time.process_time()
        assert verify_answer(self.task, {"adjacency": adj, "start_vertex": 30}, "No").correct
        assert time.process_time() - began < 1.0
