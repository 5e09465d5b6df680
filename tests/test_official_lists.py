"""The official adapters for the tasks whose official cell is a bare JSON list: hitori, kakuro,
slidingpuzzle, nonogram, shingoki, wordsearch, snake.

- the cell to_official writes is the official shape, byte for byte as the public generators write
  it (the sample rows re-export to their own cell text);
- the facts kept only in the question (snake's counts, wordsearch's word) come from the official
  wording (image and text variant) and from helix's wording;
- malformed cells and questions are a one-line AdapterError.
"""

from __future__ import annotations

import ast
import csv
import json
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from tests.tasks.checklist import instance
from verifiers import official
from verifiers import registry as verifiers
from verifiers.official import AdapterError

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "interop" / "official_sample.tsv"
TASKS = ("hitori", "kakuro", "slidingpuzzle", "nonogram", "shingoki", "wordsearch", "snake")


@lru_cache(maxsize=1)
def _rows() -> list[dict]:
    if not SAMPLE.exists():
        return []
    csv.field_size_limit(sys.maxsize)
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle, delimiter="\t") if r["category"] in TASKS]


def _sample(task: str) -> list[dict]:
    rows = [r for r in _rows() if r["category"] == task]
    if not rows:
        pytest.skip(f"{SAMPLE} not present")
    return rows


def _cell(task: str, level: int = 1, index: int = 0) -> tuple[dict, str]:
    inst = instance(task, level, index)
    state = json.loads(json.dumps(inst.initial_state))
    return state, official.to_official(task, state, inst.solution.answer)


def _raises(task: str, cell: str, question: str = "", needle: str = "") -> str:
    with pytest.raises(AdapterError) as caught:
        official.to_helix(task, cell, question)
    message = str(caught.value)
    assert message and "\n" not in message and task in message
    assert needle in message, message
    return message


# -- the official shape, as the sample rows hold it --------------------------------------------

@pytest.mark.parametrize("task", TASKS)
def test_sample_rows_reexport_to_their_own_cell_text(task):
    for row in _sample(task):
        for question in (row["question"], row["question_text"]):
            state = official.to_helix(task, row["initial_state"], question)
            assert official.to_official(task, state, row["answer"]) == row["initial_state"]


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("level", [1, 5])
def test_written_cell_is_a_bare_json_list_with_default_separators(task, level):
    state, text = _cell(task, level)
    value = json.loads(text)
    assert isinstance(value, list)
    assert text == json.dumps(value, ensure_ascii=False)  # ", " and ": " as the generators write


def test_hitori_cell_is_the_number_grid():
    state, text = _cell("hitori", 5)
    assert json.loads(text) == state["grid"]
    assert official.to_helix("hitori", "[[1, 2], [2, 1]]", "") == {"size": 2, "grid": [[1, 2], [2, 1]]}


def test_kakuro_cell_is_rows_of_typed_cells_with_clues_only_where_given():
    state, text = _cell("kakuro", 5)
    grid = json.loads(text)
    for row in grid:
        for cell in row:
            assert list(cell)[0] == "type" and set(cell) <= {"type", "right", "down"}
            assert cell["type"] == "black" or set(cell) == {"type"}
            assert all(cell[k] > 0 for k in ("right", "down") if k in cell)
    # a zero clue and the generator's internal (sum, length) pair both read as helix writes them
    cell = '[[{"type": "black", "down": [3, 1], "right": 0}], [{"type": "white"}]]'
    assert official.to_helix("kakuro", cell, "") == {"grid": [[{"type": "black", "down": 3}],
                                                              [{"type": "white"}]]}


def test_slidingpuzzle_cell_is_the_bare_board_the_official_evaluator_can_read():
    state, text = _cell("slidingpuzzle", 5)
    # the official evaluator reads the cell with ast.literal_eval and walks it as rows
    board = ast.literal_eval(text)
    assert board == state["board"] and len(board) == 4 and all(len(row) == 4 for row in board)


def test_nonogram_cell_is_row_and_column_clues_with_empty_lines_as_empty_lists():
    state = {"row_clues": [[3], [0], [1, 1]], "col_clues": [[1, 1], [1], [1, 1]]}
    text = official.to_official("nonogram", state, "")
    assert text == "[[[3], [], [1, 1]], [[1, 1], [1], [1, 1]]]"
    assert official.to_helix("nonogram", text, "") == state
    assert official.to_helix("nonogram", "[[[3], [0], [1, 1]], [[1, 1], [1], [1, 1]]]", "") == state


def test_shingoki_cell_is_the_bare_point_grid():
    state, text = _cell("shingoki", 5)
    grid = json.loads(text)
    assert grid == state["grid"] and len(grid) == state["rows"] and len(grid[0]) == state["cols"]
    assert all(c == "." or (c[0] in "WB" and c[1:].isdigit()) for row in grid for c in row)


def test_wordsearch_cell_is_the_letter_grid_without_the_word():
    state, text = _cell("wordsearch", 5)
    grid = json.loads(text)
    assert grid == state["grid"] and all(len(ch) == 1 and ch.isupper() for row in grid for ch in row)
    assert state["word"] not in text


def test_snake_cell_marks_only_the_ends():
    state, text = _cell("snake", 5)
    grid = json.loads(text)
    n = state["n"]
    assert len(grid) == n and all(len(row) == n for row in grid)
    marks = {(r, c): v for r, row in enumerate(grid) for c, v in enumerate(row) if v is not None}
    assert marks == {tuple(state["start"]): "S", tuple(state["end"]): "E"}
    assert "null" in text


# -- facts only in the question: both wordings -------------------------------------------------

def test_wordsearch_word_from_official_rows_whose_questions_never_name_it():
    words = {row["difficulty"]: row["answer"].split()[0] for row in _sample("wordsearch")}
    for row in _sample("wordsearch"):
        for question in (row["question"], row["question_text"]):
            state = official.to_helix("wordsearch", row["initial_state"], question)
            assert state["word"] == words[row["difficulty"]]


@pytest.mark.parametrize("level", [1, 5])
def test_wordsearch_word_from_helix_questions(level):
    inst = instance("wordsearch", level, 1)
    text = official.to_official("wordsearch", inst.initial_state, inst.solution.answer)
    for question in (inst.question_image, inst.question_text):
        assert official.to_helix("wordsearch", text, question)["word"] == inst.initial_state["word"]


def test_wordsearch_ambiguous_or_missing_word_is_a_named_error():
    # CAT and COW both read E in the top rows: the grid alone cannot say which was hidden
    grid = [list("CATQ"), list("COWQ"), list("QQQQ"), list("QQQQ")]
    _raises("wordsearch", json.dumps(grid), "Find the hidden word in this 4x4 grid.", "CAT, COW")
    _raises("wordsearch", json.dumps([list("QQQ")] * 3), "", "no word")
    _raises("wordsearch", json.dumps(grid), "Word search. Find the word ZEBRA. ...", "ZEBRA")
    # a longer word beats a short one that the filler spells by chance
    grid = [list("ZEBRA"), list("QCATQ"), list("QQQQQ"), list("QQQQQ"), list("QQQQQ")]
    assert official.to_helix("wordsearch", json.dumps(grid), "")["word"] == "ZEBRA"


def test_snake_counts_from_official_image_and_text_questions():
    for row in _sample("snake"):
        states = [official.to_helix("snake", row["initial_state"], q)
                  for q in (row["question"], row["question_text"])]
        assert states[0] == states[1]
        assert verifiers.verify_answer("snake", states[0], row["answer"]).correct
    row = _sample("snake")[0]
    assert official.to_helix("snake", row["initial_state"], row["question"]) == {
        "n": 5, "start": [1, 4], "end": [4, 2],
        "row_counts": [0, 1, 1, 3, 1], "col_counts": [0, 0, 2, 1, 3]}


def test_snake_counts_from_helix_text_question():
    inst = instance("snake", 5, 0)
    text = official.to_official("snake", inst.initial_state, inst.solution.answer)
    assert official.to_helix("snake", text, inst.question_text) == json.loads(json.dumps(inst.initial_state))


def test_snake_question_without_counts_is_a_named_error():
    cell = '[[null, null, "S"], [null, null, null], ["E", null, null]]'
    _raises("snake", cell, "Snake puzzle (3 x 3). The picture shows the counts.", "row counts")
    _raises("snake", cell, "Row counts: 1, 1, 1\nColumn counts: 1, 1", "column counts")
    _raises("snake", cell, "Row counts: 1, 1, 1\nColumn counts: 1, 1, 0", "add up")
    state = official.to_helix("snake", cell, "Row counts: 1, 1, 1\nColumn counts: 1, 2, 0")
    assert state["col_counts"] == [1, 2, 0]


# -- malformed cells ---------------------------------------------------------------------------

MALFORMED = {
    "hitori": [("[[1, 2], [2]]", "row 1"), ("[[1, 2], [2, \"x\"]]", "cell (1, 1)"),
               ("[[1, 2], [2, true]]", "cell (1, 1)"), ("{\"grid\": [[1]]}", "JSON dict")],
    "kakuro": [("[[{\"type\": \"grey\"}]]", "type 'grey'"),
               ("[[{\"type\": \"white\", \"value\": 3}]]", "'value'"),
               ("[[{\"type\": \"black\", \"right\": \"5\"}, {\"type\": \"white\"}]]", "right='5'"),
               ("[[{\"type\": \"black\"}]]", "no white cell"), ("[[{\"type\": \"white\"}], 3]", "row 1")],
    "slidingpuzzle": [("[[1, 2], [3, 3]]", "once each"), ("[[1, 2, 3], [0, 4, 5]]", "row 0"),
                      ("[[1, \"2\"], [3, 0]]", "tile at (0, 1)")],
    "nonogram": [("[[[1]]]", "two lists"), ("[[[1], [\"2\"]], [[1], [1]]]", "row clue 1"),
                 ("[[[0, 2]], [[1]]]", "row clue 0"), ("[[[3]], [[1]]]", "does not fit"),
                 ("[[], [[1]]]", "row clues")],
    "shingoki": [("[[\".\", \"X3\"]]", "cell (0,1)"), ("[[\".\", \".\"], [\".\"]]", "row 1"),
                 ("[[\".\", \".\"]]", "no circle"), ("[[\".\", \"W0\"]]", "cell (0,1)")],
    "wordsearch": [("[[\"A\", \"1\"]]", "cell (0,1)"), ("[[\"A\", \"B\"], [\"C\"]]", "row 1"),
                   ("[\"ABC\"]", "row 0")],
    "snake": [("[[null, \"S\"], [null, null]]", "E 0 times"),
              ("[[\"S\", \"S\"], [\"E\", null]]", "S 2 times"),
              ("[[\"S\", 1], [\"E\", null]]", "cell (0,1)"),
              ("[[\"S\", [1]], [\"E\", null]]", "cell (0,1)"), ("[[\"S\", null], [\"E\"]]", "row 1")],
}


@pytest.mark.parametrize("task", TASKS)
def test_malformed_cells_are_named_one_line_errors(task):
    question = "Row counts: 1, 1\nColumn counts: 1, 1"
    for bad in ("", "   ", "not json", "{\"a\": 1}", "3", "[]", "\x00"):
        _raises(task, bad, question)
    for cell, needle in MALFORMED[task]:
        _raises(task, cell, question, needle)


def test_wordsearch_reads_the_word_from_the_reference_answer_when_the_grid_is_ambiguous():
    """Two official words of the same length read in the grid: the question names none, the row's
    reference answer ("BEAR E @ (0, 0)"-like) settles it; without it the adapter says why."""
    rows = ["GOATX", "BEARX", "XXXXX", "XXXXX", "XXXXX"]
    cell = json.dumps([list(r) for r in rows])
    with pytest.raises(official.AdapterError, match="several official words"):
        official.to_helix("wordsearch", cell, "Find the hidden animal.")
    assert official.to_helix("wordsearch", cell, "Find the hidden animal.",
                             "BEAR E (1, 0) @")["word"] == "BEAR"
    # an answer naming a word that does not read in the grid is no evidence
    with pytest.raises(official.AdapterError, match="several official words"):
        official.to_helix("wordsearch", cell, "", "TIGER E (0, 0) @")
