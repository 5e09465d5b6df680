"""Shared checks of the four path verifiers: reading the graph from an exported state, parsing a
vertex list or `No`, and deciding existence where a `No` has to be judged (Hamiltonian: a bounded
pruned search; Eulerian: degree parity and connectivity, linear)."""

from __future__ import annotations

import re
from typing import Any

from verifiers.parse import parse_int_list

_NO = re.compile(r"no\b[\s.!]*|no hamiltonian (?:path|cycle)[\s.!]*|no eulerian (?:path|cycle)[\s.!]*",
                 re.IGNORECASE)
MAX_VERTICES = 64          # the search below is only meant for benchmark-sized graphs
SEARCH_BUDGET = 200_000  # nodes (about a second); the generators refute their No instances in hundreds


def read_graph(state: dict[str, Any]) -> tuple[list[list[int]], int | None]:
    """(adjacency as sorted neighbour lists, start vertex or None) from either the bare adjacency
    dict of the public rows or helix's {"adjacency": ..., "start_vertex": ...}. Edges count as
    undirected even where only one side lists them."""
    if not isinstance(state, dict):
        raise ValueError("initial_state must be a JSON object")
    start = state.get("start_vertex")
    table = state["adjacency"] if "adjacency" in state else state
    if not isinstance(table, dict) or not table:
        raise ValueError("initial_state holds no adjacency dict")
    try:
        keys = {int(k): v for k, v in table.items()}
    except (TypeError, ValueError):
        raise ValueError("adjacency keys must be vertex numbers") from None
    n = len(keys)
    if sorted(keys) != list(range(n)):
        raise ValueError("vertices must be numbered 0..n-1")
    adj: list[set[int]] = [set() for _ in range(n)]
    for u, nbrs in keys.items():
        if not isinstance(nbrs, list) or not all(isinstance(v, int) and 0 <= v < n and v != u
                                                 for v in nbrs):
            raise ValueError(f"neighbours of {u} must be other vertex numbers")
        for v in nbrs:
            adj[u].add(v)
            adj[v].add(u)
    if start is not None and not (isinstance(start, int) and 0 <= start < n):
        raise ValueError("start_vertex must be a vertex")
    return [sorted(a) for a in adj], start


def parse_route(answer: str) -> list[int] | None:
    """A list of vertices, or None for a `No` answer."""
    text = answer.strip()
    if _NO.fullmatch(text):
        return None
    return parse_int_list(text)


def walk_error(adj: list[list[int]], route: list[int]) -> str | None:
    """Why `route` is not a walk along edges of the graph, or None."""
    n = len(adj)
    for v in route:
        if not 0 <= v < n:
            return f"{v} is not a vertex (the vertices are 0..{n - 1})"
    for a, b in zip(route, route[1:]):
        if b not in adj[a]:
            return f"{a}-{b} is not an edge"
    return None


def first_repeat(route: list[int]) -> int | None:
    seen: set[int] = set()
    for v in route:
        if v in seen:
            return v
        seen.add(v)
    return None


def hamiltonian_exists(adj: list[list[int]], start: int | None, cycle: bool) -> bool:
    """Whether a Hamiltonian path (from `start` when given) or cycle exists; bounded DFS that
    prunes when an unvisited vertex lacks free neighbours or is cut off from the path's end."""
    n = len(adj)
    if n > MAX_VERTICES:
        raise ValueError(f"{n} vertices: too many to decide a No answer")
    if n == 1:
        return True
    nbr = [set(a) for a in adj]
    starts = [0] if cycle else ([start] if start is not None else list(range(n)))
    budget = [SEARCH_BUDGET]
    for s in starts:
        on = [False] * n
        on[s] = True
        if _extend(nbr, on, s, s, 1, cycle, budget):
            return True
    return False


def _hopeless(nbr: list[set[int]], on: list[bool], end: int, first: int, cycle: bool) -> bool:
    rest = [u for u in range(len(nbr)) if not on[u]]
    ones = 0
    for u in rest:
        free = sum(1 for w in nbr[u] if not on[w] or w == end or (cycle and w == first))
        if free < (2 if cycle else 1):
            return True
        ones += free == 1
    if ones > 1 and len(rest) > 1:
        return True
    seen, stack = {end}, [end]
    while stack:
        for w in nbr[stack.pop()]:
            if not on[w] and w not in seen:
                seen.add(w)
                stack.append(w)
    return len(seen) - 1 < len(rest)


def _extend(nbr: list[set[int]], on: list[bool], v: int, first: int, count: int, cycle: bool,
            budget: list[int]) -> bool:
    if count == len(nbr):
        return not cycle or first in nbr[v]
    if _hopeless(nbr, on, v, first, cycle):
        return False
    for w in sorted(nbr[v]):
        if on[w]:
            continue
        budget[0] -= 1
        if budget[0] < 0:
            raise ValueError("search budget exhausted while judging a No answer")
        on[w] = True
        if _extend(nbr, on, w, first, count + 1, cycle, budget):
            return True
        on[w] = False
    return False


def euler_obstacle(adj: list[list[int]], closed: bool) -> str | None:
    """Why no Eulerian path (or cycle when `closed`) exists, or None when one does."""
    odd = [u for u, a in enumerate(adj) if len(a) % 2]
    if closed and odd:
        return f"vertices {odd} have odd degree"
    if not closed and len(odd) > 2:
        return f"{len(odd)} vertices have odd degree: {odd}"
    touched = [u for u, a in enumerate(adj) if a]
    if touched:
        seen, stack = {touched[0]}, [touched[0]]
        while stack:
            for w in adj[stack.pop()]:
                if w not in seen:
                    seen.add(w)
                    stack.append(w)
        if len(seen) < len(touched):
            return "the edges do not form one connected piece"
    return None


def edge_use_error(adj: list[list[int]], route: list[int]) -> str | None:
    """Why the walk `route` does not use every edge exactly once, or None."""
    error = walk_error(adj, route)
    if error:
        return error
    used: set[tuple[int, int]] = set()
    for a, b in zip(route, route[1:]):
        edge = (min(a, b), max(a, b))
        if edge in used:
            return f"edge {edge[0]}-{edge[1]} is used twice"
        used.add(edge)
    total = sum(len(a) for a in adj) // 2
    if len(used) < total:
        missing = next((u, v) for u, a in enumerate(adj) for v in a if u < v and (u, v) not in used)
        return f"{total - len(used)} of {total} edges unused, e.g. {missing[0]}-{missing[1]}"
    return None
