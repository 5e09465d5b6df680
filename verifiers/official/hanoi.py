"""hanoi: the official cell is the bare list of pegs.

Official: `[[3, 2, 1], [], []]`, three pegs, disks bottom to top, disk 1 the smallest (the
generator writes Python's `str()` of the list, which for lists of integers is also JSON).
helix: `{"pegs": [[3, 2, 1], [], []]}`.
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.official import AdapterError, json_cell, register


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    pegs = json_cell(initial_state, "hanoi:")
    if not isinstance(pegs, list) or len(pegs) != 3:
        raise AdapterError("hanoi: initial_state must be a list of 3 pegs, got "
                           f"{initial_state.strip()[:60]!r}")
    for p, peg in enumerate(pegs):
        if not isinstance(peg, list) or not all(type(d) is int for d in peg):
            raise AdapterError(f"hanoi: peg {p + 1} is {peg!r}, expected a list of disk numbers")
        if any(peg[i] <= peg[i + 1] for i in range(len(peg) - 1)):
            raise AdapterError(f"hanoi: peg {p + 1} {peg} is not stacked largest (bottom) to smallest (top)")
    disks = sorted(d for peg in pegs for d in peg)
    if not disks or disks != list(range(1, len(disks) + 1)):
        raise AdapterError(f"hanoi: the disks are {disks}, expected each of 1..n exactly once")
    return {"pegs": [list(peg) for peg in pegs]}


def to_official(state: dict[str, Any], answer: str) -> str:
    return json.dumps(state["pegs"], ensure_ascii=False)


register("hanoi", to_helix=to_helix, to_official=to_official)
