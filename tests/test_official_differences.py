"""The deliberate differences of docs/official-differences.md, pinned: each answer below is one the
official evaluator accepts (by the behaviour the page describes) and helix rejects, because the
question states the rule the evaluator does not check; and the answer spellings helix reads
where the official reader does not."""

from __future__ import annotations

import json

from tests.tasks.checklist import instance
from verifiers.registry import verify_answer


def test_hamiltonian_path_must_begin_at_the_stated_start():
    state = {"adjacency": {"0": [1, 3], "1": [0, 2], "2": [1, 3], "3": [0, 2]}, "start_vertex": 0}
    assert verify_answer("hamiltonian_path", state, "[0, 1, 2, 3]").correct
    # a Hamiltonian path, from another vertex: the official evaluator accepts it
    verdict = verify_answer("hamiltonian_path", state, "[1, 2, 3, 0]")
    assert not verdict.correct and verdict.status == "wrong"


def test_calcudoku_division_needs_an_exact_quotient():
    cages = [{"cells": [[1, 1], [1, 2]], "operator": "/", "target": 1}]
    cages += [{"cells": [[r, c]], "operator": "=", "target": v}
              for r, row in enumerate([[2, 3, 1], [3, 1, 2], [1, 2, 3]], 1)
              for c, v in enumerate(row, 1) if (r, c) not in ((1, 1), (1, 2))]
    state = {"size": 3, "cages": cages}
    # 3 // 2 == 1 satisfies the official `max // min` reading of "÷ 1"; 3 / 2 is not 1
    verdict = verify_answer("calcudoku", state, "[[2, 3, 1], [3, 1, 2], [1, 2, 3]]")
    assert not verdict.correct and verdict.status == "wrong"


def test_eulero_answer_must_be_exactly_n_by_n():
    inst = instance("eulero", 1, 0)
    assert verify_answer("eulero", inst.initial_state, inst.solution.answer).correct
    # a 4 x 4 grid keeping the 3 x 3 givens in place: the official evaluator sizes the grid from
    # the answer and pads the givens
    bigger = "A2|B1|C3|D4\nC1|A3|B2|D1\nB3|C2|A1|D2\nD3|A4|B4|C4"
    assert not verify_answer("eulero", inst.initial_state, bigger).correct


def test_snake_is_a_path_not_a_set_of_cells():
    inst = instance("snake", 1, 0)
    cells = inst.solution.answer.split()
    assert verify_answer("snake", inst.initial_state, " ".join(cells)).correct
    shuffled = " ".join(cells[::2] + cells[1::2])  # the same set of cells, not a path
    assert not verify_answer("snake", inst.initial_state, shuffled).correct


def test_shingoki_points_must_lie_on_the_grid():
    inst = instance("shingoki", 1, 0)
    rows = json.loads(json.dumps(inst.initial_state))["rows"]
    outside = inst.solution.answer + f" ({rows - 1},0)-({rows},0)"  # one point past the last row
    assert not verify_answer("shingoki", inst.initial_state, outside).correct


def test_maze_walk_must_not_cross_walls():
    # a 2 x 2 maze: S top-left, E bottom-left, a wall between them, open around the right side
    state = {"size": 2, "maze": ["#####", "#S..#", "###.#", "#E..#", "#####"]}
    assert verify_answer("maze", state, "right down left").correct
    assert not verify_answer("maze", state, "down").correct  # through the wall


def test_spellings_the_official_readers_miss():
    # wordsearch: the published reference answers put '@' last; the official reader cannot parse it
    inst = instance("wordsearch", 1, 0)
    word, direction, at = inst.solution.answer.split(" ", 2)
    at = at.removeprefix("@").strip()
    assert verify_answer("wordsearch", inst.initial_state, f"{word} {direction} {at} @").correct
    # bridges: a line without ':count' is one bridge (the official reader drops the line)
    state = {"size": 3, "islands": [{"x": 0, "y": 0, "num": 1}, {"x": 0, "y": 2, "num": 1}]}
    assert verify_answer("bridges", state, "(0,0)-(0,2)").correct
