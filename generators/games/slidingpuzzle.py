"""Sliding puzzle (games; official label `slidingpuzzle`).

The 15-puzzle: a 4x4 board, tiles 1..15 and a blank (0), solved as 1..15 row by row with the blank
last. The level sets how many random moves scramble the solved board; the solver is IDA* with the
Manhattan distance plus linear conflicts (an admissible heuristic), so the stored answer is a
shortest solution; every threshold round that fails is recorded as a dead end.
"""

from __future__ import annotations

import random

from PIL import Image, ImageDraw
from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import font, to_png

N = 4
# level: (fewest scramble moves, most scramble moves)
LEVELS = {1: (1, 6), 2: (7, 12), 3: (13, 20), 4: (21, 30), 5: (31, 45)}
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
                      "f = moves made + (Manhattan distance + 2 x linear conflicts); the heuristic "
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
        # greyscale: a quarter of the bytes of RGB to compress, and the picture needs no colour
        cell, margin, top = 64, 12, 36
        side = 2 * margin + N * cell
        image = Image.new("L", (side, side + top - margin), 255)
        draw = ImageDraw.Draw(image)
        draw.text((side / 2, top / 2), "15-puzzle (empty square = blank)", font=font(15), fill=0,
                  anchor="mm")
        for r, row in enumerate(state.board):
            for c, tile in enumerate(row):
                x, y = margin + c * cell, top + r * cell
                if tile:
                    draw.rectangle([x + 3, y + 3, x + cell - 3, y + cell - 3], fill=205, outline=0,
                                   width=2)
                    draw.text((x + cell / 2, y + cell / 2), str(tile), font=font(26), fill=0,
                              anchor="mm")
        draw.rectangle([margin, top, margin + N * cell, top + N * cell], outline=0, width=3)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"board": [list(row) for row in state.board]}


class _IdaStar:
    """IDA* over a mutable board with an incremental heuristic: a move changes the Manhattan
    distance of one tile and the linear conflicts of the two lines the tile leaves and enters."""

    def __init__(self, board: list[int]):
        self.board = list(board)
        self.line_cost = [_conflicts(i, [self.board[p] for p in LINES[i]]) for i in range(2 * N)]
        self.h0 = sum(MANHATTAN[t][p] for p, t in enumerate(self.board)) + sum(self.line_cost)
        self.nodes = 0

    def run(self, steps: list[Step]) -> list[int] | None:
        bound = self.h0
        blank = self.board.index(0)
        while True:
            path: list[int] = []
            before = self.nodes
            found = self._search(blank, -1, 0, self.h0, bound, path)
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

    def _search(self, blank: int, came: int, g: int, h: int, bound: int, path: list[int]):
        """True when solved; None when over budget; else the least f above `bound`."""
        f = g + h
        if f > bound:
            return f
        if h == 0:
            return True
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            return None
        board, cost = self.board, self.line_cost
        least = 1 << 30
        for to in NEIGHBOURS[blank]:
            if to == came:
                continue
            tile = board[to]
            board[blank], board[to] = tile, 0
            # only the tile's own home row (vertical slide) or home column (horizontal slide)
            # can change its conflicts, and only when the tile leaves or enters that line
            line = LINE_TOUCHED[tile][to][blank]
            if line >= 0:
                before = cost[line]
                cost[line] = _conflicts(line, [board[p] for p in LINES[line]])
                nh = h + STEP_COST[tile][to][blank] + cost[line] - before
            else:
                nh = h + STEP_COST[tile][to][blank]
            path.append(to)
            result = self._search(to, blank, g + 1, nh, bound, path)
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


def _board_text(board: list[int]) -> str:
    return "\n".join(" ".join(f"{t:2d}" for t in board[r * N:(r + 1) * N]) for r in range(N))


register(SlidingPuzzle())
