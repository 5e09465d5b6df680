"""skyscrapers: the official cell and helix's state hold the same facts; only the text differs.

Official (JSON, keys in this order): `{"n": 3, "top": [3, 1, 2], "bottom": [1, 2, 2],
"left": [2, 2, 1], "right": [2, 1, 3]}`, every clue 1..n (the official evaluator skips a 0).
helix: the same object. No given heights: a `grid` key (version 1 of helix's task) is refused,
since the official evaluator would ignore the givens it holds.
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, register

_SIDES = ("top", "bottom", "left", "right")


def _state(obj: dict[str, Any]) -> dict[str, Any]:
    n = obj.get("n")
    if type(n) is not int or not 1 <= n <= 12:
        raise AdapterError(f"skyscrapers n: {repr(n)[:20]}, expected an integer 1..12")
    state: dict[str, Any] = {"n": n}
    for side in _SIDES:
        clues = obj.get(side)
        if (not isinstance(clues, list) or len(clues) != n
                or not all(type(v) is int and 0 <= v <= n for v in clues)):
            raise AdapterError(f"skyscrapers {side}: {repr(clues)[:40]}, expected {n} clues 0..{n}")
        state[side] = list(clues)
    return state


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    try:
        obj = json.loads(initial_state)
    except json.JSONDecodeError as error:
        raise AdapterError(f"skyscrapers initial_state is not JSON: {error.msg}") from None
    if not isinstance(obj, dict):
        raise AdapterError(f"skyscrapers initial_state is a JSON {type(obj).__name__}, expected an "
                           "object with n, top, bottom, left, right")
    extra = sorted(set(obj) - {"n", *_SIDES})
    if extra:
        raise AdapterError(f"skyscrapers initial_state has unexpected keys {extra} (the official "
                           "puzzle is n and the four clue lists)")
    return _state(obj)


def to_official(state: dict[str, Any], answer: str) -> str:
    if "grid" in state:
        raise AdapterError("skyscrapers: a state with given heights (helix version 1) has no "
                           "official form")
    return json.dumps(_state(state), ensure_ascii=False)


register("skyscrapers", to_helix=to_helix, to_official=to_official)
