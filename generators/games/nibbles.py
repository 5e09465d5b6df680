"""Nibbles (games; official label `nibbles`).

A snake on an n x n board must eat every apple. Each move the head steps one cell; the tail
follows unless an apple was just eaten (then the snake grows by one). The official rules: the
snake dies on the board edge or on any cell it occupies before the move, its tail's cell included
(the head moves first), it may not reverse, and every listed move must be safe, also after the
last apple.
The solver picks apples in order of distance, plans each with A* over whole snake positions, and
backtracks when a plan leaves the head unable to reach its own tail (a trap) or no plan exists.
"""

from __future__ import annotations

import heapq
import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import BLACK, GREEN, GREY, RED, canvas, text_center, title, to_png


class Level(NamedTuple):
    side: int  # board cells per side
    apples: int


LEVELS = {1: Level(6, 1), 2: Level(7, 2), 3: Level(8, 3), 4: Level(9, 4), 5: Level(10, 5)}
SNAKE_LENGTH = 3  # the official generator starts at 2; 3 keeps the levels' effort apart
NODE_BUDGET = 20_000  # A* expansions over all plans of one solve
MOVES: dict[str, tuple[int, int]] = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
OPPOSITE = {"up": "down", "down": "up", "left": "right", "right": "left"}
Cell = tuple[int, int]
Body = tuple[Cell, ...]


class State(BaseModel):
    size: int
    snake: list[tuple[int, int]]  # head first
    direction: str                # the way the head last moved
    apples: list[tuple[int, int]]


class Nibbles(Task[State]):
    name = "nibbles"
    category = "games"
    official_name = "nibbles"
    version = 2  # official rules: the tail's cell is not free to enter, every move is checked
    levels = LEVELS
    score_function = "nibbles_evaluator"
    rules = ("Snake (nibbles) on a square board, cells (row, column) from (0, 0) at the top left. "
             "Each move steps the head one cell up, down, left or right and the body follows; "
             "when the head enters an apple the snake eats it and grows by one cell (its tail "
             "stays put that move). The snake dies if the head leaves the board or moves onto any "
             "cell the snake occupies before the move, the tail's cell included (the head moves "
             "before the tail does). The snake may not reverse into the direction opposite to its "
             "last move. Eat every apple; every move you list must be safe, also after the last "
             "apple.")
    answer_format = "the moves separated by spaces, e.g. up up left down"

    def generate(self, rng: random.Random, level: int) -> State:
        n, apples = self.params(level)
        direction = rng.choice(sorted(MOVES))
        dr, dc = MOVES[direction]
        head = (rng.randrange(n), rng.randrange(n))
        snake = [(head[0] - i * dr, head[1] - i * dc) for i in range(SNAKE_LENGTH)]
        if not all(0 <= r < n and 0 <= c < n for r, c in snake):
            raise Rejected("snake off the board")
        free = [(r, c) for r in range(n) for c in range(n) if (r, c) not in snake]
        return State(size=n, snake=snake, direction=direction, apples=sorted(rng.sample(free, apples)))

    def solve(self, state: State) -> Solution:
        solver = _Solver(state)
        steps = [Step(kind="observe", text=f"{state.size}x{state.size} board, snake of length "
                      f"{len(state.snake)} heading {state.direction} with its head at "
                      f"{tuple(state.snake[0])}, {len(state.apples)} apple(s). I take the apples "
                      "nearest first, plan each with A* over whole snake positions, and after "
                      "each meal check that the head can still reach the tail (else it is a trap).",
                      anchor=_board_text(state.size, tuple(map(tuple, state.snake)),
                                         [tuple(a) for a in state.apples]))]
        moves = solver.search(tuple(map(tuple, state.snake)), state.direction,
                              tuple(sorted(map(tuple, state.apples))), steps)
        if moves is None:
            raise Rejected("no safe plan found within the node budget")
        answer = " ".join(moves)
        steps.append(Step(kind="check", text=f"Replaying the {len(moves)} moves eats every apple "
                          f"without touching the edge or the body ({solver.nodes} positions "
                          "searched)."))
        steps.append(Step(kind="conclude", text=f"The moves are: {answer}"))
        return Solution(answer=answer, steps=steps, effort=len(moves))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Nibbles. " + self.rules
        if variant == "image":
            body = ("The picture shows the board with row and column numbers: the snake's head "
                    "is the dark green square with the arrow showing its current direction, its "
                    "body is the chain of green squares behind it, and red circles are apples.")
        else:
            snake = ", ".join(str(tuple(c)) for c in state.snake)
            apples = ", ".join(str(tuple(a)) for a in state.apples)
            body = (f"Board: {state.size}x{state.size}. Snake (head first): {snake}; current "
                    f"direction: {state.direction}. Apples: {apples}.\nAs a grid (H head, S body, "
                    "A apple, . empty):\n" + _board_text(state.size, tuple(map(tuple, state.snake)),
                                                          [tuple(a) for a in state.apples]))
        return f"{intro}\n\n{body}\n\nWhich moves eat all apples? Answer with {self.answer_format}."

    def render(self, state: State) -> list[bytes]:
        n = state.size
        cell, margin, top = 44, 30, 40
        side = margin + n * cell + 12
        image, draw = canvas(side, top + n * cell + 12)
        title(draw, side, "Nibbles: eat every apple", size=16, y=14)
        x0, y0 = margin, top
        for r in range(n):
            text_center(draw, (x0 - 14, y0 + (r + 0.5) * cell), str(r), 12, fill=GREY)
            for c in range(n):
                fill = (244, 244, 244) if (r + c) % 2 else (232, 232, 232)
                draw.rectangle([x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell, y0 + (r + 1) * cell],
                               fill=fill, outline=(205, 205, 205))
        for c in range(n):
            text_center(draw, (x0 + (c + 0.5) * cell, y0 - 10), str(c), 12, fill=GREY)
        centre = lambda rc: (x0 + (rc[1] + 0.5) * cell, y0 + (rc[0] + 0.5) * cell)  # noqa: E731
        draw.line([centre(rc) for rc in state.snake], fill=(40, 120, 60), width=cell // 3)
        for i, rc in enumerate(state.snake):
            x, y = centre(rc)
            half = cell * (0.42 if i == 0 else 0.34)
            draw.rounded_rectangle([x - half, y - half, x + half, y + half], radius=6,
                                   fill=(20, 90, 40) if i == 0 else GREEN, outline=BLACK)
        hx, hy = centre(state.snake[0])
        dr, dc = MOVES[state.direction]
        tip = (hx + dc * cell * 0.3, hy + dr * cell * 0.3)
        side_a = (hx - dr * cell * 0.2 - dc * cell * 0.05, hy + dc * cell * 0.2 - dr * cell * 0.05)
        side_b = (hx + dr * cell * 0.2 - dc * cell * 0.05, hy - dc * cell * 0.2 - dr * cell * 0.05)
        draw.polygon([tip, side_a, side_b], fill=(255, 255, 255))
        for rc in state.apples:
            x, y = centre(rc)
            rad = cell * 0.32
            draw.ellipse([x - rad, y - rad, x + rad, y + rad], fill=RED, outline=BLACK)
        draw.rectangle([x0, y0, x0 + n * cell, y0 + n * cell], outline=BLACK, width=3)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"grid_size": {"rows": state.size, "cols": state.size},
                "snake": [list(c) for c in state.snake], "direction": state.direction,
                "apples": [list(a) for a in state.apples]}


class _Solver:
    def __init__(self, state: State):
        self.n = state.size
        self.nodes = 0

    def search(self, body: Body, direction: str, apples: tuple[Cell, ...],
               steps: list[Step]) -> list[str] | None:
        """Depth-first over the order of the apples; None when every order fails (or budget)."""
        if not apples:
            return []
        head = body[0]
        order = sorted(apples, key=lambda a: (abs(a[0] - head[0]) + abs(a[1] - head[1]), a))
        for apple in order:
            if self.nodes > NODE_BUDGET:
                return None
            others = set(apples) - {apple}
            plan = self._astar(body, direction, apple, others)
            if plan is None:
                steps.append(Step(kind="dead_end", text=f"No path from {head} reaches the apple "
                                  f"at {apple} without hitting the body or the edge."))
                continue
            moves, after = plan
            steps.append(Step(kind="try", text=f"Head for the apple at {apple}: {' '.join(moves)} "
                              f"({len(moves)} move{'s' if len(moves) > 1 else ''}).",
                              anchor=_board_text(self.n, after, sorted(others))))
            if others and not self._reaches_tail(after):
                steps.append(Step(kind="dead_end", text=f"After eating {apple} the head cannot "
                                  "reach its tail: the snake would be trapped. Discard this plan."))
                continue
            rest = self.search(after, moves[-1], tuple(sorted(others)), steps)
            if rest is not None:
                return moves + rest
            steps.append(Step(kind="backtrack", text=f"Eating {apple} next leads nowhere; back "
                              f"to the position with the head at {head}."))
        return None

    def _astar(self, body: Body, direction: str, target: Cell,
               blocked: set[Cell]) -> tuple[list[str], Body] | None:
        """Shortest move list taking the head onto `target`, other apples avoided."""
        n = self.n
        h = lambda c: abs(c[0] - target[0]) + abs(c[1] - target[1])  # noqa: E731
        counter = 0
        frontier = [(h(body[0]), 0, counter, body, direction, ())]
        seen = {(body, direction)}
        while frontier:
            _, g, _, snake, heading, path = heapq.heappop(frontier)
            self.nodes += 1
            if self.nodes > NODE_BUDGET:
                return None
            for move in ("up", "down", "left", "right"):
                if move == OPPOSITE[heading]:
                    continue
                dr, dc = MOVES[move]
                head = (snake[0][0] + dr, snake[0][1] + dc)
                if not (0 <= head[0] < n and 0 <= head[1] < n) or head in blocked:
                    continue
                if head in snake:  # the tail's cell too: the head moves before the tail
                    continue
                if head == target:  # eating: the tail stays
                    return list(path) + [move], (head,) + snake
                nxt = (head,) + snake[:-1]
                if (nxt, move) in seen:
                    continue
                seen.add((nxt, move))
                counter += 1
                heapq.heappush(frontier, (g + 1 + h(head), g + 1, counter, nxt, move, path + (move,)))
        return None

    def _reaches_tail(self, body: Body) -> bool:
        """Flood fill from the head through free cells: can it get to the tail's cell?"""
        n, tail = self.n, body[-1]
        blocked = set(body[1:-1])
        frontier, seen = [body[0]], {body[0]}
        while frontier:
            r, c = frontier.pop()
            for dr, dc in MOVES.values():
                cell = (r + dr, c + dc)
                if cell == tail:
                    return True
                if 0 <= cell[0] < n and 0 <= cell[1] < n and cell not in blocked and cell not in seen:
                    seen.add(cell)
                    frontier.append(cell)
        return False


def _board_text(n: int, body: Body, apples: list[Cell]) -> str:
    rows = [["."] * n for _ in range(n)]
    for r, c in apples:
        rows[r][c] = "A"
    for i, (r, c) in enumerate(body):
        rows[r][c] = "H" if i == 0 else "S"
    return "\n".join("".join(row) for row in rows)


register(Nibbles())
