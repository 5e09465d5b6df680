"""bridges: the official cell carries the solution's bridges and no grid size.

Official (JSON): `{"islands": [{"x": 4, "y": 1, "num": 1}, ...], "bridges": [{"from": [2, 1],
"to": [4, 1], "count": 1}, ...]}`, islands in the order the generator placed them, each bridge
`from` the smaller (x, y) `to` the larger. The grid side is only in the text question
(`Grid size: 9x9`); the image question does not state it.
helix: `{"size": 9, "islands": [{"x": 2, "y": 1, "num": 2}, ...]}`, islands sorted by (x, y).

`to_helix` drops the bridges (they are the row's answer); `to_official` rebuilds them from helix's
reference answer. The size comes from helix's question wording when the question is helix's
(both of its variants state it). An official row must give the same state for its image and its
text question, and only the text one states the size, so for official wording the size is
derived from the cell alone: the smallest grid the public generator uses for that many islands,
raised to fit the islands (a stated size below that is an error). That is never more than the
real grid, and equals it whenever an island touches the far edge or the island count fixes the
level (3 or 8-10 islands): about 9 rows in 10 of the public generator's; bridges never depend on
empty outer rows, so the puzzle is the same either way.
"""

from __future__ import annotations

import json
import re
from typing import Any

from verifiers.official import AdapterError, json_cell, register
from verifiers.puzzles._place import parse_edges

Point = tuple[int, int]

# the public generator's levels: (fewest islands, most islands, grid side)
_OFFICIAL_LEVELS = ((3, 4, 5), (4, 5, 6), (5, 6, 7), (6, 7, 8), (7, 10, 9))
# helix's question: "The picture shows a 9x9 grid" / "The grid is 9x9;"
_HELIX_SIZE = re.compile(r"\b(?:shows an? |grid is )(\d{1,2})x(\d{1,2})\b")
_OFFICIAL_SIZE = re.compile(r"Grid size:\s*(\d{1,2})\s*x\s*(\d{1,2})")


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _islands(data: dict[str, Any]) -> list[dict[str, int]]:
    raw = data.get("islands")
    if not isinstance(raw, list) or not raw:
        raise AdapterError("bridges: 'islands' must be a non-empty list of {x, y, num}")
    seen: set[Point] = set()
    islands = []
    for k, item in enumerate(raw):
        if not isinstance(item, dict):
            raise AdapterError(f"bridges: island {k} is {item!r}, expected {{x, y, num}}")
        x, y, num = item.get("x"), item.get("y"), item.get("num")
        if not (_is_int(x) and _is_int(y) and 0 <= x < 100 and 0 <= y < 100):
            raise AdapterError(f"bridges: island {k} position ({x!r}, {y!r}), expected integers 0..99")
        if not _is_int(num) or not 1 <= num <= 8:
            raise AdapterError(f"bridges: island {k} at ({x}, {y}) has number {num!r}, expected 1..8")
        if (x, y) in seen:
            raise AdapterError(f"bridges: two islands at ({x}, {y})")
        seen.add((x, y))
        islands.append({"x": x, "y": y, "num": num})
    return sorted(islands, key=lambda i: (i["x"], i["y"]))


def _stated(pattern: re.Pattern, question: str) -> int | None:
    match = pattern.search(question)
    if match is None:
        return None
    if match.group(1) != match.group(2):
        raise AdapterError(f"bridges: the question states a {match.group(1)}x{match.group(2)} grid, "
                           "expected a square one")
    return int(match.group(1))


def _size(islands: list[dict[str, int]], question: str) -> int:
    extent = max(max(i["x"], i["y"]) for i in islands) + 1
    size = _stated(_HELIX_SIZE, question)
    if size is None:
        # any other island count: the generator's smallest grid of all
        floor = min((side for low, high, side in _OFFICIAL_LEVELS if low <= len(islands) <= high),
                    default=_OFFICIAL_LEVELS[0][2])
        size = max(extent, floor)
        stated = _stated(_OFFICIAL_SIZE, question)
        if stated is not None and stated < size:
            raise AdapterError(f"bridges: the question states a {stated}x{stated} grid, but the "
                               f"islands need {size}x{size}")
    if size < extent:
        raise AdapterError(f"bridges: the question states a {size}x{size} grid, but an island lies "
                           f"at coordinate {extent - 1}")
    return size


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    data = json_cell(initial_state, "bridges:")
    if not isinstance(data, dict):
        raise AdapterError(f"bridges: initial_state is a JSON {type(data).__name__}, expected an "
                           "object with islands and bridges")
    if not isinstance(data.get("bridges", []), list):
        raise AdapterError("bridges: 'bridges' must be a list of {from, to, count}")
    islands = _islands(data)
    return {"size": _size(islands, question), "islands": islands}


def to_official(state: dict[str, Any], answer: str) -> str:
    islands = {(i["x"], i["y"]) for i in state["islands"]}
    try:
        lines = parse_edges(answer)
    except ValueError as error:
        raise AdapterError(f"bridges: the official cell carries the solution; helix's reference "
                           f"answer is not a list of (x1,y1)-(x2,y2):k bridges ({error})") from None
    built: dict[tuple[Point, Point], int] = {}
    for a, b, k in lines:
        for p in (a, b):
            if p not in islands:
                raise AdapterError(f"bridges: the reference answer joins ({p[0]},{p[1]}), which is "
                                   "no island")
        pair = (min(a, b), max(a, b))  # official: `from` is the smaller (x, y)
        built[pair] = built.get(pair, 0) + (1 if k is None else k)
        if not 1 <= built[pair] <= 2:
            raise AdapterError(f"bridges: the reference answer puts {built[pair]} bridges between "
                               f"({a[0]},{a[1]}) and ({b[0]},{b[1]})")
    return json.dumps({"islands": [{"x": i["x"], "y": i["y"], "num": i["num"]} for i in state["islands"]],
                       "bridges": [{"from": list(a), "to": list(b), "count": k}
                                   for (a, b), k in sorted(built.items())]}, ensure_ascii=False)


register("bridges", to_helix=to_helix, to_official=to_official)
