"""The numbrix and tapa adapters between the official `initial_state` cell and helix's state:
the cell's exact official layout, malformed cells, both question wordings, and the official rules
both tasks now share with the official evaluator."""

from __future__ import annotations

import re

import pytest

from tests.tasks.checklist import instance
from tests.test_official import sample_rows
from verifiers import official
from verifiers.registry import verify_answer

NUMBRIX_ROW = re.compile(r"\|(?:\d+| )(?:\|(?:\d+| ))*\|")


def _judge(task: str, cell: str, answer: str):
    return official.verify_official(task, cell, "", f"<answer>{answer}</answer>")


def _rows(category: str) -> list[dict]:
    rows = [r for r in sample_rows() if r["category"] == category]
    if not rows:
        pytest.skip("official sample not present")
    return rows


# -- the official cell layout ------------------------------------------------------------------
@pytest.mark.parametrize("task", ["numbrix", "tapa"])
def test_sample_cell_is_written_back_byte_for_byte(task):
    for row in _rows(task):
        state = official.to_helix(task, row["initial_state"], row["question"])
        assert official.to_official(task, state, row["answer"]) == row["initial_state"]


def test_numbrix_cell_structure():
    inst = instance("numbrix", 1, 0)
    cell = official.to_official("numbrix", inst.initial_state, inst.solution.answer)
    # the official generator starts the text with an empty line, then one '|' row per grid row
    assert cell.startswith("\n") and not cell.startswith("\n\n")
    lines = cell[1:].split("\n")
    n = inst.initial_state["n"]
    assert len(lines) == n
    for line, row in zip(lines, inst.initial_state["grid"]):
        assert NUMBRIX_ROW.fullmatch(line), line
        assert line == "|" + "|".join(str(v) if v else " " for v in row) + "|"
    sample = _rows("numbrix")[0]["initial_state"]
    assert sample.startswith("\n") and all(NUMBRIX_ROW.fullmatch(x) for x in sample[1:].split("\n"))


def test_tapa_cell_structure():
    inst = instance("tapa", 3, 0)
    cell = official.to_official("tapa", inst.initial_state, inst.solution.answer)
    lines = cell.split("\n")
    assert len(lines) == inst.initial_state["rows"]
    assert all(re.fullmatch(r"[.0-8]+", x) and len(x) == inst.initial_state["cols"] for x in lines)
    for key, value in inst.initial_state["clues"].items():
        r, c = map(int, key.split(","))
        assert lines[r][c] == str(value)
    assert cell.count(".") == len(cell.replace("\n", "")) - len(inst.initial_state["clues"])
    assert re.fullmatch(r"[.0-8]+(\n[.0-8]+)*", _rows("tapa")[0]["initial_state"])


def test_shapes_read_from_the_sample():
    low = _rows("numbrix")[0]
    state = official.to_helix("numbrix", low["initial_state"], "")
    assert state == {"n": 4, "grid": [[0, 1, 0, 7], [3, 0, 5, 0], [0, 13, 0, 9], [15, 16, 11, 0]]}
    low = _rows("tapa")[0]
    state = official.to_helix("tapa", low["initial_state"], "")
    assert state == {"rows": 3, "cols": 3, "clues": {"0,1": 2, "1,1": 3, "2,1": 2}}
    assert list(state["clues"]) == ["0,1", "1,1", "2,1"], "row-major, as helix writes them"


# -- both question wordings (the cell holds every fact; the question is not needed) -------------
@pytest.mark.parametrize("task", ["numbrix", "tapa"])
def test_every_question_wording_gives_the_same_state(task):
    for row in _rows(task):
        state = official.to_helix(task, row["initial_state"], row["question"])
        assert official.to_helix(task, row["initial_state"], row["question_text"]) == state
        assert official.to_helix(task, row["initial_state"], "") == state
        verdict = official.verify_official(task, row["initial_state"], row["question_text"],
                                           f"<answer>{row['answer']}</answer>")
        assert verdict.correct, verdict
    inst = instance(task, 2, 1)
    cell = official.to_official(task, inst.initial_state, inst.solution.answer)
    for question in (inst.question_image, inst.question_text):
        assert official.to_helix(task, cell, question) == inst.initial_state


# -- malformed cells and states ----------------------------------------------------------------
@pytest.mark.parametrize("cell", [
    "", "\n\n", "|1|2|\n|3|", "|a| |\n| |4|", "1 2\n3 4", "|1|1|\n| | |", "|9| |\n| | |",
    "|1| |\n| |", '{"n": 2, "grid": [[1, 0], [0, 4]]}', "|1|-2|\n| | |",
])
def test_numbrix_malformed_cell_is_a_named_error(cell):
    with pytest.raises(official.AdapterError) as error:
        official.to_helix("numbrix", cell, "")
    assert str(error.value).startswith("numbrix") and "\n" not in str(error.value)


@pytest.mark.parametrize("cell", [
    "", ".2.\n..", ".x.\n...\n...", '{"rows": 3}', ".9.\n...\n...", ".2.\n. .\n...", "[1, 2]",
])
def test_tapa_malformed_cell_is_a_named_error(cell):
    with pytest.raises(official.AdapterError) as error:
        official.to_helix("tapa", cell, "")
    assert str(error.value).startswith("tapa") and "\n" not in str(error.value)


@pytest.mark.parametrize("task,state", [
    ("numbrix", {"n": 2}),
    ("numbrix", {"n": 2, "grid": [[1, "x"], [0, 0]]}),
    ("tapa", {"rows": 3, "cols": 3}),
    ("tapa", {"rows": 3, "cols": 3, "clues": {"1,1": [1, 1]}}),
    ("tapa", {"rows": 3, "cols": 3, "clues": {"5,5": 2}}),
    ("tapa", {"rows": 3, "cols": 3, "clues": {"a": 2}}),
])
def test_malformed_state_is_a_named_error(task, state):
    with pytest.raises(official.AdapterError):
        official.to_official(task, state, "")


# -- the official rules, as the official evaluator applies them ----------------------------------
def test_numbrix_official_rule_chain_to_any_k():
    # the official question: the path runs from 1 to its highest number, not necessarily n^2,
    # and not every empty cell needs filling; the official evaluator checks exactly that
    cell = "\n|1| | |\n| | | |\n| | |5|"
    assert _judge("numbrix", cell, "|1|2|3|\n| | |4|\n| | |5|").correct
    assert _judge("numbrix", cell, "|1|2|3|\n|8|9|4|\n|7|6|5|").correct
    assert not _judge("numbrix", cell, "|1|2|3|\n| | | |\n| | |5|").correct


def test_numbrix_answer_shape_is_strict():
    """Deliberate difference (parsing, not rules): the official evaluator pads short rows with
    empty cells, cuts a larger grid down to the reference answer's shape and reads any non-digit
    cell as empty; helix wants the n x n grid and a blank, '.', '0', '-' or '_' for an empty
    cell, and says so."""
    state = {"n": 3, "grid": [[1, 0, 0], [0, 0, 0], [0, 0, 5]]}
    extra = verify_answer("numbrix", state, "|1|2|3| |\n| | |4| |\n| | |5| |\n| | | | |")
    assert not extra.correct and "3 x 3" in extra.reason
    assert verify_answer("numbrix", state, "|1|2|3|\n| | |4|\n| | |x|").status == "unparsable"


def test_tapa_official_rule_groups_by_corners():
    # clue 2 at the centre with black N and E: one group through the corner contact (the
    # official evaluator groups a clue's black neighbours by 8-connectivity)
    cell = ".....\n.....\n..2..\n.....\n....."
    wall = "(0,2), (0,3), (0,4), (1,2), (1,4), (2,3), (2,4)"
    assert _judge("tapa", cell, wall).correct
    # N and S black: two cells that touch neither by side nor by corner are two groups
    ring_ns = "(1,2), (0,2), (0,1), (0,0), (1,0), (2,0), (3,0), (4,0), (4,1), (4,2), (3,2)"
    verdict = _judge("tapa", cell, ring_ns)
    assert not verdict.correct and "2 groups" in verdict.reason
