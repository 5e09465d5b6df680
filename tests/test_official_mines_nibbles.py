"""The official shapes of minesweeper and nibbles (verifiers/official/{minesweeper,nibbles}.py):
odd cells are named errors, the question (official or helix wording) is not needed, and the cell
helix writes has the official generator's structure."""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

import pytest

from tests.tasks.checklist import instance
from verifiers import official

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "interop" / "official_sample.tsv"


def sample(category: str) -> list[dict]:
    if not SAMPLE.exists():
        pytest.skip(f"{SAMPLE} not present")
    csv.field_size_limit(sys.maxsize)
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        return [r for r in csv.DictReader(handle, delimiter="\t") if r["category"] == category]


def questions(task: str, row: dict) -> list[str]:
    """Both official wordings, helix's two wordings of a helix instance, and none at all."""
    inst = instance(task, 1, 0)
    return [row["question"], row["question_text"], inst.question_image, inst.question_text, ""]


# -- minesweeper ------------------------------------------------------------------------------

MINES_ROW = re.compile(r"\|(?:[ 1-8]\|)+")


def test_minesweeper_sample_cells_convert_and_come_back_verbatim():
    for row in sample("minesweeper"):
        states = [official.to_helix("minesweeper", row["initial_state"], q)
                  for q in questions("minesweeper", row)]
        assert all(s == states[0] for s in states)
        state = states[0]
        assert set(state) == {"rows", "cols", "board"}
        assert all(v == "." or v in "12345678" for line in state["board"] for v in line)
        assert official.to_official("minesweeper", state, row["answer"]) == row["initial_state"]
        assert official.verify_official("minesweeper", row["initial_state"], row["question"],
                                        f"<answer>{row['answer']}</answer>").correct


def test_minesweeper_cell_has_the_official_structure():
    for level in (1, 5):
        inst = instance("minesweeper", level, 0)
        n = inst.initial_state["rows"]
        text = official.to_official("minesweeper", inst.initial_state, inst.solution.answer)
        lines = text.split("\n")
        assert len(lines) == n and all(MINES_ROW.fullmatch(line) for line in lines)
        assert all(line.count("|") == n + 1 for line in lines)
        # mines and 0s are both spaces, as the official generator writes them
        mines = {tuple(map(int, m)) for m in re.findall(r"\((\d+), (\d+)\)", inst.solution.answer)}
        assert all(lines[r][2 * c + 1] == " " for r, c in mines)
        assert "0" not in text and "*" not in text


@pytest.mark.parametrize("bad", [
    "", "   \n  ", "|1|2", "| |1|\n|1|", "|0| |", "|*| |", "|11| |", "| |9|", '{"rows": 1}',
    "| |1|\nrow two",
])
def test_minesweeper_odd_cells_are_named(bad):
    with pytest.raises(official.AdapterError) as error:
        official.to_helix("minesweeper", bad, "")
    message = str(error.value)
    assert message.startswith("minesweeper") and "\n" not in message


# -- nibbles ----------------------------------------------------------------------------------

NIBBLES_CELL = re.compile(
    r"Grid: (\d+)x(\d+)\n"
    r"Snake: \(\d+,\d+\)(?: \(\d+,\d+\))*\n"
    r"Direction: (up|down|left|right)\n"
    r"Apples: (?:\(\d+,\d+\)(?: \(\d+,\d+\))*)?\n"
    r"Goal: Eat (\d+) apples?")


def test_nibbles_sample_cells_convert_and_come_back():
    for row in sample("nibbles"):
        states = [official.to_helix("nibbles", row["initial_state"], q)
                  for q in questions("nibbles", row)]
        assert all(s == states[0] for s in states)
        state = states[0]
        assert state["apples"] == sorted(state["apples"])
        text = official.to_official("nibbles", state, row["answer"])
        assert NIBBLES_CELL.fullmatch(text)
        # the same lines, the apples possibly in another order
        ours, theirs = text.split("\n"), row["initial_state"].split("\n")
        assert [l for l in ours if not l.startswith("Apples")] == \
            [l for l in theirs if not l.startswith("Apples")]
        def apples(lines: list[str]) -> list[str]:
            return sorted(next(l for l in lines if l.startswith("Apples")).split()[1:])
        assert apples(ours) == apples(theirs)
        assert official.verify_official("nibbles", row["initial_state"], row["question_text"],
                                        f"<answer>{row['answer']}</answer>").correct


def test_nibbles_cell_has_the_official_structure():
    for level in (1, 5):
        inst = instance("nibbles", level, 0)
        st = inst.initial_state
        text = official.to_official("nibbles", st, inst.solution.answer)
        match = NIBBLES_CELL.fullmatch(text)
        assert match, text
        assert (int(match.group(1)), int(match.group(2))) == (st["grid_size"]["rows"],
                                                              st["grid_size"]["cols"])
        assert match.group(3) == st["direction"] and int(match.group(4)) == len(st["apples"])
        snake = [[int(r), int(c)] for r, c in re.findall(r"\((\d+),(\d+)\)", text.split("\n")[1])]
        assert snake == st["snake"]


def test_nibbles_goal_wording_follows_the_count():
    one = {"grid_size": {"rows": 6, "cols": 6}, "snake": [[2, 4], [2, 3]], "direction": "right",
           "apples": [[4, 3]]}
    assert official.to_official("nibbles", one, "").endswith("Goal: Eat 1 apple")
    two = dict(one, apples=[[0, 0], [4, 3]])
    assert official.to_official("nibbles", two, "").endswith("Goal: Eat 2 apples")


GOOD = "Grid: 6x6\nSnake: (2,4) (2,3)\nDirection: right\nApples: (4,3)\nGoal: Eat 1 apple"


def test_nibbles_lenient_where_the_official_scorer_is():
    # no Goal line, spaces inside cells, capitalised direction, CRLF line ends
    loose = "Grid: 6x6\r\nSnake: (2, 4) (2, 3)\r\nDirection: Right\r\nApples: (4,3)"
    assert official.to_helix("nibbles", loose, "") == official.to_helix("nibbles", GOOD, "")


@pytest.mark.parametrize("bad, names", [
    ("", "lacks"),
    (GOOD.replace("Snake: (2,4) (2,3)\n", ""), "Snake"),
    (GOOD.replace("6x6", "6 by 6"), "Grid"),
    (GOOD.replace("right", "north"), "Direction"),
    (GOOD.replace("right", "left"), "Direction left"),          # head does not point that way
    (GOOD.replace("(4,3)", "(4,9)"), "off the 6x6"),
    (GOOD.replace("(4,3)", "(4,3) (4,3)"), "twice"),
    (GOOD.replace("(4,3)", "4,3"), "Apples"),
    (GOOD + "\nGoal: Eat 1 apple", "twice"),
    (GOOD + "\nSpeed: 3", "line 6"),
    (GOOD.replace("Eat 1 apple", "eat everything"), "Goal"),
    ("Grid: 6x6\nSnake:\nDirection: up\nApples: (1,1)", "no cell"),
    ('{"grid_size": {"rows": 6, "cols": 6}}', "line 1"),
])
def test_nibbles_odd_cells_are_named(bad, names):
    with pytest.raises(official.AdapterError) as error:
        official.to_helix("nibbles", bad, "")
    message = str(error.value)
    assert message.startswith("nibbles") and "\n" not in message and names in message, message
