"""Direction-word answers shared by the grid-walking game verifiers (maze, sokoban, nibbles,
sliding puzzle): `right down left up`, also with commas or arrows, any case, or the initials."""

from __future__ import annotations

import re

from verifiers.verdict import Unparsable

DELTAS: dict[str, tuple[int, int]] = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
_ALIASES = {"u": "up", "d": "down", "l": "left", "r": "right"}
_SPLIT = re.compile(r"[\s,;]+|->|→")


def parse_moves(answer: str, allow_empty: bool = False) -> list[str]:
    """The move words in order; `Unparsable` names the first token that is not a direction."""
    text = answer.strip().strip("[]().")
    tokens = [t.strip("'\"`.[]()").lower() for t in _SPLIT.split(text)]
    tokens = [t for t in tokens if t]
    if not tokens and not allow_empty:
        raise Unparsable("expected moves such as 'right down left up', got nothing")
    moves = []
    for token in tokens:
        word = _ALIASES.get(token, token)
        if word not in DELTAS:
            raise Unparsable(f"{token[:30]!r} is not a move (up, down, left, right)")
        moves.append(word)
    return moves
