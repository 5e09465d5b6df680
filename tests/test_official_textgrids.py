"""Official adapters for the text-grid tasks (maze, sokoban, sudoku, eulero): the official cell is
raw text there. Complements tests/test_official.py with: the written cell has the public
generator's exact layout, the official evaluators' reading of that cell accepts helix's reference
answer (re-stated here from their rules, not imported), every question wording gives the same
state, and malformed cells are named errors."""

from __future__ import annotations

import json
import re

import pytest

from generators import registry as generators
from tests.tasks.checklist import instance
from tests.test_official import sample_rows
from verifiers import official
from verifiers import registry as verifiers

TASKS = ("maze", "sokoban", "sudoku", "eulero")
MOVES = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}


def _rows_of(task: str) -> list[dict]:
    return [r for r in sample_rows() if r["category"] == generators.get(task).official_name]


def _helix_cases(task: str) -> list[tuple[dict, str, str]]:
    """(state, official cell, reference answer) for helix instances at every level."""
    out = []
    for level in range(1, 6):
        inst = instance(task, level, 0)
        state = json.loads(json.dumps(inst.initial_state))
        out.append((state, official.to_official(task, state, inst.solution.answer), inst.solution.answer))
    return out


# -- the official evaluators' rules, re-stated (what they read from the cell) -------------------

def _official_maze_accepts(cell: str, answer: str) -> bool:
    """maze_check: walk two characters per move from S (walls are not looked at), end on E."""
    grid = cell.strip().split("\n")
    r, c = next((i, row.index("S")) for i, row in enumerate(grid) if "S" in row)
    for move in re.findall(r"\b(up|down|left|right)\b", answer.lower()):
        r, c = r + 2 * MOVES[move][0], c + 2 * MOVES[move][1]
        if not (0 <= r < len(grid) and 0 <= c < len(grid[r])):
            return False
    return grid[r][c] == "E"


def _official_sokoban_accepts(cell: str, answer: str) -> bool:
    """Sokoban simulator: '#' blocks, any other character is floor; solved when the boxes and the
    goals are the same set."""
    rows = cell.strip().split("\n")
    height, width = len(rows), max(map(len, rows))
    walls = {(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch == "#"}
    boxes = {(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch in "$*"}
    goals = {(r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch in ".*+"}
    pos = next((r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch in "@+")
    for move in answer.split():
        dr, dc = MOVES[move]
        nxt = (pos[0] + dr, pos[1] + dc)
        if not (0 <= nxt[0] < height and 0 <= nxt[1] < width) or nxt in walls:
            return False
        if nxt in boxes:
            beyond = (nxt[0] + dr, nxt[1] + dc)
            if not (0 <= beyond[0] < height and 0 <= beyond[1] < width) or beyond in walls | boxes:
                return False
            boxes = boxes - {nxt} | {beyond}
        pos = nxt
    return boxes == goals


def _official_sudoku_accepts(cell: str, answer: str) -> bool:
    """SudokuEvaluator: the cell's tokens ('.' = 0) must be 81; givens kept; rules hold."""
    tokens = [0 if t == "." else int(t) for line in cell.strip().splitlines() for t in line.split()]
    digits = [int(t) for t in answer.split()]
    if len(tokens) != 81 or len(digits) != 81:
        return False
    if any(g and g != d for g, d in zip(tokens, digits)):
        return False
    units = ([[r * 9 + c for c in range(9)] for r in range(9)] + [[r * 9 + c for r in range(9)] for c in range(9)]
             + [[(b // 3) * 27 + (b % 3) * 3 + (k // 3) * 9 + k % 3 for k in range(9)] for b in range(9)])
    return all({digits[i] for i in unit} == set(range(1, 10)) for unit in units)


def _official_eulero_accepts(cell: str, answer: str) -> bool:
    """EuleroEvaluator: givens read per '|' cell from the stripped lines; answer pairs valid for its
    own size, Latin in letters and numbers, pairs unique, givens kept."""
    givens = [[t.strip() or None for t in re.split(r"\s*\|\s*", line.strip())]
              for line in cell.strip("\n\r").splitlines()]
    grid = [line.strip().split("|") for line in answer.strip().splitlines()]
    n = len(grid)
    if any(len(row) != n or any(not re.fullmatch(r"[A-Z]\d+", x) for x in row) for row in grid):
        return False
    givens = [(row + [None] * n)[:n] for row in givens]
    letters, numbers = {chr(65 + k) for k in range(n)}, {str(k + 1) for k in range(n)}
    cols = [list(col) for col in zip(*grid)]
    return (all({x[0] for x in line} == letters and {x[1:] for x in line} == numbers
                for line in grid + cols)
            and len({x for row in grid for x in row}) == n * n
            and all(g is None or g == grid[r][c] for r, row in enumerate(givens) for c, g in enumerate(row)))


OFFICIAL_ACCEPTS = {"maze": _official_maze_accepts, "sokoban": _official_sokoban_accepts,
                    "sudoku": _official_sudoku_accepts, "eulero": _official_eulero_accepts}


# -- the cell's layout --------------------------------------------------------------------------

def _assert_maze_layout(cell: str) -> None:
    rows = cell.split("\n")
    side = len(rows)
    assert side % 2 == 1 and all(len(row) == side for row in rows)
    for r, row in enumerate(rows):
        for c, ch in enumerate(row):
            if r % 2 == 0 and c % 2 == 0:
                assert ch == "+"
            elif r % 2 == 1 and c % 2 == 1:
                assert ch in "0SE"
            else:
                assert ch in ("| " if r % 2 == 1 else "- ")
    assert cell.count("S") == cell.count("E") == 1
    assert set(rows[0]) == set(rows[-1]) == {"+", "-"}


def _assert_sokoban_layout(cell: str) -> None:
    rows = cell.split("\n")
    assert len({len(row) for row in rows}) == 1
    assert set(cell) <= set("#@+$*. \n") and "-" not in cell
    assert set(rows[0]) == set(rows[-1]) == {"#"} and all(row[0] == row[-1] == "#" for row in rows)


def _assert_sudoku_layout(cell: str) -> None:
    rows = cell.split("\n")
    assert len(rows) == 9
    for row in rows:
        assert re.fullmatch(r"[1-9.]( [1-9.]){8}", row), row


def _assert_eulero_layout(cell: str) -> None:
    rows = cell.split("\n")
    n = len(rows)
    for row in rows:
        cells = row.split("|")
        assert len(cells) == n
        assert all(x == " " or re.fullmatch(r"[A-Z]\d{1,2}", x) for x in cells), row


LAYOUT = {"maze": _assert_maze_layout, "sokoban": _assert_sokoban_layout,
          "sudoku": _assert_sudoku_layout, "eulero": _assert_eulero_layout}


@pytest.mark.parametrize("task", TASKS)
def test_sample_cells_are_rewritten_byte_for_byte(task):
    """The official cell survives import and export unchanged: to_official writes the public
    generator's own text."""
    rows = _rows_of(task)
    if not rows:
        pytest.skip("official sample not present")
    for row in rows:
        state = official.to_helix(task, row["initial_state"], row["question"])
        assert official.to_official(task, state, row["answer"]) == row["initial_state"]
        LAYOUT[task](row["initial_state"])
        assert OFFICIAL_ACCEPTS[task](row["initial_state"], row["answer"])


@pytest.mark.parametrize("task", TASKS)
def test_helix_cells_have_the_official_layout_and_official_rules_accept_the_answer(task):
    for state, cell, answer in _helix_cases(task):
        LAYOUT[task](cell)
        assert OFFICIAL_ACCEPTS[task](cell, answer), (task, cell)
        back = official.to_helix(task, cell, "")
        assert back == state
        assert verifiers.verify_answer(task, back, answer).correct


@pytest.mark.parametrize("task", TASKS)
def test_every_question_wording_gives_the_same_state(task):
    """All facts are in the cell: official image/text questions, helix's questions and none agree."""
    for row in _rows_of(task):
        states = [official.to_helix(task, row["initial_state"], q)
                  for q in (row["question"], row["question_text"], "")]
        assert states[0] == states[1] == states[2]
    inst = instance(task, 1, 1)
    cell = official.to_official(task, json.loads(json.dumps(inst.initial_state)), inst.solution.answer)
    states = [official.to_helix(task, cell, q) for q in (inst.question_image, inst.question_text, "")]
    assert states[0] == states[1] == states[2] == json.loads(json.dumps(inst.initial_state))


def test_states_have_helix_shapes_and_types():
    maze = official.to_helix("maze", "+-+-+\n|S 0|\n+ + +\n|0|E|\n+-+-+", "")
    assert maze == {"size": 2, "maze": ["#####", "#S..#", "#.#.#", "#.#E#", "#####"]}
    assert verifiers.verify_answer("maze", maze, "right down").correct
    assert not verifiers.verify_answer("maze", maze, "down right").correct  # through a wall
    soko = official.to_helix("sokoban", "#####\n#@$.#\n#####", "")
    assert soko == {"map": ["#####", "#@$.#", "#####"]}
    assert official.to_helix("sokoban", "######\n#@$ .#\n######", "") == {"map": ["######", "#@$-.#", "######"]}
    sudoku = official.to_helix("sudoku", "\n".join(". " * 8 + "5" for _ in range(9)), "")
    assert sudoku["grid"][0] == [0] * 8 + [5] and all(type(v) is int for row in sudoku["grid"] for v in row)
    eulero = official.to_helix("eulero", " |C2|A1\nC1|A3|B2\nA2| | ", "")
    assert eulero == {"size": 3, "grid": [[None, "C2", "A1"], ["C1", "A3", "B2"], ["A2", None, None]]}


def test_eulero_cell_with_trimmed_whitespace_reads_the_same():
    """Blank first/last cells are a bare space; a reader that trims the cell must not shift them."""
    cell = " |C2|A1\nC1|A3|B2\nA2| | "
    assert official.to_helix("eulero", cell.strip(), "") == official.to_helix("eulero", cell, "")
    assert official.to_helix("eulero", cell.replace(" ", "").replace("\n", "\r\n"), "") == \
        official.to_helix("eulero", cell, "")


def test_eulero_order_6_rows_convert_but_no_answer_is_accepted():
    """The public generator's level 4 is 6 x 6, where no Graeco-Latin square exists: its block
    fallback leaves cells blank in the reference answer. Such a row still converts to a 6 x 6
    state (helix's own level 4 is 7 x 7), and its blank-celled reference answer is rejected."""
    cell = "A1| |C3| | | \n |A3| |C1| | \n | | | |A5| \nD3| | | | | \n | |A6| | | \n | | | | |A4"
    state = official.to_helix("eulero", cell, "")
    assert state["size"] == 6 and state["grid"][0][:3] == ["A1", None, "C3"]
    answer = ("A1|B2|C3|D4|E5|F6\nB4|A3|D2|C1|F6|E5\nC2|D1|A4|B3|A5| \n"
              "D3|C4|B1|A2| | \nE5|F6|A6|B4|C2|D1\nF4|E3|D6|C5|B2|A4")
    assert not verifiers.verify_answer("eulero", state, answer).correct
    assert official.to_official("eulero", state, answer) == cell
    assert generators.get("eulero").params(4)[0] == 7


BAD = {
    "maze": [
        ("+-+-+\n|S 0|\n+ + +\n|0|E|", "lines"),                         # 4 lines
        ("+-+-+\n|S 0|\n+ + +\n|0|E\n+-+-+", "characters"),              # ragged
        ("+-+-+\n|S 0|\n+ + +\n|0|0|\n+-+-+", "'E'"),                    # no exit
        ("+-+-+\n|S S|\n+ + +\n|0|E|\n+-+-+", "'S'"),                    # two starts
        ("+-+-+\n|S 0 \n+ + +\n|0|E|\n+-+-+", "line 2 column 5"),        # open outer wall
        ("#####\n#S..#\n#.#.#\n#.#E#\n#####", "line 1 column 1"),       # helix's drawing
        ("+-+-+\n|S x|\n+ + +\n|0|E|\n+-+-+", "line 2 column 4"),
    ],
    "sokoban": [
        ("#####\n#@$.#\n####", "row 3"),                                  # ragged
        ("#####\n#@$.#\n#$..#\n#####", "2 boxes and 3 goals"),
        ("#####\n# $.#\n#####", "0 players"),
        ("#####\n#@$.x\n#####", "unknown map symbol 'x'"),
        ("#####\n @$.#\n#####", "outer wall"),
        ("#####", "rows"),
    ],
    "sudoku": [
        ("\n".join([". " * 8 + "."] * 8), "8 grid lines"),
        ("\n".join([". " * 8 + "."] * 8 + [". " * 7 + "."]), "line 9 has 8 cells"),
        ("\n".join([". " * 8 + "."] * 8 + [". " * 8 + "x"]), "line 9 cell 9"),
        ("\n".join([". " * 8 + "."] * 8 + [". " * 8 + "10"]), "line 9 cell 9"),
    ],
    "eulero": [
        (" |C2|A1\nC1|A3|B2", "line 1 has 3 cells"),
        (" |C2|A1\nC1|A3\nA2| | ", "line 2 has 2 cells"),
        (" |C2|A1\nC1|A3|B2\nA2| |Q1", "outside letters"),
        (" |C2|A1\nC1|A3|B2\nA2| |B4", "outside letters"),
        (" |C2|A1\nC1|A3|B2\nA2| |??", "not a letter-number pair"),
        ("A1", "lines"),
    ],
}


@pytest.mark.parametrize("task", TASKS)
def test_malformed_cells_are_named_one_line_errors(task):
    for cell, fragment in BAD[task]:
        with pytest.raises(official.AdapterError) as caught:
            official.to_helix(task, cell, "")
        message = str(caught.value)
        assert "\n" not in message and fragment in message, (cell, message)


@pytest.mark.parametrize("task", TASKS)
def test_malformed_helix_states_are_named_errors(task):
    for state in ({}, {"maze": 3, "map": 3, "grid": 3, "size": 3}, {"size": "x", "grid": [[1]]}):
        with pytest.raises(official.AdapterError):
            official.to_official(task, state, "")
