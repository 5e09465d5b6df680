"""Verifier for sokoban: replay the player's moves on the map. Walking into a wall is illegal;
walking into a box pushes it, which is legal only when the cell beyond is floor without a box.
Accepted when, after the last move, every box stands on a goal (any solution, not only the
shortest). Map symbols: '#' wall, ' ' / '-' / '_' floor, '.' goal, '$' box, '*' box on a goal,
'@' player, '+' player on a goal."""

from __future__ import annotations

from verifiers.games._games_moves import DELTAS, parse_moves
from verifiers.registry import register
from verifiers.verdict import Verdict

_FLOOR = set(" -_")


def _read(state) -> tuple[set, set, set, tuple[int, int]]:
    rows = state.get("map", state.get("grid")) if isinstance(state, dict) else state
    if isinstance(rows, str):
        rows = rows.split("\n")
    if not isinstance(rows, list) or not all(isinstance(r, str) for r in rows):
        raise ValueError("initial_state.map must be text rows")
    walls, goals, boxes, players = set(), set(), set(), []
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            cell = (r, c)
            if ch == "#":
                walls.add(cell)
            elif ch in ".*+":
                goals.add(cell)
            elif ch not in _FLOOR and ch not in "$@":
                raise ValueError(f"unknown map symbol {ch!r}")
            if ch in "$*":
                boxes.add(cell)
            if ch in "@+":
                players.append(cell)
    if len(players) != 1:
        raise ValueError("the map must hold exactly one player")
    # cells outside the drawn rows count as walls, so a player can never walk off the map
    floor = {(r, c) for r, row in enumerate(rows) for c, _ in enumerate(row)} - walls
    return floor, goals, boxes, players[0]


def check(state: dict, answer: str) -> Verdict:
    floor, goals, boxes, (r, c) = _read(state)
    moves = parse_moves(answer)
    parsed = " ".join(moves)
    for i, move in enumerate(moves, 1):
        dr, dc = DELTAS[move]
        nxt = (r + dr, c + dc)
        if nxt not in floor:
            return Verdict.reject(f"move {i} ({move}) walks into a wall at {nxt}", parsed=parsed)
        if nxt in boxes:
            beyond = (nxt[0] + dr, nxt[1] + dc)
            if beyond not in floor or beyond in boxes:
                what = "another box" if beyond in boxes else "a wall"
                return Verdict.reject(f"move {i} ({move}) pushes the box at {nxt} into {what}",
                                      parsed=parsed)
            boxes.remove(nxt)
            boxes.add(beyond)
        r, c = nxt
    off = sorted(boxes - goals)
    if off:
        return Verdict.reject(f"{len(off)} box(es) not on a goal, e.g. at {off[0]}", parsed=parsed)
    return Verdict.accept(parsed=parsed)


register("sokoban", check)
