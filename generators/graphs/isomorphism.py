"""Graph isomorphism (graphs; official label `graph_isomorphism`).

Two undirected graphs G1 and G2, each drawn on a circle: is there a relabelling of G1's nodes that
turns it into G2? A paired task: both members of a pair share G1; member 0's G2 is G1 relabelled
(Yes), member 1's G2 is a modified G1, relabelled the same way (No). From level 3 the modification
is a double edge swap, so the degree sequences agree and counting degrees cannot decide the pair.
The solver compares invariants (sizes, degrees, colour refinement), then searches for a mapping
class by class with backtracking: the mapping proves Yes, a differing invariant or an exhausted
search proves No.
"""

from __future__ import annotations

import random
from collections import Counter
from typing import NamedTuple

from pydantic import BaseModel

from common.hashing import stable_hash
from generators.base import Rejected, Solution, Step, Task, Variant
from generators.graphs._layout import circle_positions, draw_network
from generators.registry import register


class Level(NamedTuple):
    nodes: int
    edges: int
    same_degrees: bool  # whether the No member keeps G1's degree sequence


LEVELS = {
    1: Level(6, 7, False),
    2: Level(7, 9, False),
    3: Level(8, 11, True),
    4: Level(9, 13, True),
    5: Level(10, 15, True),
}
SEARCH_BUDGET = 200_000   # mapping-search nodes; n <= 10 needs a few hundred at most
RECORDED_TRIES = 120      # search steps written into the skeleton; the rest are only counted
SWAP_TRIES = 60           # attempts at a modification that changes the isomorphism class

Edge = tuple[int, int]


class Graph(BaseModel):
    n: int
    edges: list[Edge]  # (u, v) with u < v, sorted


class State(BaseModel):
    g1: Graph
    g2: Graph
    pair_id: str


class GraphIsomorphism(Task[State]):
    name = "isomorphism"
    category = "graphs"
    official_name = "graph_isomorphism"
    score_function = "simple_str_match"
    levels = LEVELS
    paired = True
    rules = ("Two undirected graphs G1 and G2 are isomorphic when the nodes of G1 can be renamed "
             "one-to-one as the nodes of G2 so that two nodes are joined in G1 exactly when their "
             "new names are joined in G2. Decide whether G1 and G2 are isomorphic.")
    answer_format = "Yes or No"

    def generate(self, rng: random.Random, level: int) -> State:
        return self.generate_member(rng, level, rng.randrange(2))

    def generate_member(self, rng: random.Random, level: int, member: int) -> State:
        # everything up to the last line is drawn identically for both members
        n, m, same_degrees = self.params(level)
        g1 = _random_connected(rng, n, m)
        perm = list(range(n))
        rng.shuffle(perm)
        if sum(perm[v] == v for v in range(n)) > n // 3:
            raise Rejected("relabelling keeps too many nodes")
        if _relabel(g1, perm) == g1:
            raise Rejected("relabelled G2 would look identical to G1")
        modified = _swap_edges(rng, n, g1) if same_degrees else _move_edge(rng, n, g1)
        if modified is None:
            raise Rejected("no class-changing modification found")
        g2 = _relabel(g1 if member == 0 else modified, perm)
        pair_id = stable_hash("isomorphism-pair", n, [list(e) for e in g1])
        return State(g1=Graph(n=n, edges=g1), g2=Graph(n=n, edges=g2), pair_id=pair_id)

    def solve(self, state: State) -> Solution:
        g1, g2 = state.g1, state.g2
        steps = [Step(kind="observe", text=f"G1 has {g1.n} nodes and {len(g1.edges)} edges; G2 has "
                      f"{g2.n} nodes and {len(g2.edges)} edges.")]
        effort = g1.n + len(g1.edges)
        if (g1.n, len(g1.edges)) != (g2.n, len(g2.edges)):
            return _no(steps, "the graphs differ in size, so no renaming can match them", effort)
        adj1, adj2 = _adjacency(g1.n, g1.edges), _adjacency(g2.n, g2.edges)
        deg1, deg2 = _degree_sequence(adj1), _degree_sequence(adj2)
        steps.append(Step(kind="deduce", text="A renaming keeps every node's degree, so the sorted "
                          "degree sequences must agree.",
                          anchor=f"G1 degrees: {deg1}\nG2 degrees: {deg2}"))
        if deg1 != deg2:
            where = _first_difference(Counter(deg1), Counter(deg2))
            return _no(steps, f"the degree sequences differ ({where})", effort)
        colours1, colours2, rounds, verdict = _refine(adj1, adj2, steps)
        effort += rounds * g1.n
        if verdict:
            return _no(steps, verdict, effort)
        mapping, nodes = _search(adj1, adj2, colours1, colours2, steps)
        effort += nodes
        if mapping is None:
            return _no(steps, "every candidate mapping fails on some edge, although all invariants "
                       "agree", effort)
        shown = ", ".join(f"{v}->{mapping[v]}" for v in range(g1.n))
        steps.append(Step(kind="check", text=f"Every one of the {len(g1.edges)} edges of G1 maps to "
                          "an edge of G2 and the edge counts are equal, so the mapping is an "
                          "isomorphism.", anchor=f"mapping: {shown}"))
        steps.append(Step(kind="conclude", text="G1 and G2 are isomorphic: Yes."))
        return Solution(answer="Yes", steps=steps, effort=effort, num_solutions=1)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Graph isomorphism. " + self.rules
        if variant == "image":
            body = ("The first picture shows G1 and the second picture shows G2; both have "
                    f"{state.g1.n} nodes numbered 0 to {state.g1.n - 1}, placed on a circle.")
        else:
            body = (f"Both graphs have {state.g1.n} nodes numbered 0 to {state.g1.n - 1}.\n"
                    f"G1 edges: {_edge_text(state.g1.edges)}\n"
                    f"G2 edges: {_edge_text(state.g2.edges)}")
        return (f"{intro}\n\n{body}\n\nAre G1 and G2 isomorphic? Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        return [draw_network(circle_positions(g.n), g.edges, caption=name, size=400)
                for name, g in (("G1", state.g1), ("G2", state.g2))]

    def initial_state(self, state: State) -> dict:
        return {"graph1": {"nodes": state.g1.n, "edges": [list(e) for e in state.g1.edges]},
                "graph2": {"nodes": state.g2.n, "edges": [list(e) for e in state.g2.edges]},
                "pair_id": state.pair_id}


# -- drawing the pair ------------------------------------------------------------------------

def _key(u: int, v: int) -> Edge:
    return (u, v) if u < v else (v, u)


def _random_connected(rng: random.Random, n: int, m: int) -> list[Edge]:
    """A random spanning tree (each node joins an earlier one) plus random extra edges."""
    order = list(range(n))
    rng.shuffle(order)
    edges = {_key(order[i], order[rng.randrange(i)]) for i in range(1, n)}
    rest = [(u, v) for u in range(n) for v in range(u + 1, n) if (u, v) not in edges]
    edges.update(rng.sample(rest, m - len(edges)))
    return sorted(edges)


def _relabel(edges: list[Edge], perm: list[int]) -> list[Edge]:
    return sorted(_key(perm[u], perm[v]) for u, v in edges)


def _connected(n: int, edges: list[Edge]) -> bool:
    adj = _adjacency(n, edges)
    seen, stack = {0}, [0]
    while stack:
        for w in adj[stack.pop()]:
            if w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) == n


def _swap_edges(rng: random.Random, n: int, g: list[Edge]) -> list[Edge] | None:
    """Double edge swap a-b, c-d -> a-d, c-b: degrees stay, the class must change."""
    present = set(g)
    for _ in range(SWAP_TRIES):
        (a, b), (c, d) = rng.sample(g, 2)
        if rng.random() < 0.5:
            c, d = d, c
        if len({a, b, c, d}) < 4 or _key(a, d) in present or _key(c, b) in present:
            continue
        candidate = sorted((present - {_key(a, b), _key(c, d)}) | {_key(a, d), _key(c, b)})
        if _connected(n, candidate) and not _isomorphic(n, g, candidate):
            return candidate
    return None


def _move_edge(rng: random.Random, n: int, g: list[Edge]) -> list[Edge] | None:
    """Remove one edge, add one non-edge: same size, (usually) other degrees, other class."""
    present = set(g)
    missing = [(u, v) for u in range(n) for v in range(u + 1, n) if (u, v) not in present]
    for _ in range(SWAP_TRIES):
        old, new = rng.choice(g), rng.choice(missing)
        candidate = sorted((present - {old}) | {new})
        if _connected(n, candidate) and not _isomorphic(n, g, candidate):
            return candidate
    return None


def _isomorphic(n: int, e1: list[Edge], e2: list[Edge]) -> bool:
    adj1, adj2 = _adjacency(n, e1), _adjacency(n, e2)
    if _degree_sequence(adj1) != _degree_sequence(adj2):
        return False
    colours1, colours2, _, verdict = _refine(adj1, adj2, None)
    return not verdict and _search(adj1, adj2, colours1, colours2, None)[0] is not None


# -- the solver's invariants and search ------------------------------------------------------

def _adjacency(n: int, edges: list[Edge]) -> list[set[int]]:
    adj: list[set[int]] = [set() for _ in range(n)]
    for u, v in edges:
        adj[u].add(v)
        adj[v].add(u)
    return adj


def _degree_sequence(adj: list[set[int]]) -> list[int]:
    return sorted((len(a) for a in adj), reverse=True)


def _first_difference(c1: Counter, c2: Counter) -> str:
    key = min(k for k in set(c1) | set(c2) if c1[k] != c2[k])
    return f"G1 has {c1[key]} nodes of degree {key}, G2 has {c2[key]}"


def _no(steps: list[Step], why: str, effort: int) -> Solution:
    steps.append(Step(kind="conclude", text=f"Not isomorphic: {why}. Answer: No."))
    return Solution(answer="No", steps=steps, effort=effort, num_solutions=1)


def _refine(adj1: list[set[int]], adj2: list[set[int]], steps: list[Step] | None
            ) -> tuple[list[int], list[int], int, str]:
    """Colour refinement on both graphs with one shared palette: a node's new colour is its old
    colour plus the multiset of its neighbours' colours. A renaming preserves colours, so the
    class sizes must agree in every round. Returns the stable colours, the rounds, and a reason
    when the class sizes differ (empty when they never do)."""
    colours1 = [len(a) for a in adj1]
    colours2 = [len(a) for a in adj2]
    rounds = 0
    while True:
        rounds += 1
        sig1 = _signatures(adj1, colours1)
        sig2 = _signatures(adj2, colours2)
        palette = {s: i for i, s in enumerate(sorted(set(sig1) | set(sig2)))}
        new1, new2 = [palette[s] for s in sig1], [palette[s] for s in sig2]
        count1, count2 = Counter(sig1), Counter(sig2)
        if steps is not None:
            basis = ("degree and their neighbours' degrees" if rounds == 1 else
                     "class of the previous round and their neighbours' classes")
            steps.append(Step(kind="deduce", text=f"Refinement round {rounds}: group the nodes by "
                              f"their {basis}; a renaming keeps these groups, so their sizes in G1 "
                              "and G2 must agree.",
                              anchor=_classes(palette, new1, new2, rounds)))
        if count1 != count2:
            sig = min(s for s in palette if count1[s] != count2[s])
            return new1, new2, rounds, (f"in refinement round {rounds}, G1 has {count1[sig]} and "
                                        f"G2 has {count2[sig]} nodes of class c{palette[sig]} "
                                        f"({_describe(sig, rounds)})")
        stable = len(set(new1)) == len(set(colours1))  # no class split: refinement is done
        colours1, colours2 = new1, new2
        if stable or len(set(new1)) == len(adj1):
            return colours1, colours2, rounds, ""


def _signatures(adj: list[set[int]], colours: list[int]) -> list[tuple[int, tuple[int, ...]]]:
    return [(colours[v], tuple(sorted(colours[w] for w in adj[v]))) for v in range(len(adj))]


def _describe(sig: tuple[int, tuple[int, ...]], rounds: int) -> str:
    if rounds == 1:
        return f"degree {sig[0]}, neighbour degrees {list(sig[1])}"
    return f"from c{sig[0]}, neighbours in " + " ".join(f"c{c}" for c in sig[1])


def _classes(palette: dict, new1: list[int], new2: list[int], rounds: int) -> str:
    """The class table: each class, what defines it, and its members in G1 and in G2."""
    lines = []
    for sig, c in sorted(palette.items(), key=lambda item: item[1]):
        in1 = [v for v, x in enumerate(new1) if x == c]
        in2 = [v for v, x in enumerate(new2) if x == c]
        lines.append(f"c{c} ({_describe(sig, rounds)}): G1 {in1} | G2 {in2}")
    return "\n".join(lines)


def _search(adj1: list[set[int]], adj2: list[set[int]], colours1: list[int], colours2: list[int],
            steps: list[Step] | None) -> tuple[dict[int, int] | None, int]:
    """Backtracking: map G1's nodes in a fixed order (smallest colour class first, then nodes
    adjacent to mapped ones), each to an unused G2 node of the same colour whose adjacency to the
    mapped nodes agrees. Returns the mapping (or None) and the search nodes visited."""
    n = len(adj1)
    size = Counter(colours1)
    order: list[int] = []
    while len(order) < n:
        rest = [v for v in range(n) if v not in order]
        order.append(min(rest, key=lambda v: (-len(adj1[v] & set(order)), size[colours1[v]], v)))
    mapping: dict[int, int] = {}
    used: set[int] = set()
    visited = 0
    recorded = 0

    def note(kind: str, text: str) -> None:
        nonlocal recorded
        if steps is not None and recorded < RECORDED_TRIES:
            recorded += 1
            partial = ", ".join(f"{v}->{mapping[v]}" for v in order if v in mapping)
            steps.append(Step(kind=kind, text=text, anchor=f"mapping: {partial or '(empty)'}"))

    def extend(i: int) -> bool:
        nonlocal visited
        if i == n:
            return True
        v = order[i]
        for w in range(n):
            if w in used or colours2[w] != colours1[v]:
                continue
            visited += 1
            if visited > SEARCH_BUDGET:
                raise Rejected("isomorphism search over budget")
            clash = next((u for u in mapping if (u in adj1[v]) != (mapping[u] in adj2[w])), None)
            if clash is not None:
                in1 = "an edge" if clash in adj1[v] else "no edge"
                in2 = "an edge" if mapping[clash] in adj2[w] else "no edge"
                note("dead_end", f"{v}->{w} fails: {v}-{clash} is {in1} in G1 but "
                     f"{mapping[clash]}-{w} is {in2} in G2.")
                continue
            mapping[v] = w
            used.add(w)
            note("try", f"Map {v}->{w} (same class c{colours1[v]}, adjacency to the mapped "
                 "nodes agrees).")
            if extend(i + 1):
                return True
            del mapping[v]
            used.discard(w)
            note("backtrack", f"No way to continue after {v}->{w}; undo it.")
        return False

    if steps is not None:
        steps.append(Step(kind="observe", text="All invariants agree, so I search for a mapping, "
                          "class by class, keeping only choices that preserve every edge and "
                          f"non-edge among mapped nodes. Order of G1's nodes: {order}."))
    found = extend(0)
    if steps is not None and recorded >= RECORDED_TRIES:
        steps.append(Step(kind="check", text=f"(further search steps not written out; {visited} "
                          "candidate assignments examined in all)"))
    return (dict(mapping) if found else None), visited


def _edge_text(edges: list[Edge]) -> str:
    return ", ".join(f"{u}-{v}" for u, v in edges)


register(GraphIsomorphism())
