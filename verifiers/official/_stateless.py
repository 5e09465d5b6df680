"""What the three state-less graph adapters (shortest_path, max_flow, isomorphism) share.

Their official cell is empty and the graph is only in `question_text`; helix's export writes its
own state there as canonical JSON (the official `simple_str_match` never reads it). So each reads
either that JSON, checked, or an empty cell plus the graph parsed from the question, and each
refuses a cell whose graph differs from the one its question states."""

from __future__ import annotations

import json
import re
from typing import Any, Callable

from verifiers.official import AdapterError

# official lines: `3: [(0, 3), (4, 2)]`, possibly glued to the sentence before them
OFFICIAL_LINE = re.compile(r"(?<!\d)(\d+):[ \t]*\[([^\[\]\n]*)\]")
OFFICIAL_PAIR = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)")

State = dict[str, Any]


def canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def integer(value: Any, task: str, what: str) -> int:
    if type(value) is not int:
        raise AdapterError(f"{task} {what}: {value!r}, expected an integer")
    return value


def weighted_lines(question: str, task: str, helix_line: re.Pattern, helix_item: re.Pattern,
                   pair: str, item: str) -> list[tuple[int, list[tuple[int, int]]]] | None:
    """The node lines of either wording as (node, [(other, number)]), or None if there are none.
    `pair` and `item` name the expected forms in errors ("(neighbour, integer weight) pairs",
    "'neighbour (weight w)' items")."""
    official = OFFICIAL_LINE.findall(question)
    if official:
        rows = []
        for node, body in official:
            pairs = [(int(v), int(w)) for v, w in OFFICIAL_PAIR.findall(body)]
            if OFFICIAL_PAIR.sub("", body).strip(" \t,"):
                raise AdapterError(f"{task} question line for node {node}: {body[:60]!r}, "
                                   f"expected {pair}")
            rows.append((int(node), pairs))
        return rows
    helix = helix_line.findall(question)
    if not helix:
        return None
    rows = []
    for node, body in helix:
        if body.strip() == "(none)":
            rows.append((int(node), []))
            continue
        pairs = [(int(v), int(w)) for v, w in helix_item.findall(body)]
        if helix_item.sub("", body).strip(" \t,"):
            raise AdapterError(f"{task} question line for node {node}: {body[:60]!r}, expected {item}")
        rows.append((int(node), pairs))
    return rows


def adapter(task: str, what: str, from_question: Callable[[str], State | None],
            checked: Callable[[Any, str], State],
            same: Callable[[State, State], bool] = lambda a, b: a == b):
    """(to_helix, to_official) of a state-less task; `what` names its graph in errors ("graph",
    "network", "graphs"), `same` compares the question's graph with the cell's."""

    def to_helix(initial_state: str, question: str) -> State:
        if not initial_state.strip():
            state = from_question(question)
            if state is None:
                keeps = "them in the pictures" if what.endswith("s") else "it in the picture"
                raise AdapterError(f"{task}: initial_state is empty and the question lists no "
                                   f"{what} (the image question keeps {keeps}: use question_text)")
            return state
        try:
            state = checked(json.loads(initial_state), "initial_state")
        except json.JSONDecodeError as error:
            raise AdapterError(f"{task} initial_state is neither empty nor helix's JSON state: "
                               f"{error.msg}") from None
        try:
            stated = from_question(question)
        except AdapterError:
            stated = None  # the cell is authoritative; an unreadable question adds nothing
        if stated is not None and not same(stated, state):
            verb = "differ from those" if what.endswith("s") else "differs from the one"
            raise AdapterError(f"{task}: the {what} in initial_state {verb} in the question")
        return state

    def to_official(state: State, answer: str) -> str:
        # simple_str_match never reads the cell: helix's canonical JSON keeps export -> import lossless
        return canonical(checked(state, "state"))

    return to_helix, to_official
