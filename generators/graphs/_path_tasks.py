"""Shared machinery of the four path tasks: building graphs on the clear pairs of a layout, the
pruned Hamiltonian search, Hierholzer's splicing, and the texts they share."""

from __future__ import annotations

import random
from collections.abc import Iterator

from generators.base import Rejected, Step
from generators.search import Contradiction, OverBudget, PathSearch

Edge = tuple[int, int]


# -- graphs ---------------------------------------------------------------------------------
def adjacency_of(n: int, edges: set[Edge] | list[Edge]) -> list[list[int]]:
    adj: list[list[int]] = [[] for _ in range(n)]
    for u, v in edges:
        adj[u].append(v)
        adj[v].append(u)
    return [sorted(a) for a in adj]


def edges_of(adj: list[list[int]]) -> list[Edge]:
    return [(u, v) for u, nbrs in enumerate(adj) for v in nbrs if u < v]


def adjacency_dict(adj: list[list[int]]) -> dict[str, list[int]]:
    """The public benchmark's shape: vertex (as a JSON key) -> sorted neighbour list."""
    return {str(u): list(nbrs) for u, nbrs in enumerate(adj)}


def adjacency_lines(adj: list[list[int]]) -> str:
    return "\n".join(f"{u}: {nbrs}" for u, nbrs in enumerate(adj))


def spanning_tree(rng: random.Random, n: int, pairs: list[Edge], max_degree: int = 99,
                  groups: list[int] | None = None) -> set[Edge]:
    """A random spanning tree (a forest with one tree per group when `groups` labels the vertices)
    over the allowed pairs, no vertex above `max_degree`: random-order Kruskal."""
    parent = list(range(n))
    degree = [0] * n

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    order = pairs[:]
    rng.shuffle(order)
    tree: set[Edge] = set()
    for u, v in order:
        if (groups is not None and groups[u] != groups[v]) or max(degree[u], degree[v]) >= max_degree:
            continue
        ru, rv = find(u), find(v)
        if ru != rv:
            parent[ru] = rv
            tree.add((u, v))
            degree[u] += 1
            degree[v] += 1
    if len(tree) != n - (len(set(groups)) if groups is not None else 1):
        raise Rejected("allowed pairs do not connect the layout")
    return tree


def add_extras(rng: random.Random, base: set[tuple[int, int]], pairs: list[tuple[int, int]],
                chance: float, max_degree: int) -> set[tuple[int, int]]:
    """Add each further allowed pair with probability `chance` while both ends stay under the cap."""
    edges = set(base)
    degree: dict[int, int] = {}
    for u, v in edges:
        degree[u] = degree.get(u, 0) + 1
        degree[v] = degree.get(v, 0) + 1
    for u, v in pairs:
        if (u, v) in edges or rng.random() >= chance:
            continue
        if degree.get(u, 0) < max_degree and degree.get(v, 0) < max_degree:
            edges.add((u, v))
            degree[u] = degree.get(u, 0) + 1
            degree[v] = degree.get(v, 0) + 1
    return edges


def lift_min_degree(rng: random.Random, edges: set[Edge], pairs: list[Edge], low: int,
                    max_degree: int) -> set[Edge]:
    """Give every vertex under degree `low` random further allowed edges (to partners under the
    cap) where it can get them; vertices left short stay short."""
    edges = set(edges)
    degree: dict[int, int] = {}
    for u, v in edges:
        degree[u] = degree.get(u, 0) + 1
        degree[v] = degree.get(v, 0) + 1
    options: dict[int, list[int]] = {}
    for u, v in pairs:
        if (u, v) not in edges:
            options.setdefault(u, []).append(v)
            options.setdefault(v, []).append(u)
    for u in sorted(options):
        partners = [w for w in options[u] if degree.get(w, 0) < max_degree]
        rng.shuffle(partners)
        for w in partners:
            if degree.get(u, 0) >= low:
                break
            if (min(u, w), max(u, w)) not in edges and degree.get(w, 0) < max_degree:
                edges.add((min(u, w), max(u, w)))
                degree[u] = degree.get(u, 0) + 1
                degree[w] = degree.get(w, 0) + 1
    return edges


def components(n: int, adj: list[list[int]]) -> list[list[int]]:
    """Connected components of the vertices that have edges, each sorted, in order of least vertex."""
    seen = [False] * n
    parts = []
    for s in range(n):
        if seen[s] or not adj[s]:
            continue
        seen[s], stack, part = True, [s], []
        while stack:
            u = stack.pop()
            part.append(u)
            for w in adj[u]:
                if not seen[w]:
                    seen[w] = True
                    stack.append(w)
        parts.append(sorted(part))
    return parts


# -- Hamiltonian search ---------------------------------------------------------------------
HAMILTON_BUDGET = 200_000  # next vertices examined before a search gives up


class HamiltonSearch(PathSearch):
    """Hamiltonian path from `start` (or a cycle through it) on the shared search core.

    The state is the path so far and the visited flags. At the path's end every unvisited
    neighbour is looked at in ascending order (as a reader of the adjacency lists would) and
    ruled out when, with it added, the unvisited vertices cannot all be covered: a vertex without
    enough free neighbours, two possible path ends, a vertex cut off from the path's end
    (`blocked`). One way on left is a forced move, none a contradiction, several a guess.

    `tries` counts the next vertices examined, forced or guessed or ruled out: the budget
    (OverBudget) counts these, since guesses alone undercount the work of long forced runs.
    `opening` says why the start alone refutes the search (no move was examined at all): the
    generators refuse such a No as too easy."""

    def __init__(self, adj: list[list[int]], start: int, cycle: bool,
                 budget: int = HAMILTON_BUDGET, record: bool = True):
        super().__init__(record)
        self.adj, self.start, self.cycle, self.budget = adj, start, cycle, budget
        self.visited = [False] * len(adj)
        self.visited[start] = True
        self.path = [start]
        self.tries = 0
        self.opened = False
        self.opening: str | None = None
        # (path length, ways on, ruled-out vertices with why) from the last look ahead, for choose
        self.pending: tuple[int, list[int], list[tuple[int, str]]] | None = None

    def find(self) -> list[int] | None:
        """The recorded search: the first path (or cycle) found, or None."""
        self.solve(limit=1, budget=self.budget)
        return list(self.solutions[0]) if self.solutions else None

    def exists(self) -> bool:
        """The same search unrecorded, for the generator's filter."""
        return self.count(limit=1, budget=self.budget) > 0

    # -- pruning ----------------------------------------------------------------------------
    def free_degree(self, u: int, end: int) -> int:
        visited, start, cycle = self.visited, self.start, self.cycle
        return sum(1 for w in self.adj[u] if not visited[w] or w == end or (cycle and w == start))

    def blocked(self, end: int) -> str | None:
        """Why the unvisited vertices cannot be covered from the path's end `end`, or None."""
        visited = self.visited
        rest = [u for u in range(len(self.adj)) if not visited[u]]
        if not rest:
            return None
        need = 2 if self.cycle else 1
        single = []
        for u in rest:
            d = self.free_degree(u, end)
            if d == 0:
                return f"vertex {u} has no free neighbour left, so it can never be reached"
            if d < need:
                return f"vertex {u} has only one free neighbour left, so the cycle cannot pass through it"
            if d == 1:
                single.append(u)
        if len(single) > 1 and len(rest) > 1:
            return (f"vertices {single[0]} and {single[1]} each have only one free neighbour; "
                    "both would have to be the last vertex")
        if (self.cycle and len(self.path) > 1
                and not any(not visited[w] for w in self.adj[self.start])):
            return f"no unvisited vertex is adjacent to {self.start}, so the cycle cannot close"
        reached, stack = {end}, [end]
        while stack:
            for w in self.adj[stack.pop()]:
                if not visited[w] and w not in reached:
                    reached.add(w)
                    stack.append(w)
        cut = [u for u in rest if u not in reached]
        if cut:
            return f"vertices {cut} are cut off from {end}"
        return None

    def look_ahead(self) -> tuple[list[int], list[tuple[int, str]]]:
        """The unvisited neighbours of the path's end that keep the rest coverable, and the
        others with why not."""
        ways, ruled = [], []
        for w in self.adj[self.path[-1]]:
            if self.visited[w]:
                continue
            self.tries += 1
            if self.tries > self.budget:
                raise OverBudget
            self._push(w)
            why = self.blocked(w)
            self._pop()
            if why is None:
                ways.append(w)
            else:
                ruled.append((w, why))
        return ways, ruled

    def _push(self, w: int) -> None:
        self.visited[w] = True
        self.path.append(w)

    def _pop(self) -> None:
        self.visited[self.path.pop()] = False

    # -- the core's interface -----------------------------------------------------------------
    def deduce_title(self) -> str:
        return "Forced (the only way on that leaves every unvisited vertex coverable)"

    def deductions(self) -> Iterator[str]:
        n = len(self.adj)
        if not self.opened:
            self.opened = True
            self.opening = self.blocked(self.start)
            if self.opening:
                raise Contradiction(f"before any move, {self.opening}; no branch can succeed")
        while len(self.path) < n:
            v = self.path[-1]
            ways, ruled = self.look_ahead()
            if len(ways) > 1:
                self.pending = (len(self.path), ways, ruled)
                return
            if not ways:
                raise Contradiction(f"every way on from {v} fails: {_ruled_text(v, ruled)}"
                                    if self.trace.active else "")
            self._push(ways[0])
            self.placements += 1
            yield (f"{v} -> {ways[0]}" + (f" (not {_ruled_text(v, ruled)})" if ruled else "")
                   if self.trace.room else "")
        if self.cycle and self.start not in self.adj[self.path[-1]]:
            raise Contradiction(f"all vertices are visited but {self.path[-1]} is not adjacent to "
                                f"{self.start}, so the cycle cannot close")

    def choose(self) -> tuple[int, list[int], str] | None:
        if len(self.path) == len(self.adj):
            return None
        if self.pending is None or self.pending[0] != len(self.path):
            ways, ruled = self.look_ahead()
            self.pending = (len(self.path), ways, ruled)
        v = self.path[-1]
        return v, self.pending[1], f"the vertex after {v}"

    def guess_text(self, where: str, options: list) -> str:
        v = self.path[-1]
        ruled = self.pending[2] if self.pending else []
        return (f"Nothing more is forced: from {v} the path can go on to {options}"
                + (f" (not {_ruled_text(v, ruled)})" if ruled else "")
                + "; I try them in ascending order.")

    def anchor(self) -> str:
        rest = [u for u in range(len(self.adj)) if not self.visited[u]]
        return f"path: {' -> '.join(map(str, self.path))}\nunvisited: {rest}"


def _ruled_text(v: int, ruled: list[tuple[int, str]]) -> str:
    """Why each ruled-out next vertex fails, or why the path's end has none at all ('/' between
    them: a reason may hold a ';' and the core joins forced moves with ';')."""
    if not ruled:
        return f"{v} has no unvisited neighbour left"
    return " / ".join(f"on to {w}, {why}" for w, why in ruled)


# -- Eulerian trails ------------------------------------------------------------------------
def degree_table(adj: list[list[int]]) -> str:
    return "\n".join(f"vertex {u}: degree {len(nbrs)} ({'odd' if len(nbrs) % 2 else 'even'})"
                     for u, nbrs in enumerate(adj))


def hierholzer(adj: list[list[int]], start: int) -> tuple[list[int], list[Step]]:
    """Hierholzer's algorithm with visible splices: walk unused edges from `start` (smallest
    neighbour first) until stuck; then, while edges remain, walk a closed detour from the first
    trail vertex that still has unused edges and splice it in there."""
    unused = [list(nbrs) for nbrs in adj]
    left = sum(len(a) for a in adj) // 2

    def walk(v: int) -> list[int]:
        nonlocal left
        route = [v]
        while unused[v]:
            w = unused[v][0]
            unused[v].remove(w)
            unused[w].remove(v)
            left -= 1
            route.append(w)
            v = w
        return route

    trail = walk(start)
    steps = [Step(kind="deduce", text=f"Walk from {start} along unused edges, always to the "
                  f"smallest unused neighbour, until stuck at {trail[-1]}.",
                  anchor=f"trail: {' -> '.join(map(str, trail))}\nedges left: {left}")]
    while left:
        at = next(i for i, v in enumerate(trail) if unused[v])
        v = trail[at]
        detour = walk(v)
        steps.append(Step(kind="try", text=f"Vertex {v} (position {at} of the trail) still has unused "
                          f"edges: walk a closed detour from it.",
                          anchor=f"detour: {' -> '.join(map(str, detour))}"))
        trail = trail[:at] + detour + trail[at + 1:]
        steps.append(Step(kind="deduce", text=f"Splice the detour into the trail at {v}.",
                          anchor=f"trail: {' -> '.join(map(str, trail))}\nedges left: {left}"))
    return trail, steps


def parity_graph(rng: random.Random, n: int, pairs: list[Edge], extra: float, max_degree: int,
                 odd_wanted: int, groups: list[int] | None = None) -> list[list[int]]:
    """A random graph over the allowed pairs with exactly `odd_wanted` odd-degree vertices:
    a spanning tree (one per group) plus extra edges, then parity repaired by toggling paths of
    non-tree pairs between odd vertices (a path flips the parity of its two ends only, and the
    tree keeps every piece connected)."""
    if groups is not None:
        pairs = [(u, v) for u, v in pairs if groups[u] == groups[v]]
    tree = spanning_tree(rng, n, pairs, max_degree, groups)
    edges = add_extras(rng, tree, pairs, extra, max_degree)
    spare: list[list[int]] = [[] for _ in range(n)]
    for u, v in pairs:
        if (u, v) not in tree:
            spare[u].append(v)
            spare[v].append(u)

    def odd() -> list[int]:
        degree = [0] * n
        for u, v in edges:
            degree[u] += 1
            degree[v] += 1
        return [u for u in range(n) if degree[u] % 2]

    for _ in range(2 * n):
        current = odd()
        if len(current) == odd_wanted:
            return adjacency_of(n, edges)
        if len(current) > odd_wanted:
            route = _spare_route(spare, rng.choice(current), set(current))
        else:
            even = [u for u in range(n) if u not in current and spare[u]]
            if not even:
                break
            a = rng.choice(even)
            partners = [w for w in spare[a] if w not in current]
            route = [a, rng.choice(partners)] if partners else None
        if route is None:
            break
        for a, b in zip(route, route[1:]):
            edges ^= {(min(a, b), max(a, b))}
    raise Rejected("parity could not be repaired over the layout")


def _spare_route(spare: list[list[int]], source: int, targets: set[int]) -> list[int] | None:
    """Shortest route over the spare pairs from `source` to another vertex of `targets` (BFS)."""
    back = {source: source}
    queue = [source]
    for u in queue:
        for w in spare[u]:
            if w in back:
                continue
            back[w] = u
            if w in targets:
                route = [w]
                while route[-1] != source:
                    route.append(back[route[-1]])
                return route
            queue.append(w)
    return None


def euler_steps(adj: list[list[int]], closed: bool) -> tuple[list[int] | None, list[Step]]:
    """The parity and connectivity argument, then Hierholzer when they allow a trail."""
    odd = [u for u, a in enumerate(adj) if len(a) % 2]
    m = sum(len(a) for a in adj) // 2
    which = "every vertex" if closed else "every vertex except the two ends"
    steps = [Step(kind="observe", text=f"The graph has {len(adj)} vertices and {m} edges. A trail "
                  "through every edge enters and leaves each vertex it passes, using two edges "
                  f"per pass, so {which} must have even degree.",
                  anchor=degree_table(adj))]
    allowed = "none may be odd" if closed else "at most two may be odd"
    verdict = "allowed" if len(odd) <= (0 if closed else 2) else "too many"
    steps.append(Step(kind="deduce", text=f"Odd-degree vertices: {odd} ({len(odd)}); {allowed}, so "
                      f"this is {verdict}."))
    if verdict == "too many":
        return None, steps
    pieces = components(len(adj), adj)
    if len(pieces) > 1:
        steps.append(Step(kind="deduce", text="The edges fall into separate pieces; no trail can "
                          "jump between them.", anchor="\n".join(f"piece: {p}" for p in pieces)))
        return None, steps
    steps.append(Step(kind="check", text="All edges lie in one connected piece.",
                      anchor=f"piece: {pieces[0]}"))
    start = odd[0] if odd else pieces[0][0]
    steps.append(Step(kind="deduce", text=f"Start at {start}" + (
        f": a trail with odd ends {odd} must begin at one of them." if odd else ".")))
    trail, walk = hierholzer(adj, start)
    steps += walk
    steps.append(Step(kind="check", text=f"The trail has {len(trail) - 1} steps and uses each of "
                      f"the {m} edges once" + (", returning to its start." if closed else ".")))
    return trail, steps


SPLIT_SHARE = 1 / 3  # share of the No instances refuted by connectivity rather than parity


def euler_instance(rng: random.Random, points: list[tuple[float, float]], pairs: list[Edge],
                   extra: float, max_degree: int, closed: bool, draws: int = 40) -> list[list[int]]:
    """A graph for eulerian_path (`closed` False) or eulerian_cycle: solvable or not, half each by
    the rng. A No is refuted either by parity (a few odd vertices too many) or, for a third of
    them, by connectivity alone (two pieces, each with right parity: left and right of the
    layout's median column)."""
    n = len(points)
    solvable = rng.random() < 0.5
    split = not solvable and rng.random() < SPLIT_SHARE
    for _ in range(draws):
        groups = None
        if solvable:
            odd_wanted = 0 if closed or rng.random() < 0.15 else 2
        elif split:
            odd_wanted = 0 if closed else rng.choice([0, 2])
            middle = sorted(x for x, _ in points)[n // 2]
            groups = [0 if x < middle else 1 for x, _ in points]
        else:
            odd_wanted = rng.choice([2, 4] if closed else [4, 6])
        try:
            adj = parity_graph(rng, n, pairs, extra, max_degree, odd_wanted, groups)
        except Rejected:
            continue
        return adj
    raise Rejected("no graph of the drawn branch")
