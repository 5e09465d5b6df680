"""wordladder: the official cell is the helix state plus a reference ladder.

Official (JSON): `{"solution": ["the", "tie", "tin", "gin", "gun"], "start_word": "the",
"target_word": "gun"}` (the official evaluator reads only the two words). helix:
`{"start_word": "the", "target_word": "gun"}`; to_official rebuilds `solution` from helix's
reference answer. Both question wordings name the two words (official: "from 'the' to 'gun'",
helix's text variant: "Start word: the"); where they do, they must agree with the cell.
"""

from __future__ import annotations

import json
import re
from typing import Any

from verifiers.official import AdapterError, register

_WORD = re.compile(r"[a-z]{1,30}")
_OFFICIAL_Q = re.compile(r"from '([A-Za-z]+)' to '([A-Za-z]+)'")
_HELIX_Q = re.compile(r"Start word: ([A-Za-z]+)\s*\nTarget word: ([A-Za-z]+)")


def _word(value: Any, key: str) -> str:
    if not isinstance(value, str) or not _WORD.fullmatch(value.strip().lower()):
        raise AdapterError(f"wordladder {key}: {repr(value)[:30]}, expected one word of letters a-z")
    return value.strip().lower()


def _state(obj: dict[str, Any]) -> dict[str, str]:
    start, target = _word(obj.get("start_word"), "start_word"), _word(obj.get("target_word"), "target_word")
    if len(start) != len(target):
        raise AdapterError(f"wordladder: start_word {start!r} and target_word {target!r} differ in length")
    return {"start_word": start, "target_word": target}


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    try:
        obj = json.loads(initial_state)
    except json.JSONDecodeError as error:
        raise AdapterError(f"wordladder initial_state is not JSON: {error.msg}") from None
    if not isinstance(obj, dict):
        raise AdapterError(f"wordladder initial_state is a JSON {type(obj).__name__}, expected an "
                           "object with start_word and target_word")
    extra = sorted(set(obj) - {"start_word", "target_word", "solution"})
    if extra:
        raise AdapterError(f"wordladder initial_state has unexpected keys {extra}")
    # `solution` is one reference ladder, not part of the puzzle: helix keeps it as the answer
    state = _state(obj)
    named = _OFFICIAL_Q.search(question) or _HELIX_Q.search(question)
    asked = (named.group(1).lower(), named.group(2).lower()) if named else None
    if asked and asked != (state["start_word"], state["target_word"]):
        raise AdapterError(f"wordladder: the question asks {named.group(1)!r} -> {named.group(2)!r}, "
                           f"the cell {state['start_word']!r} -> {state['target_word']!r}")
    return state


def to_official(state: dict[str, Any], answer: str) -> str:
    puzzle = _state(state)
    ladder = [w.lower() for w in re.findall(r"[A-Za-z]+", answer)]
    if len(ladder) < 2 or (ladder[0], ladder[-1]) != (puzzle["start_word"], puzzle["target_word"]):
        raise AdapterError("wordladder: helix's reference answer (a ladder from start_word to "
                           "target_word) is needed to write `solution`")
    return json.dumps({"solution": ladder, **puzzle}, ensure_ascii=False)


register("wordladder", to_helix=to_helix, to_official=to_official)
