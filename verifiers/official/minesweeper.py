"""minesweeper: the official cell is the board as text, one `|a|b|c|` line per row, where a cell
is a digit 1-8 (a safe cell's count of neighbouring mines) or a space (a mine, or a safe cell with
no mine around it: the official generator never writes 0). helix keeps the same board as
`{"rows", "cols", "board"}` with "." for a blank. The board is all there is: the mine total is not
stated anywhere, and the question holds nothing the cell lacks, so it is not read."""

from __future__ import annotations

import re
from typing import Any

from verifiers.official import AdapterError, register

BLANK = "."
_ROW = re.compile(r"\|(?:[ 1-8]\|)+")


def to_helix(initial_state: str, question: str) -> dict[str, Any]:
    text = initial_state.strip()
    if not text:
        raise AdapterError("minesweeper: initial_state is empty; expected rows like '| |1| |'")
    board: list[list[str]] = []
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not _ROW.fullmatch(line):
            raise AdapterError(f"minesweeper: board line {number} is {line[:40]!r}; expected cells "
                               "between bars, each a space or a digit 1-8, e.g. '| |1| |'")
        board.append([BLANK if v == " " else v for v in line[1:-1].split("|")])
    if any(len(row) != len(board[0]) for row in board):
        raise AdapterError(f"minesweeper: board rows differ in length "
                           f"({sorted({len(row) for row in board})} cells)")
    return {"rows": len(board), "cols": len(board[0]), "board": board}


def to_official(state: dict[str, Any], answer: str) -> str:
    # the official generator's transcription: a blank (mine or 0) is a space between the bars
    return "\n".join("|" + "|".join(" " if v == BLANK else v for v in row) + "|"
                     for row in state["board"])


register("minesweeper", to_helix=to_helix, to_official=to_official)
