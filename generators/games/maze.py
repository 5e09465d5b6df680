"""Maze (games; official label `maze`).

A perfect maze (randomised depth-first carving over an n x n cell grid, walls between cells), so
exactly one simple path joins S and E. The solver is a depth-first search that records every dead
end it walks into and the junction it backtracks to, then reads the path off the search stack.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Solution, Step, Task, Variant
from generators.registry import register
from generators.render import BLACK, GREEN, GREY, RED, canvas, text_center, to_png


class Level(NamedTuple):
    side: int  # cells per side


LEVELS = {1: Level(3), 2: Level(5), 3: Level(7), 4: Level(9), 5: Level(11)}

# move name -> (row delta, column delta); the order is the solver's fixed trial order
MOVES: dict[str, tuple[int, int]] = {"right": (0, 1), "down": (1, 0), "left": (0, -1), "up": (-1, 0)}
Cell = tuple[int, int]


class State(BaseModel):
    size: int
    # open[r][c] = the directions (names of MOVES) one can walk from cell (r, c); symmetric
    open: list[list[list[str]]]
    start: tuple[int, int]
    end: tuple[int, int]


class Maze(Task[State]):
    name = "maze"
    category = "games"
    official_name = "maze"
    score_function = "maze_evaluator"
    levels = LEVELS
    unique = True
    rules = ("The maze is a square grid of cells separated by walls. Start at S and reach E, moving "
             "one cell at a time up, down, left or right; a move may not cross a wall or leave the "
             "maze. In the text form each cell (r, c) is the character at row 2r+1, column 2c+1; "
             "'#' is wall, '.' is open, and a move goes two characters through an open gap.")
    answer_format = "the moves separated by spaces, e.g. right down left up"

    def generate(self, rng: random.Random, level: int) -> State:
        n = self.params(level).side
        open_ = _carve(rng, n)
        start = (rng.randrange(n), rng.randrange(n))
        # the farthest cell from S makes the longest (hardest) route this maze offers
        dist = _distances(open_, start)
        far = max(dist.values())
        end = min(cell for cell, d in dist.items() if d == far)
        return State(size=n, open=[[sorted(open_[r][c]) for c in range(n)] for r in range(n)],
                     start=start, end=end)

    def solve(self, state: State) -> Solution:
        grid = _text_rows(state)
        start, end = tuple(state.start), tuple(state.end)
        steps = [Step(kind="observe", text=f"The maze has {state.size}x{state.size} cells; S is at "
                      f"cell {start}, E at cell {end}. I search depth-first, trying the open "
                      "directions in the order right, down, left, up, and back up out of dead ends.",
                      anchor="\n".join(grid))]
        path: list[Cell] = [start]
        moves: list[str] = []
        visited = {start}
        explored = 1
        while path[-1] != end:
            here = path[-1]
            options = [m for m in MOVES if m in state.open[here[0]][here[1]]
                       and _step(here, m) not in visited]
            if options:
                move = options[0]
                nxt = _step(here, move)
                if len(options) > 1:
                    steps.append(Step(kind="try", text=f"At junction {here} the unexplored ways are "
                                      f"{', '.join(options)}; I try {move}.",
                                      anchor=_path_anchor(here, moves)))
                visited.add(nxt)
                explored += 1
                path.append(nxt)
                moves.append(move)
                continue
            steps.append(Step(kind="dead_end", text=f"Cell {here} is a dead end: every open "
                              "neighbour is already explored and E is not here.",
                              anchor=_path_anchor(here, moves)))
            while True:  # walk back to the last cell with an unexplored way
                path.pop()
                moves.pop()
                back = path[-1]
                if any(m in state.open[back[0]][back[1]] and _step(back, m) not in visited
                       for m in MOVES):
                    break
            steps.append(Step(kind="backtrack", text=f"I go back to {back}, which still has an "
                              "unexplored way.", anchor=_path_anchor(back, moves)))
        answer = " ".join(moves)
        steps.append(Step(kind="check", text=f"Reached E at {end} after {len(moves)} moves, "
                          f"having explored {explored} cells. The maze is perfect (a spanning "
                          "tree of the cells), so this is the only path that never revisits a cell.",
                          anchor=" -> ".join(str(c) for c in path)))
        steps.append(Step(kind="conclude", text=f"The path from S to E is: {answer}."))
        return Solution(answer=answer, steps=steps, num_solutions=_count_paths(state),
                        effort=explored)

    def question(self, state: State, variant: Variant) -> str:
        intro = "Maze. " + self.rules
        if variant == "image":
            body = (f"The picture shows a {state.size}x{state.size} maze: thick black lines are "
                    "walls, the green S marks the start and the red E the exit; rows and columns "
                    "are numbered from 0.")
        else:
            body = (f"The maze ({state.size}x{state.size} cells, S = start, E = exit):\n"
                    + "\n".join(_text_rows(state)))
        return (f"{intro}\n\n{body}\n\nWhich moves lead from S to E? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        n = state.size
        cell = max(36, min(64, 520 // n))
        margin = 32
        side = margin * 2 + n * cell
        image, draw = canvas(side, side)
        draw.rectangle([margin, margin, margin + n * cell, margin + n * cell], fill=(235, 244, 255))
        for r in range(n):
            text_center(draw, (margin / 2, margin + (r + 0.5) * cell), str(r), 13, fill=GREY)
        for c in range(n):
            text_center(draw, (margin + (c + 0.5) * cell, margin / 2), str(c), 13, fill=GREY)
        for label, (r, c), color in (("S", state.start, GREEN), ("E", state.end, RED)):
            x, y = margin + c * cell, margin + r * cell
            draw.rectangle([x + 4, y + 4, x + cell - 4, y + cell - 4], fill=color)
            text_center(draw, (x + cell / 2, y + cell / 2), label, cell // 2, fill=(255, 255, 255))
        width = max(3, cell // 12)
        h = width // 2  # lines overshoot by half their width so that corners close squarely
        for r in range(n):
            for c in range(n):
                x, y = margin + c * cell, margin + r * cell
                ways = state.open[r][c]
                if "right" not in ways:
                    draw.line([(x + cell, y - h), (x + cell, y + cell + h)], fill=BLACK, width=width)
                if "down" not in ways:
                    draw.line([(x - h, y + cell), (x + cell + h, y + cell)], fill=BLACK, width=width)
                if c == 0 and "left" not in ways:
                    draw.line([(x, y - h), (x, y + cell + h)], fill=BLACK, width=width)
                if r == 0 and "up" not in ways:
                    draw.line([(x - h, y), (x + cell + h, y)], fill=BLACK, width=width)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"size": state.size, "maze": _text_rows(state)}


def _step(cell: Cell, move: str) -> Cell:
    dr, dc = MOVES[move]
    return (cell[0] + dr, cell[1] + dc)


_OPPOSITE = {"right": "left", "left": "right", "down": "up", "up": "down"}


def _carve(rng: random.Random, n: int) -> list[list[set[str]]]:
    """Randomised depth-first carving (iterative): a uniform-ish spanning tree with long corridors."""
    open_: list[list[set[str]]] = [[set() for _ in range(n)] for _ in range(n)]
    seen = [[False] * n for _ in range(n)]
    first = (rng.randrange(n), rng.randrange(n))
    seen[first[0]][first[1]] = True
    stack = [first]
    while stack:
        r, c = stack[-1]
        fresh = [m for m in MOVES if 0 <= r + MOVES[m][0] < n and 0 <= c + MOVES[m][1] < n
                 and not seen[r + MOVES[m][0]][c + MOVES[m][1]]]
        if not fresh:
            stack.pop()
            continue
        move = rng.choice(fresh)
        nr, nc = _step((r, c), move)
        open_[r][c].add(move)
        open_[nr][nc].add(_OPPOSITE[move])
        seen[nr][nc] = True
        stack.append((nr, nc))
    return open_


def _distances(open_: list[list[set[str]]], start: Cell) -> dict[Cell, int]:
    dist = {start: 0}
    frontier = [start]
    while frontier:
        nxt = []
        for cell in frontier:
            for move in sorted(open_[cell[0]][cell[1]]):
                to = _step(cell, move)
                if to not in dist:
                    dist[to] = dist[cell] + 1
                    nxt.append(to)
        frontier = nxt
    return dist


def _count_paths(state: State, cap: int = 2) -> int:
    """Simple paths from S to E, counted up to `cap` (1 for a perfect maze: proves uniqueness)."""
    end = tuple(state.end)
    count = 0
    seen = {tuple(state.start)}
    stack = [(tuple(state.start), iter(MOVES))]
    while stack and count < cap:
        cell, ways = stack[-1]
        move = next(ways, None)
        if move is None:
            stack.pop()
            seen.discard(cell)
            continue
        if move not in state.open[cell[0]][cell[1]]:
            continue
        to = _step(cell, move)
        if to in seen:
            continue
        if to == end:
            count += 1
            continue
        seen.add(to)
        stack.append((to, iter(MOVES)))
    return count


def _text_rows(state: State) -> list[str]:
    """(2n+1) rows: cell (r, c) at (2r+1, 2c+1), the gap to its right at (2r+1, 2c+2)."""
    n = state.size
    rows = [["#"] * (2 * n + 1) for _ in range(2 * n + 1)]
    for r in range(n):
        for c in range(n):
            rows[2 * r + 1][2 * c + 1] = "."
            if "right" in state.open[r][c]:
                rows[2 * r + 1][2 * c + 2] = "."
            if "down" in state.open[r][c]:
                rows[2 * r + 2][2 * c + 1] = "."
    rows[2 * state.start[0] + 1][2 * state.start[1] + 1] = "S"
    rows[2 * state.end[0] + 1][2 * state.end[1] + 1] = "E"
    return ["".join(row) for row in rows]


def _path_anchor(here: Cell, moves: list[str]) -> str:
    return f"at {here}; path so far: {' '.join(moves) if moves else '(none)'}"


register(Maze())
