"""Official-shape adapters of campsite, wordladder and skyscrapers: malformed cells, both question
wordings, and the exact structure of the cells to_official writes (as the sample rows show)."""

from __future__ import annotations

import json

import pytest

from tests.tasks.checklist import instance
from tests.test_official import by_official, sample_rows
from verifiers import official
from verifiers.registry import verify_answer

TASKS = ("campsite", "wordladder", "skyscrapers")
KEYS = {  # the official generators' key order
    "campsite": ["input_grid", "row_constraints", "col_constraints", "reference_solution"],
    "wordladder": ["solution", "start_word", "target_word"],
    "skyscrapers": ["n", "top", "bottom", "left", "right"],
}


def rows_of(task: str) -> list[dict]:
    return [r for r in sample_rows() if by_official()[r["category"]] == task]


def error_of(task: str, cell: str, question: str = "") -> str:
    with pytest.raises(official.AdapterError) as caught:
        official.to_helix(task, cell, question)
    message = str(caught.value)
    assert message and "\n" not in message
    return message


@pytest.mark.parametrize("task", TASKS)
def test_sample_cells_have_the_keys_to_official_writes(task):
    rows = rows_of(task)
    if not rows:
        pytest.skip("official sample not present")
    for row in rows:
        assert list(json.loads(row["initial_state"])) == KEYS[task]
        state = official.to_helix(task, row["initial_state"], row["question"])
        cell = official.to_official(task, state, row["answer"])
        assert list(json.loads(cell)) == KEYS[task]
        # the official generator writes json.dumps with default separators
        assert cell == json.dumps(json.loads(cell), ensure_ascii=False)
        # the reference solution rebuilt from the row's answer is the one the generator wrote
        assert json.loads(cell) == json.loads(row["initial_state"])


@pytest.mark.parametrize("task", TASKS)
def test_both_question_wordings_give_one_state(task):
    for row in rows_of(task):
        state = official.to_helix(task, row["initial_state"], row["question"])
        assert official.to_helix(task, row["initial_state"], row["question_text"]) == state
        assert official.to_helix(task, row["initial_state"], "") == state
    for level in (1, 3, 5):
        inst = instance(task, level, 0)
        cell = official.to_official(task, inst.initial_state, inst.solution.answer)
        for question in (inst.question_image, inst.question_text):
            assert official.to_helix(task, cell, question) == inst.initial_state


def test_campsite_cell_structure():
    inst = instance("campsite", 3, 1)
    cell = json.loads(official.to_official("campsite", inst.initial_state, inst.solution.answer))
    tents = {(r - 1, c - 1) for r, c in json.loads(inst.solution.answer)}
    grid = cell["input_grid"]
    assert all(x in ("T", "X") for row in grid for x in row)
    assert cell["reference_solution"] == [
        ["C" if (r, c) in tents else x for c, x in enumerate(row)] for r, row in enumerate(grid)]
    assert sum(row.count("C") for row in cell["reference_solution"]) == sum(cell["row_constraints"])


def test_wordladder_cell_structure():
    inst = instance("wordladder", 2, 0)
    cell = json.loads(official.to_official("wordladder", inst.initial_state, inst.solution.answer))
    assert cell["solution"] == json.loads(inst.solution.answer)
    assert (cell["solution"][0], cell["solution"][-1]) == (cell["start_word"], cell["target_word"])
    # the official reference answer is written with arrows: that reads too
    arrows = " -> ".join(cell["solution"])
    assert json.loads(official.to_official("wordladder", inst.initial_state, arrows)) == cell


def test_skyscrapers_cell_structure():
    inst = instance("skyscrapers", 5, 0)
    text = official.to_official("skyscrapers", inst.initial_state, inst.solution.answer)
    cell = json.loads(text)
    assert cell["n"] == 7 and all(len(cell[s]) == 7 and min(cell[s]) >= 1 for s in KEYS["skyscrapers"][1:])
    assert text.startswith('{"n": 7, "top": [')


@pytest.mark.parametrize("cell, word", [
    ("", "not JSON"),
    ('[["X"]]', "expected an object"),
    ('{"input_grid": [["X", "T"], ["X"]], "row_constraints": [0, 0], "col_constraints": [0, 0]}', "row 2"),
    ('{"input_grid": [["X", "C"], ["X", "X"]], "row_constraints": [0, 0], "col_constraints": [0, 0]}', "'C'"),
    ('{"input_grid": [["X", "T"], ["X", "X"]], "row_constraints": [0], "col_constraints": [0, 0]}',
     "row_constraints"),
    ('{"input_grid": [["X", "T"], ["X", "X"]], "row_constraints": [0, 1], "col_constraints": [0, true]}',
     "col_constraints"),
    ('{"input_grid": [["X", "T"], ["X", "X"]], "row_constraints": [0, 0], "col_constraints": [0, 0], '
     '"trees": 1}', "unexpected keys"),
    ('{"row_constraints": [0], "col_constraints": [0]}', "input_grid"),
])
def test_campsite_malformed_cells(cell, word):
    assert word in error_of("campsite", cell)


@pytest.mark.parametrize("cell, question, word", [
    ("", "", "not JSON"),
    ('["cold", "warm"]', "", "expected an object"),
    ('{"start_word": "cold"}', "", "target_word"),
    ('{"start_word": "cold", "target_word": "war m"}', "", "target_word"),
    ('{"start_word": "cold", "target_word": "hot"}', "", "differ in length"),
    ('{"start_word": "cold", "target_word": "warm", "steps": 4}', "", "unexpected keys"),
    ('{"start_word": "cold", "target_word": "warm"}',
     "Please provide the complete solution path from 'cold' to 'wars' as a list", "question"),
    ('{"start_word": "cold", "target_word": "warm"}', "Start word: cord\nTarget word: warm", "question"),
])
def test_wordladder_malformed_cells(cell, question, word):
    assert word in error_of("wordladder", cell, question)


def test_wordladder_solution_key_is_dropped():
    state = official.to_helix("wordladder", '{"solution": ["cold", "cord", "card", "ward", "warm"], '
                              '"start_word": "Cold", "target_word": "warm"}', "")
    assert state == {"start_word": "cold", "target_word": "warm"}


@pytest.mark.parametrize("cell, word", [
    ("", "not JSON"),
    ("[3]", "expected an object"),
    ('{"n": "3", "top": [1, 2, 2], "bottom": [2, 1, 2], "left": [1, 2, 2], "right": [2, 1, 2]}', "n:"),
    ('{"n": 3, "top": [1, 2], "bottom": [2, 1, 2], "left": [1, 2, 2], "right": [2, 1, 2]}', "top"),
    ('{"n": 3, "top": [1, 2, 2], "bottom": [2, 1, 4], "left": [1, 2, 2], "right": [2, 1, 2]}', "bottom"),
    ('{"n": 3, "top": [1, 2, 2], "bottom": [2, 1, 2], "left": [1, 2, 2]}', "right"),
    ('{"n": 3, "top": [1, 2, 2], "bottom": [2, 1, 2], "left": [1, 2, 2], "right": [2, 1, 2], '
     '"grid": [[0, 0, 0], [0, 0, 0], [0, 0, 0]]}', "unexpected keys"),
])
def test_skyscrapers_malformed_cells(cell, word):
    assert word in error_of("skyscrapers", cell)


def test_to_official_needs_the_reference_answer():
    with pytest.raises(official.AdapterError):
        official.to_official("campsite", instance("campsite", 1, 0).initial_state, "")
    with pytest.raises(official.AdapterError):
        official.to_official("wordladder", instance("wordladder", 1, 0).initial_state, "")
    with pytest.raises(official.AdapterError):
        official.to_official("skyscrapers", {"n": 1, "top": [1], "bottom": [1], "left": [1],
                                             "right": [1], "grid": [[1]]}, "[[1]]")


def test_imported_rows_follow_the_official_rules():
    """Rules that changed with version 2, seen on official rows: a campsite tree may stay without
    a tent (the level-5 sample row has 9 trees and 5 tents), and a longer word ladder is right."""
    for row in rows_of("campsite"):
        state = official.to_helix("campsite", row["initial_state"], row["question"])
        trees = sum(r.count("T") for r in state["input_grid"])
        assert verify_answer("campsite", state, row["answer"]).correct
        if int(row["difficulty"]) == 5:
            assert trees > sum(state["row_constraints"])
    state = official.to_helix("wordladder", '{"solution": ["cold", "colt", "cost"], '
                              '"start_word": "cold", "target_word": "cost"}', "")
    assert verify_answer("wordladder", state, "cold -> bold -> bolt -> boat -> coat -> cost").correct
