"""Verifier for isomorphism: `Yes` or `No` must match whether graph1 and graph2 are isomorphic,
decided here independently of the generator (a plain backtracking search pruned by degrees and
by adjacency to the nodes already mapped; no colour refinement)."""

from __future__ import annotations

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

SEARCH_BUDGET = 2_000_000  # assignments; graphs of the benchmark have at most 10 nodes
_SPELLINGS = {"yes": True, "no": False}


def check(state: dict, answer: str) -> Verdict:
    word = answer.strip().strip("*").strip().rstrip(".!").strip().lower()
    if word not in _SPELLINGS:
        raise Unparsable(f"expected Yes or No, got {answer[:60]!r}")
    said = _SPELLINGS[word]
    truth = _isomorphic(_adjacency(state["graph1"]), _adjacency(state["graph2"]))
    parsed = "Yes" if said else "No"
    if said != truth:
        return Verdict.reject(f"answered {parsed}, but the graphs are "
                              f"{'' if truth else 'not '}isomorphic", parsed=parsed)
    return Verdict.accept(parsed=parsed)


def _adjacency(graph: dict) -> list[set[int]]:
    n = int(graph["nodes"])
    adj: list[set[int]] = [set() for _ in range(n)]
    for u, v in graph["edges"]:
        adj[int(u)].add(int(v))
        adj[int(v)].add(int(u))
    return adj


def _isomorphic(adj1: list[set[int]], adj2: list[set[int]]) -> bool:
    n = len(adj1)
    if n != len(adj2) or sum(map(len, adj1)) != sum(map(len, adj2)):
        return False
    if sorted(map(len, adj1)) != sorted(map(len, adj2)):
        return False
    # map G1's nodes highest degree first so that adjacency constraints bite early
    order = sorted(range(n), key=lambda v: (-len(adj1[v]), v))
    image: dict[int, int] = {}
    taken = [False] * n
    budget = [SEARCH_BUDGET]

    def extend(i: int) -> bool:
        if i == n:
            return True
        v = order[i]
        for w in range(n):
            if taken[w] or len(adj2[w]) != len(adj1[v]):
                continue
            budget[0] -= 1
            if budget[0] < 0:
                raise RuntimeError("isomorphism search over budget")
            if all((u in adj1[v]) == (image[u] in adj2[w]) for u in image):
                image[v], taken[w] = w, True
                if extend(i + 1):
                    return True
                del image[v]
                taken[w] = False
        return False

    return extend(0)


register("isomorphism", check)
