"""Verifier for hanoi: replay the (disk, peg) moves; each must take the top disk of its peg onto
a peg whose top disk is larger (or an empty peg); at the end every disk must be on peg 3. Any
legal sequence reaching the goal is accepted, not only the shortest one.

Reads helix's state (`{"pegs": [[bottom..top], ...]}`) and the public rows (the list itself)."""

from __future__ import annotations

import re

from verifiers.registry import register
from verifiers.verdict import Unparsable, Verdict

_PAIR = re.compile(r"\(\s*(\d{1,4})\s*,\s*(\d{1,4})\s*\)")
_SEPARATORS = re.compile(r"[\s,;]*(?:->|→)?[\s,;]*")


def _pegs(state) -> list[list[int]]:
    pegs = state.get("pegs") if isinstance(state, dict) else state
    if (not isinstance(pegs, list) or len(pegs) != 3
            or not all(isinstance(p, list) and all(type(d) is int for d in p) for p in pegs)):
        raise ValueError("initial_state.pegs must be three lists of disk numbers")
    disks = sorted(d for p in pegs for d in p)
    if disks != list(range(1, len(disks) + 1)) or any(p != sorted(p, reverse=True) for p in pegs):
        raise ValueError("initial_state.pegs is not a legal position")
    return [list(p) for p in pegs]


def parse_disk_moves(answer: str) -> list[tuple[int, int]]:
    text = answer.strip().strip("[]").strip()
    pairs, at = [], 0
    while at < len(text):
        gap = _SEPARATORS.match(text, at)
        at = gap.end()
        if at >= len(text):
            break
        pair = _PAIR.match(text, at)
        if not pair:
            raise Unparsable(f"expected (disk,peg) at {text[at:at + 20]!r}")
        pairs.append((int(pair.group(1)), int(pair.group(2))))
        at = pair.end()
    if not pairs:
        raise Unparsable("expected moves such as (1,3) (2,1), got nothing")
    return pairs


def check(state: dict, answer: str) -> Verdict:
    pegs = _pegs(state)
    moves = parse_disk_moves(answer)
    parsed = " ".join(f"({d},{p})" for d, p in moves)
    n = sum(len(p) for p in pegs)
    for i, (disk, dest) in enumerate(moves, 1):
        if not 1 <= dest <= 3:
            return Verdict.reject(f"move {i}: there is no peg {dest}", parsed=parsed)
        source = next((p for p in range(3) if disk in pegs[p]), None)
        if source is None:
            return Verdict.reject(f"move {i}: there is no disk {disk}", parsed=parsed)
        if pegs[source][-1] != disk:
            return Verdict.reject(f"move {i}: disk {disk} is under disk {pegs[source][-1]} on peg "
                                  f"{source + 1}", parsed=parsed)
        if source == dest - 1:
            return Verdict.reject(f"move {i}: disk {disk} is already on peg {dest}", parsed=parsed)
        if pegs[dest - 1] and pegs[dest - 1][-1] < disk:
            return Verdict.reject(f"move {i}: disk {disk} cannot go on the smaller disk "
                                  f"{pegs[dest - 1][-1]} on peg {dest}", parsed=parsed)
        pegs[source].pop()
        pegs[dest - 1].append(disk)
    if len(pegs[2]) != n:
        return Verdict.reject(f"after the moves {n - len(pegs[2])} disk(s) are not on peg 3",
                              parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("hanoi", check)
