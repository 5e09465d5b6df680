"""Sliding puzzle (games; official label `slidingpuzzle`).

The 15-puzzle: a 4x4 board, tiles 1..15 and a blank (0), solved as 1..15 row by row with the blank
last. The level sets how many random moves scramble the solved board; the solver is IDA* with an
admissible heuristic (per axis, the larger of the walking distance and the Manhattan distance plus
linear conflicts), so the stored answer is a shortest solution; every threshold round that fails is
recorded as a dead end.
"""

from __future__ import annotations

import random
from functools import lru_cache
from typing import NamedTuple

from PIL import Image, ImageDraw
from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import font, to_png

N = 4


class Level(NamedTuple):
    fewest_moves: int  # random moves that scramble the solved board
    most_moves: int


LEVELS = {1: Level(1, 6), 2: Level(7, 12), 3: Level(13, 20), 4: Level(21, 30), 5: Level(31, 45)}
NODE_BUDGET = 60_000  # IDA* expansions (~2 µs each); the rare scramble that needs more is redrawn
GOAL = tuple(list(range(1, N * N)) + [0])

# blank step -> the word for the TILE that slides into the blank (it moves the opposite way)
BLANK_STEPS = {-N: "down", N: "up", -1: "right", 1: "left"}
# neighbours of each blank position, in a fixed order
NEIGHBOURS = tuple(tuple(p + d for d in (-N, N, -1, 1)
                         if 0 <= p + d < N * N and (d in (-N, N) or (p + d) // N == p // N))
                   for p in range(N * N))
# MANHATTAN[tile][pos]: distance of `tile` at `pos` from its home
MANHATTAN = [[0] * (N * N)] + [[abs(p // N - (t - 1) // N) + abs(p % N - (t - 1) % N)
                                for p in range(N * N)] for t in range(1, N * N)]
# STEP_COST[tile][a][b]: change of the tile's Manhattan distance when it slides from a to b
STEP_COST = [[[MANHATTAN[t][b] - MANHATTAN[t][a] for b in range(N * N)] for a in range(N * N)]
             for t in range(N * N)]
# LINE_TOUCHED[tile][a][b]: the one line whose conflicts a slide a -> b can change, or -1: the
# tile's home row when it moves vertically into or out of it (columns likewise), else none
LINE_TOUCHED = [[[-1] * (N * N) for _ in range(N * N)] for _ in range(N * N)]
for _t in range(1, N * N):
    for _a in range(N * N):
        for _b in NEIGHBOURS[_a]:
            if abs(_a - _b) == N and (_t - 1) // N in (_a // N, _b // N):
                LINE_TOUCHED[_t][_a][_b] = (_t - 1) // N
            elif abs(_a - _b) == 1 and (_t - 1) % N in (_a % N, _b % N):
                LINE_TOUCHED[_t][_a][_b] = N + (_t - 1) % N
LINES = [tuple(range(r * N, r * N + N)) for r in range(N)] + [tuple(range(c, N * N, N)) for c in range(N)]


class State(BaseModel):
    board: list[list[int]]  # rows top to bottom, 0 = blank


class SlidingPuzzle(Task[State]):
    name = "slidingpuzzle"
    category = "games"
    official_name = "slidingpuzzle"
    score_function = "sliding_puzzle_evaluator"
    levels = LEVELS
    rules = ("The 15-puzzle: a 4x4 board with tiles 1 to 15 and one blank (0). A move slides a tile "
             "next to the blank into it. Reach the solved board: 1 2 3 4 / 5 6 7 8 / 9 10 11 12 / "
             "13 14 15 0 (blank at the bottom right). Each move is named by the direction the "
             "tile moves: 'left' slides the tile right of the blank to the left, 'up' slides the "
             "tile below the blank up, and so on.")
    answer_format = "the moves separated by spaces, each the direction the tile moves, e.g. left down left up up"

    def generate(self, rng: random.Random, level: int) -> State:
        low, high = self.params(level)
        board = list(GOAL)
        blank = N * N - 1
        previous = -1
        for _ in range(rng.randint(low, high)):
            # never undo the previous move: a scramble that doubles back is shallower than its length
            options = [p for p in NEIGHBOURS[blank] if p != previous]
            to = rng.choice(options)
            board[blank], board[to] = board[to], 0
            previous, blank = blank, to
        if tuple(board) == GOAL:
            raise Rejected("the scramble returned to the solved board")
        return State(board=[board[r * N:(r + 1) * N] for r in range(N)])

    def solve(self, state: State) -> Solution:
        board = [t for row in state.board for t in row]
        search = _IdaStar(board)
        steps = [Step(kind="observe", text="I search with IDA*: depth-first searches bounded by "
                      "f = moves made + h, where h adds up, for vertical and for horizontal moves "
                      "separately, the larger of the walking distance and the Manhattan distance + "
                      "2 x linear conflicts; the heuristic "
                      "never overestimates, so the first solution found is a shortest one. "
                      f"The start board has heuristic {search.h0}.", anchor=_board_text(board))]
        path = search.run(steps)
        if path is None:
            raise Rejected("IDA* node budget exhausted")
        moves = [BLANK_STEPS[b - a] for a, b in zip([board.index(0)] + path, path)]
        current = list(board)
        blank = current.index(0)
        for i, to in enumerate(path, 1):
            current[blank], current[to] = current[to], 0
            tile = current[blank]
            blank = to
            if i % 5 == 0 or i == len(path):
                steps.append(Step(kind="check", text=f"After move {i} ({moves[i - 1]}, tile {tile}):",
                                  anchor=_board_text(current)))
        answer = " ".join(moves)
        steps.append(Step(kind="conclude", text=f"A shortest solution has {len(moves)} moves "
                          f"({search.nodes} nodes expanded): {answer}"))
        return Solution(answer=answer, steps=steps, effort=len(moves))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Sliding puzzle. " + self.rules
        if variant == "image":
            body = "The picture shows the 4x4 board; the empty square is the blank."
        else:
            body = "The board, rows top to bottom (0 = blank):\n" + _board_text(
                [t for row in state.board for t in row])
        return (f"{intro}\n\n{body}\n\nWhich moves solve the puzzle? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        # pasted from cached tile pictures in 16 grey levels: drawing text and compressing a
        # full-range greyscale picture was most of the time of an easy instance
        image = _background().copy()
        for r, row in enumerate(state.board):
            for c, tile in enumerate(row):
                if tile:
                    image.paste(_tile_picture(tile), (MARGIN + c * CELL + 3, TOP + r * CELL + 3))
        return [to_png(image.convert("P"))]

    def initial_state(self, state: State) -> dict:
        return {"board": [list(row) for row in state.board]}


class _IdaStar:
    """IDA* over a mutable board with an incremental heuristic. Vertical and horizontal moves are
    disjoint, so each axis gets its own lower bound and the two add up: per axis the larger of the
    walking distance (exact moves to sort tiles into their home rows, ignoring order within a row)
    and the Manhattan distance plus linear conflicts. A move updates one axis: one tile's Manhattan
    distance, one walking-distance table index, and at most the conflicts of the tile's home line."""

    def __init__(self, board: list[int]):
        self.board = list(board)
        self.line_cost = [_conflicts(i, [self.board[p] for p in LINES[i]]) for i in range(2 * N)]
        index, self.wd, self.wd_next = _walking_distance()
        self.rows = index[_axis_matrix(self.board, 0)]
        self.cols = index[_axis_matrix(self.board, 1)]
        self.md = [sum(abs(p // N - GOAL_ROW[t]) for p, t in enumerate(self.board) if t),
                   sum(abs(p % N - GOAL_COL[t]) for p, t in enumerate(self.board) if t)]
        self.h0 = (max(self.wd[self.rows], self.md[0] + sum(self.line_cost[:N]))
                   + max(self.wd[self.cols], self.md[1] + sum(self.line_cost[N:])))
        self.nodes = 0

    def run(self, steps: list[Step]) -> list[int] | None:
        bound = self.h0
        blank = self.board.index(0)
        start = (self.rows, self.cols, self.md[0], self.md[1], sum(self.line_cost[:N]),
                 sum(self.line_cost[N:]))
        while True:
            path: list[int] = []
            before = self.nodes
            found = self._search(blank, bound, start, path)
            if found is True:
                steps.append(Step(kind="try", text=f"Bound f <= {bound}: solution found after "
                                  f"{self.nodes - before} nodes in this round."))
                return path
            if found is None:
                return None
            steps.append(Step(kind="dead_end", text=f"Bound f <= {bound}: every line of play "
                              f"exceeds it ({self.nodes - before} nodes); the smallest f beyond "
                              f"it is {found}, so no solution has fewer than {found} moves.",
                              anchor=f"threshold {bound} -> {found}"))
            steps.append(Step(kind="backtrack", text=f"Restart from the initial board with bound "
                              f"{found}."))
            bound = found

    def _search(self, blank: int, bound: int, start: tuple[int, ...], path: list[int]):
        """One depth-first round bounded by f <= bound: True when solved (the blank's cells in
        `path`), None when over budget, else the least f above `bound`. A closure over locals:
        this loop is the whole cost of the task."""
        board, cost, wd, wd_next = self.board, self.line_cost, self.wd, self.wd_next
        budget = NODE_BUDGET - self.nodes
        expanded = 0

        def search(blank: int, came: int, g: int, rows: int, cols: int, mdr: int, mdc: int,
                   lcr: int, lcc: int):
            nonlocal expanded
            expanded += 1
            if expanded > budget:
                return None
            least = 1 << 30
            for to in NEIGHBOURS[blank]:
                if to == came:
                    continue
                tile = board[to]
                board[blank], board[to] = tile, 0
                line = LINE_TOUCHED[tile][to][blank]
                if line >= 0:
                    before = cost[line]
                    cost[line] = _conflicts(line, [board[p] for p in LINES[line]])
                    change = cost[line] - before
                step = STEP_COST[tile][to][blank]
                if to - blank in (N, -N):  # vertical: the tile changes row
                    n_rows, n_cols = wd_next[rows][(to > blank) * N + GOAL_ROW[tile]], cols
                    n_mdr, n_mdc = mdr + step, mdc
                    n_lcr, n_lcc = (lcr + change if line >= 0 else lcr), lcc
                else:
                    n_rows, n_cols = rows, wd_next[cols][(to > blank) * N + GOAL_COL[tile]]
                    n_mdr, n_mdc = mdr, mdc + step
                    n_lcr, n_lcc = lcr, (lcc + change if line >= 0 else lcc)
                a, b = wd[n_rows], n_mdr + n_lcr
                c, d = wd[n_cols], n_mdc + n_lcc
                h = (a if a > b else b) + (c if c > d else d)
                path.append(to)
                if g + 1 + h > bound:
                    result = g + 1 + h
                elif h == 0:
                    return True
                else:
                    result = search(to, blank, g + 1, n_rows, n_cols, n_mdr, n_mdc, n_lcr, n_lcc)
                    if result is True:
                        return True
                path.pop()
                board[to], board[blank] = tile, 0
                if line >= 0:
                    cost[line] = before
                if result is None:
                    return None
                if result < least:
                    least = result
            return least

        if self.h0 == 0:
            return True
        try:
            return search(blank, -1, 0, *start)
        finally:
            self.nodes += min(expanded, budget + 1)


GOAL_ROW = [N - 1] + [(t - 1) // N for t in range(1, N * N)]
GOAL_COL = [N - 1] + [(t - 1) % N for t in range(1, N * N)]


def _axis_matrix(board: list[int], axis: int) -> tuple[int, ...]:
    """Walking-distance key: entry (i, j) counts the tiles in row i whose home row is j (axis 0),
    or the same for columns (axis 1). By the board's symmetry both axes share one table."""
    counts = [0] * (N * N)
    for p, t in enumerate(board):
        if t:
            if axis == 0:
                counts[N * (p // N) + GOAL_ROW[t]] += 1
            else:
                counts[N * (p % N) + GOAL_COL[t]] += 1
    return tuple(counts)


@lru_cache(maxsize=1)
def _walking_distance() -> tuple[dict[tuple[int, ...], int], bytes, list[list[int]]]:
    """Breadth-first search from the goal over walking-distance keys (24,964 of them, ~0.15 s
    once per process): the exact number of moves to bring every tile into its home row when
    tiles in a row are interchangeable. Returns key -> index, index -> distance, and
    index -> [N * (tile came from below the blank) + tile's home row] -> next index (-1: no
    such tile)."""
    goal = [0] * (N * N)
    for r in range(N):
        goal[N * r + r] = N
    goal[-1] = N - 1  # the blank's home row holds one tile fewer
    keys = [tuple(goal)]
    index = {keys[0]: 0}
    distance = [0]
    moves: list[list[int]] = []
    i = 0
    while i < len(keys):
        key = keys[i]
        blank_row = next(r for r in range(N) if sum(key[N * r:N * r + N]) == N - 1)
        row_moves = [-1] * (2 * N)
        for below, source in ((0, blank_row - 1), (1, blank_row + 1)):
            if not 0 <= source < N:
                continue
            for home in range(N):
                if key[N * source + home]:
                    nxt = list(key)
                    nxt[N * source + home] -= 1
                    nxt[N * blank_row + home] += 1
                    nxt_key = tuple(nxt)
                    if nxt_key not in index:
                        index[nxt_key] = len(keys)
                        keys.append(nxt_key)
                        distance.append(distance[i] + 1)
                    row_moves[N * below + home] = index[nxt_key]
        moves.append(row_moves)
        i += 1
    return index, bytes(distance), moves


_CONFLICT_CACHE: dict[tuple[int, tuple[int, ...]], int] = {}


def _conflicts(line: int, tiles: list[int]) -> int:
    """2 x (tiles in their home line that must leave it to pass each other), cached per line."""
    key = (line, tuple(tiles))
    cached = _CONFLICT_CACHE.get(key)
    if cached is not None:
        return cached
    # home positions along the line of the tiles that belong to it
    if line < N:
        homes = [(t - 1) % N for t in tiles if t and (t - 1) // N == line]
    else:
        homes = [(t - 1) // N for t in tiles if t and (t - 1) % N == line - N]
    # tiles to remove = len - longest increasing subsequence of home positions (exact, n <= 4)
    best = [1] * len(homes)
    for i in range(len(homes)):
        for j in range(i):
            if homes[j] < homes[i]:
                best[i] = max(best[i], best[j] + 1)
    value = 2 * (len(homes) - max(best, default=0))
    _CONFLICT_CACHE[key] = value
    return value

CELL, MARGIN, TOP = 64, 12, 36  # picture geometry (pixels)
# 16 grey levels: anti-aliased text stays smooth, and a picture of few values compresses fast
GREY_LEVELS = [min(255, 17 * round(v / 17)) for v in range(256)]


@lru_cache(maxsize=1)
def _background() -> Image.Image:
    side = 2 * MARGIN + N * CELL
    image = Image.new("L", (side, side + TOP - MARGIN), 255)
    draw = ImageDraw.Draw(image)
    draw.text((side / 2, TOP / 2), "15-puzzle (empty square = blank)", font=font(15), fill=0,
              anchor="mm")
    draw.rectangle([MARGIN, TOP, MARGIN + N * CELL, TOP + N * CELL], outline=0, width=3)
    return image.point(GREY_LEVELS)


@lru_cache(maxsize=N * N)
def _tile_picture(tile: int) -> Image.Image:
    """One tile's square, cropped to the square itself: the board's frame (3 px, drawn inside
    the board) lies in the white gap around the squares of the edge cells, so pasting the crop
    never covers it."""
    image = Image.new("L", (CELL, CELL), 255)
    draw = ImageDraw.Draw(image)
    draw.rectangle([3, 3, CELL - 3, CELL - 3], fill=205, outline=0, width=2)
    draw.text((CELL / 2, CELL / 2), str(tile), font=font(26), fill=0, anchor="mm")
    return image.crop((3, 3, CELL - 2, CELL - 2)).point(GREY_LEVELS)


def _board_text(board: list[int]) -> str:
    return "\n".join(" ".join(f"{t:2d}" for t in board[r * N:(r + 1) * N]) for r in range(N))


register(SlidingPuzzle())
