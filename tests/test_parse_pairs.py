"""One reader for answers written as (row, col) pairs: every task that takes cells as pairs judges
`(0, 4), (2, 1)`, `[[0, 4], [2, 1]]` and `{(0, 4), (2, 1)}` alike (hitori and aquarium once
refused the list-of-lists spelling that tapa, campsite and minesweeper took)."""

from __future__ import annotations

import pytest

from tests.tasks.checklist import instance
from verifiers.parse import parse_pairs
from verifiers.registry import verify_answer
from verifiers.verdict import Unparsable

PAIR_TASKS = ("hitori", "aquarium", "tapa", "campsite", "minesweeper")


def _spellings(pairs: list[tuple[int, int]]) -> list[str]:
    return [", ".join(f"({a}, {b})" for a, b in pairs),
            "[" + ", ".join(f"[{a}, {b}]" for a, b in pairs) + "]",
            "{" + ", ".join(f"({a},{b})" for a, b in pairs) + "}",
            "\n".join(f"({a},{b})" for a, b in pairs)]


@pytest.mark.parametrize("task", PAIR_TASKS)
def test_every_spelling_of_the_same_cells_gets_the_same_verdict(task):
    for level in (1, 3, 5):
        inst = instance(task, level, 0)
        pairs = parse_pairs(inst.solution.answer)
        assert pairs, inst.solution.answer
        for text in _spellings(pairs):
            assert verify_answer(task, inst.initial_state, text).correct, (task, text)
        wrong = pairs[1:]
        verdicts = {verify_answer(task, inst.initial_state, t).status for t in _spellings(wrong)}
        assert verdicts == {"wrong"}, (task, verdicts)


def test_pairs_reader():
    assert parse_pairs("[[0, 4], [2, 1]]") == [(0, 4), (2, 1)]
    assert parse_pairs("{(0,4), (2,1)}") == [(0, 4), (2, 1)]
    assert parse_pairs("(0,4)\n(2,1);") == [(0, 4), (2, 1)]
    for empty in ("[]", "{}", "set()", "None"):
        assert parse_pairs(empty) == []
    for bad in ("", "(0,4) and (2,1)", "(0,4,5)", "0 4 2 1", "(0, x)"):
        with pytest.raises(Unparsable):
            parse_pairs(bad)
