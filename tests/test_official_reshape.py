"""The official adapters of the tasks whose official JSON has another shape than helix's state:
calcudoku, kukurasu, aquarium, bridges, futoshiki, binairo, hanoi.

- the cell `to_official` writes has the official structure (the keys and layout of the sample's
  rows, JSON with the default separators) and carries what the official evaluator reads
  (calcudoku: `regions` with its operators, so the cages are checked);
- odd cells and odd reference answers are a one-line AdapterError naming the problem;
- the question is read in both wordings (official and helix's) where it carries a fact.
"""

from __future__ import annotations

import json
import math

import pytest

from tests.tasks.checklist import instance
from tests.test_official import by_official, sample_rows
from verifiers import official
from verifiers import registry as verifiers

TASKS = ["calcudoku", "kukurasu", "aquarium", "bridges", "futoshiki", "binairo", "hanoi"]


def _sample(task: str) -> list[dict]:
    rows = [r for r in sample_rows() if by_official()[r["category"]] == task]
    if not rows:
        pytest.skip("official sample not present")
    return rows


def _helix(task: str, level: int = 1, index: int = 0):
    inst = instance(task, level, index)
    return inst, json.loads(json.dumps(inst.initial_state))


def _shape(value):
    """The structure of a JSON value: keys of objects, element shapes of lists (merged; empty
    lists and nulls say nothing about the element type)."""
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if isinstance(value, list):
        shapes = {json.dumps(_shape(v), sort_keys=True) for v in value if v is not None and v != []}
        return ["list", sorted(shapes)]
    return "int" if isinstance(value, int) and not isinstance(value, bool) else type(value).__name__


# -- the official structure -----------------------------------------------------------------

@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("level", [1, 5])
def test_written_cell_has_the_sample_rows_structure(task, level):
    sample = _sample(task)[0]
    inst, state = _helix(task, level)
    text = official.to_official(task, state, inst.solution.answer)
    cell = json.loads(text)
    # written as the public generators write it: json.dumps with default separators
    assert text == json.dumps(cell, ensure_ascii=False)
    want = json.loads(sample["initial_state"])
    assert type(cell) is type(want)
    if isinstance(cell, dict):
        assert list(cell) == list(want), "the official keys, in the official order"
    assert _shape(cell) == _shape(want)


@pytest.mark.parametrize("task", TASKS)
def test_sample_cells_convert_back_to_the_same_official_facts(task):
    """official -> helix -> official keeps every fact the official evaluator reads."""
    for row in _sample(task):
        state = official.to_helix(task, row["initial_state"], row["question"])
        again = json.loads(official.to_official(task, state, row["answer"]))
        original = json.loads(row["initial_state"])
        if task == "calcudoku":
            def cages(c):
                return sorted((sorted(map(tuple, g["cells"])), g["operator"], g["target"])
                              for g in c["regions"])
            assert again["size"] == original["size"] and cages(again) == cages(original)
        elif task == "bridges":
            def key(c):
                return (sorted((i["x"], i["y"], i["num"]) for i in c["islands"]),
                        sorted((tuple(b["from"]), tuple(b["to"]), b["count"]) for b in c["bridges"]))
            assert key(again) == key(original)
        elif task == "aquarium":
            assert {k: again[k] for k in ("row_clues", "col_clues", "grid_size")} == \
                   {k: original[k] for k in ("row_clues", "col_clues", "grid_size")}
            pairs = {(a, b) for ra, rb in zip(again["regions"], original["regions"]) for a, b in zip(ra, rb)}
            assert len(pairs) == len({a for a, _ in pairs}) == len({b for _, b in pairs})  # same partition
        elif task == "futoshiki":
            def relations(c):
                return sorted((tuple(q["cell1"]), tuple(q["cell2"]), q["symbol"]) for q in c["inequalities"])
            assert (again["grid"], again["size"], relations(again)) == \
                   (original["grid"], original["size"], relations(original))
        else:
            assert again == original


def _official_cage_value(values: list[int], operator: str) -> int:
    """The cage rule as the official Calcudoku evaluator applies it (operators + * - ÷ only)."""
    if operator == "+":
        return sum(values)
    if operator == "*":
        return math.prod(values)
    if operator == "-" and len(values) == 2:
        return abs(values[0] - values[1])
    if operator == "÷" and len(values) == 2:
        return max(values) // min(values)
    return 0


def _official_calcudoku_accepts(cell: dict, grid: list[list[int]]) -> bool:
    n = cell["size"]
    full = set(range(1, n + 1))
    if any(set(row) != full for row in grid) or any({grid[r][c] for r in range(n)} != full for c in range(n)):
        return False
    return all(_official_cage_value([grid[r - 1][c - 1] for r, c in g["cells"]], g["operator"]) == g["target"]
               for g in cell.get("regions", []))  # no `regions`: no cage is checked


@pytest.mark.parametrize("level", [1, 3, 5])
def test_calcudoku_cell_makes_the_official_rules_check_the_cages(level):
    inst, state = _helix("calcudoku", level)
    cell = json.loads(official.to_official("calcudoku", state, inst.solution.answer))
    assert "regions" in cell and "cages" not in cell
    assert {g["operator"] for g in cell["regions"]} <= {"+", "*", "-", "÷"}
    assert sorted(tuple(p) for g in cell["regions"] for p in g["cells"]) == \
           [(r, c) for r in range(1, cell["size"] + 1) for c in range(1, cell["size"] + 1)]
    grid = json.loads(inst.solution.answer)
    assert _official_calcudoku_accepts(cell, grid)
    # a Latin square that breaks the cages: helix rejects it, and so do the official rules now
    wrong = [[{1: 2, 2: 1}.get(v, v) for v in row] for row in grid]
    assert not verifiers.verify_answer("calcudoku", state, json.dumps(wrong)).correct
    assert not _official_calcudoku_accepts(cell, wrong)
    # (with helix's own `cages` key the official rules would have let it pass)
    assert _official_calcudoku_accepts({"size": cell["size"], "cages": cell["regions"]}, wrong)


def test_calcudoku_operators_map_both_ways():
    cell = json.dumps({"size": 2, "regions": [
        {"cells": [[1, 2], [1, 1]], "operator": "÷", "target": 2},
        {"cells": [[2, 1]], "operator": "+", "target": 2},
        {"cells": [[2, 2]], "operator": "*", "target": 1}]}, ensure_ascii=False)
    state = official.to_helix("calcudoku", cell, "")
    assert state == {"size": 2, "cages": [
        {"cells": [[1, 1], [1, 2]], "operator": "/", "target": 2},
        {"cells": [[2, 1]], "operator": "=", "target": 2},
        {"cells": [[2, 2]], "operator": "=", "target": 1}]}
    back = json.loads(official.to_official("calcudoku", state, ""))
    assert [g["operator"] for g in back["regions"]] == ["÷", "+", "+"]
    assert "÷" in official.to_official("calcudoku", state, "")  # ensure_ascii=False, as the sample


def test_calcudoku_reads_a_legacy_cell_with_helix_cages():
    inst, state = _helix("calcudoku", 2)
    legacy = json.dumps(state)  # what rows held before the adapter: helix's shape
    assert official.to_helix("calcudoku", legacy, "") == state


def test_kukurasu_cell_carries_the_reference_solution():
    inst, state = _helix("kukurasu", 3)
    cell = json.loads(official.to_official("kukurasu", state, inst.solution.answer))
    assert cell["solution"] == json.loads(inst.solution.answer)
    assert official.to_helix("kukurasu", json.dumps(cell), "") == state  # solution dropped again


def test_bridges_cell_carries_the_reference_bridges():
    inst, state = _helix("bridges", 5)
    cell = json.loads(official.to_official("bridges", state, inst.solution.answer))
    lines = sorted(f"({b['from'][0]},{b['from'][1]})-({b['to'][0]},{b['to'][1]}):{b['count']}"
                   for b in cell["bridges"])
    assert lines == sorted(inst.solution.answer.split("\n"))
    assert all(b["from"] < b["to"] and b["count"] in (1, 2) for b in cell["bridges"])
    # several bridges on one line, a missing count (= 1) and a pair split over two lines
    two = official.to_official("bridges", {"size": 5, "islands": [
        {"x": 0, "y": 0, "num": 2}, {"x": 0, "y": 3, "num": 3}, {"x": 3, "y": 3, "num": 1}]},
        "(0,3)-(0,0) (0,0)-(0,3):1, (3,3)-(0,3)")
    assert json.loads(two)["bridges"] == [{"from": [0, 0], "to": [0, 3], "count": 2},
                                          {"from": [0, 3], "to": [3, 3], "count": 1}]


def test_aquarium_regions_are_renumbered_in_reading_order():
    cell = json.dumps({"regions": [[7, 7], [3, 7]], "row_clues": [0, 2], "col_clues": [1, 1],
                       "grid_size": [2, 2]})
    assert official.to_helix("aquarium", cell, "") == {
        "size": 2, "regions": [[0, 0], [1, 0]], "row_clues": [0, 2], "col_clues": [1, 1]}


def test_futoshiki_relations_keep_their_sense_and_helix_order():
    cell = json.dumps({"grid": [[0, 0], [0, 0]], "size": 2, "inequalities": [
        {"cell1": [0, 1], "cell2": [1, 1], "symbol": ">"},
        {"cell1": [0, 0], "cell2": [0, 1], "symbol": "<"}]})
    state = official.to_helix("futoshiki", cell, "")
    assert state == {"n": 2, "grid": [[0, 0], [0, 0]], "inequalities": [[0, 0, 0, 1], [1, 1, 0, 1]]}
    back = json.loads(official.to_official("futoshiki", state, ""))
    assert back["inequalities"] == [{"cell1": [0, 0], "cell2": [0, 1], "symbol": "<"},
                                    {"cell1": [0, 1], "cell2": [1, 1], "symbol": ">"}]
    assert verifiers.verify_answer("futoshiki", state, "[[1, 2], [2, 1]]").correct
    assert not verifiers.verify_answer("futoshiki", state, "[[2, 1], [1, 2]]").correct


# -- both question wordings ------------------------------------------------------------------

@pytest.mark.parametrize("task", TASKS)
def test_state_is_the_same_under_every_question_wording(task):
    inst, state = _helix(task, 2)
    text = official.to_official(task, state, inst.solution.answer)
    row = _sample(task)[0]
    # helix's own questions (helix exports keep them) give helix's state back exactly
    for question in (inst.question_image, inst.question_text):
        assert official.to_helix(task, text, question) == state
    # the official wordings, image and text, agree on an official cell
    assert official.to_helix(task, row["initial_state"], row["question"]) == \
           official.to_helix(task, row["initial_state"], row["question_text"])


def test_bridges_size_from_helix_wording_and_from_the_official_cell():
    inst, state = _helix("bridges", 1)
    state = dict(state, size=7)  # islands well inside: only the question knows the side
    text = official.to_official("bridges", state, inst.solution.answer)
    helix_image = inst.question_image.replace("5x5", "7x7")
    helix_text = inst.question_text.replace("5x5", "7x7")
    for question in (helix_image, helix_text):
        assert official.to_helix("bridges", text, question)["size"] == 7
    # official wording: the image question states no size, so neither variant is used for it;
    # the size is the generator's smallest side for the island count, raised to fit the islands
    cell = '{"islands": [{"x": 1, "y": 1, "num": 1}, {"x": 3, "y": 1, "num": 1}], "bridges": []}'
    for question in ("Please look carefully at the image showing a Bridges puzzle",
                     "**Grid Information:**\n- Grid size: 5x5\n"):
        assert official.to_helix("bridges", cell, question)["size"] == 5
    wide = '{"islands": [{"x": 1, "y": 1, "num": 1}, {"x": 8, "y": 1, "num": 1}, ' \
           '{"x": 1, "y": 4, "num": 2}, {"x": 1, "y": 7, "num": 2}], "bridges": []}'
    assert official.to_helix("bridges", wide, "")["size"] == 9
    with pytest.raises(official.AdapterError, match="states a 7x7 grid"):
        official.to_helix("bridges", wide, "- Grid size: 7x7")
    with pytest.raises(official.AdapterError, match="island lies at coordinate 8"):
        official.to_helix("bridges", wide, "The grid is 6x6; x is the column")


# -- odd cells and odd answers ---------------------------------------------------------------

BAD_CELLS = {
    "calcudoku": [
        ('{"size": 2}', "needs 'regions'"),
        ('{"size": 2, "regions": [{"cells": [[1, 1], [1, 2], [2, 1], [2, 2]], "operator": "^", '
         '"target": 4}]}', "operator '^'"),
        ('{"size": 2, "regions": [{"cells": [[1, 1], [1, 3]], "operator": "+", "target": 3}]}',
         "region 0 column is 3"),
        ('{"size": 2, "regions": [{"cells": [[1, 1], [1, 2]], "operator": "+", "target": 3}]}',
         "is in no region"),
        ('{"size": 2, "regions": [{"cells": [[1, 1], [1, 2], [2, 1]], "operator": "-", "target": 1}, '
         '{"cells": [[2, 2]], "operator": "+", "target": 1}]}', "needs exactly 2 cells"),
        ('{"size": 2, "regions": [{"cells": [[1, 1], [1, 2]], "operator": "+", "target": 3}, '
         '{"cells": [[1, 2], [2, 1], [2, 2]], "operator": "+", "target": 3}]}', "is in regions 0 and 1"),
        ('{"size": "3", "regions": []}', "size is '3'"),
    ],
    "kukurasu": [
        ('{"row_sums": [1, 2], "col_sums": [1], "size": 2}', "1 column sums"),
        ('{"row_sums": [1, "x"], "col_sums": [1, 2], "size": 2}', "row_sums[1]"),
        ('[[1, 2], [3]]', "expected an object"),
    ],
    "aquarium": [
        ('{"regions": [[0, 1], [1, 1]], "row_clues": [1, 1], "col_clues": [1, 1]}', "grid_size is None"),
        ('{"regions": [[0, 1], [1, 1]], "row_clues": [1, 1], "col_clues": [1, 1], "grid_size": [3, 3]}',
         "does not match"),
        ('{"regions": [[0, 1, 1], [1, 1, 1]], "row_clues": [1, 1], "col_clues": [1, 1, 1], '
         '"grid_size": [2, 3]}', "square"),
        ('{"regions": [[0, 1], [1, 1]], "row_clues": [1], "col_clues": [1, 1], "grid_size": [2, 2]}',
         "'row_clues' must be a list of 2"),
    ],
    "bridges": [
        ('{"bridges": []}', "'islands' must be a non-empty list"),
        ('{"islands": [{"x": 0, "y": 0, "num": 1}, {"x": 0, "y": 0, "num": 1}]}', "two islands at (0, 0)"),
        ('{"islands": [{"x": -1, "y": 0, "num": 1}]}', "island 0 position"),
        ('{"islands": [{"x": 0, "y": 0, "num": 0}]}', "has number 0"),
    ],
    "futoshiki": [
        ('{"grid": [[0, 0], [0, 0]], "size": 3, "inequalities": []}', "size is 3"),
        ('{"grid": [[0, 0], [0, 3]], "size": 2, "inequalities": []}', "grid cell (1,1) is 3"),
        ('{"grid": [[0, 0], [0, 0]], "size": 2, "inequalities": [[0, 0, 0, 1]]}', "inequality 0 is"),
        ('{"grid": [[0, 0], [0, 0]], "size": 2, "inequalities": [{"cell1": [0, 0], "cell2": [0, 1], '
         '"symbol": "^"}]}', "symbol '^'"),
        ('{"grid": [[0, 0], [0, 0]], "size": 2, "inequalities": [{"cell1": [0, 0], "cell2": [0, 2], '
         '"symbol": "<"}]}', "cell2 is [0, 2]"),
    ],
    "binairo": [
        ('[[0, 1, null], [1, 0, null], [null, null, 1]]', "even number"),
        ('[[0, 2], [1, 0]]', "cell (0,1) is 2"),
        ('[[0, 1], [1]]', "row 1 must hold 2 cells"),
        ('{"grid": [[0, 1], [1, 0]]}', "expected a non-empty list"),
    ],
    "hanoi": [
        ('[[3, 2, 1], []]', "list of 3 pegs"),
        ('[[1, 2], [3], []]', "peg 1 [1, 2] is not stacked"),
        ('[[3, 1], [], []]', "expected each of 1..n exactly once"),
        ('[[], [], []]', "expected each of 1..n"),
        ('{"pegs": [[1], [], []]}', "list of 3 pegs"),
    ],
}


@pytest.mark.parametrize("task,cell,message",
                         [(t, c, m) for t, cases in BAD_CELLS.items() for c, m in cases])
def test_odd_cell_is_a_named_one_line_error(task, cell, message):
    with pytest.raises(official.AdapterError) as caught:
        official.to_helix(task, cell, "")
    text = str(caught.value)
    assert message in text and "\n" not in text and text.startswith(task)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("cell", ["", "not json", "{", "\x00"])
def test_unreadable_cell_is_a_named_error(task, cell):
    with pytest.raises(official.AdapterError, match="not valid JSON"):
        official.to_helix(task, cell, "")


@pytest.mark.parametrize("task,answer,message", [
    ("kukurasu", "", "reference answer is not a"),
    ("kukurasu", "[[0, 2, 1], [1, 1, 0], [0, 0, 1]]", "other than 0 and 1"),
    ("bridges", "", "reference answer is not a list"),
    ("bridges", "(9,9)-(9,8):1", "which is no island"),
])
def test_solution_carrying_cell_needs_a_readable_reference_answer(task, answer, message):
    _, state = _helix(task, 1)
    if task == "kukurasu":
        state = dict(state, size=3, row_sums=[1, 1, 1], col_sums=[1, 1, 1])
    with pytest.raises(official.AdapterError, match=message):
        official.to_official(task, state, answer)


def test_bridges_answer_with_three_bridges_between_a_pair_is_refused():
    state = {"size": 5, "islands": [{"x": 0, "y": 0, "num": 3}, {"x": 0, "y": 3, "num": 3}]}
    with pytest.raises(official.AdapterError, match="puts 3 bridges"):
        official.to_official("bridges", state, "(0,0)-(0,3):2\n(0,0)-(0,3):1")
