"""Sokoban (games; official label `sokoban`).

A walled room, boxes, goals and a player who walks and pushes (never pulls) one box at a time.
Instances come from reverse play: boxes start on the goals and the player PULLS them around, so
every start is solvable by construction. The solver is A* over push positions (cost = walking +
fewest pushes, then fewest moves; heuristic = the boxes' push distances to their nearest goals;
boxes on dead squares pruned), so the stored move string needs the fewest pushes and is short in
moves (near-optimal: the player's exact cell inside its region is not part of a position).
"""

from __future__ import annotations

import heapq
import random
from functools import lru_cache
from itertools import permutations
from typing import NamedTuple

import numpy as np
from PIL import Image, ImageDraw
from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import font, to_png


class Level(NamedTuple):
    rows: int  # including the border walls
    cols: int  # including the border walls
    boxes: int
    pulls: int  # reverse pulls that scatter the boxes from the goals
    fewest_moves: int  # shorter solutions are rejected
    wall_share: float  # share of interior cells turned into walls


LEVELS = {
    1: Level(5, 7, 1, 4, 3, 0.08),
    2: Level(7, 9, 1, 8, 8, 0.15),
    3: Level(7, 9, 2, 10, 14, 0.15),
    4: Level(11, 13, 2, 16, 22, 0.18),
    5: Level(11, 13, 3, 22, 30, 0.18),
}
NODE_BUDGET = 30_000  # A* push positions per solve
MOVES: dict[str, tuple[int, int]] = {"up": (-1, 0), "down": (1, 0), "left": (0, -1), "right": (0, 1)}
Cell = tuple[int, int]
COLOURS = {"white": (255, 255, 255), "black": (0, 0, 0), "label": (140, 140, 140),
           "wall": (90, 90, 90), "edge": (60, 60, 60), "floor": (245, 240, 228),
           "grid": (215, 210, 200), "goal": (205, 40, 40), "box": (176, 120, 60),
           "done": (70, 160, 90), "player": (50, 100, 200)}
PALETTE = list(COLOURS.values())
INK = {name: i for i, name in enumerate(COLOURS)}
FLOOR, WALL, GOAL = "-", "#", "."


class State(BaseModel):
    walls: list[str]          # rows of '#' (wall) and '-' (floor) with '.' for goals
    boxes: list[tuple[int, int]]
    player: tuple[int, int]
    level: int  # kept so that the solver can reject starts too easy for it (not exported)


class Sokoban(Task[State]):
    name = "sokoban"
    category = "games"
    official_name = "sokoban"
    score_function = "sokoban_evaluator"
    levels = LEVELS
    # about 1 draw in 4 is kept at level 3 (solution length window): 512 attempts never all fail
    max_attempts = 512
    rules = ("Sokoban: the player walks up, down, left or right on the floor of a walled room. "
             "Walking into a box pushes it one cell further in the same direction, which is only "
             "possible when that cell is free floor (no wall, no other box). Boxes cannot be "
             "pulled. Put every box on a goal. Map symbols: '#' wall, '-' floor, '.' goal, "
             "'$' box, '*' box on a goal, '@' player, '+' player on a goal.")
    answer_format = "the player's moves separated by spaces, e.g. left up up right"

    def generate(self, rng: random.Random, level: int) -> State:
        rows, cols, n_boxes, pulls, _, density = self.params(level)
        floor, links = _room(rng, rows, cols, density)
        if len(floor) < n_boxes * 3 + 4:
            raise Rejected("room too small")
        goals = rng.sample(floor, n_boxes)
        boxes = set(goals)
        player = rng.choice([c for c in floor if c not in boxes])
        floor_set = set(floor)
        floor_mask = sum(1 << (r * cols + c) for r, c in floor)
        for _ in range(pulls):
            player = _random_pull(rng, floor_set, (floor_mask, cols), boxes, player)
            if player is None:
                raise Rejected("boxes stuck during reverse play")
        if boxes == set(goals):
            raise Rejected("reverse play returned to the solved position")
        # the player may stand anywhere it can walk to from where the pulling ended
        player = rng.choice(sorted(_reachable(links, boxes, player)))
        grid = [[WALL] * cols for _ in range(rows)]
        for r, c in floor:
            grid[r][c] = GOAL if (r, c) in goals else FLOOR
        return State(walls=["".join(row) for row in grid], boxes=sorted(boxes), player=player,
                     level=level)

    def solve(self, state: State) -> Solution:
        level = _Level(state.walls)
        steps = [Step(kind="observe", text=f"{len(state.boxes)} box(es) to push onto the goals. "
                      f"Cells from which no push can ever bring a box to a goal are dead squares; "
                      f"there are {len(level.dead)} here (marked x) and a box must never enter one.",
                      anchor=_map_text(state, dead=level.dead))]
        result = level.astar(frozenset(map(tuple, state.boxes)), tuple(state.player), steps)
        if result is None:
            raise Rejected("A* node budget exhausted")
        moves, pushes, nodes = result
        if len(moves) < LEVELS[state.level].fewest_moves:
            raise Rejected("solution too short for the level")
        steps.append(Step(kind="check", text=f"All boxes are on goals after {len(moves)} moves "
                          f"({pushes} pushes); A* expanded {nodes} push positions and its "
                          "heuristic never overestimates, so no solution needs fewer pushes, and "
                          "among those it took the one with the fewest moves it met."))
        answer = " ".join(moves)
        steps.append(Step(kind="conclude", text=f"The moves are: {answer}"))
        return Solution(answer=answer, steps=steps, effort=len(moves))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Sokoban. " + self.rules
        if variant == "image":
            body = ("The picture shows the room: dark grey squares are walls, brown crates are "
                    "boxes, red rings are goals (a box on a goal turns green), the blue circle is "
                    "the player; rows and columns are numbered from 0.")
        else:
            body = "The map:\n" + _map_text(state)
        return (f"{intro}\n\n{body}\n\nWhich moves put every box on a goal? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        # a palette image put together from cached pieces: the frame with its title and numbers
        # per room size, and one square per kind of cell (text and shapes drawn once), laid out
        # with one numpy gather instead of a paste per cell
        rows, cols = len(state.walls), len(state.walls[0])
        boxes = set(map(tuple, state.boxes))
        player = tuple(state.player)
        kinds = np.array([[_SQUARE_KINDS.index((ch, (r, c) in boxes, (r, c) == player))
                           for c, ch in enumerate(row)] for r, row in enumerate(state.walls)])
        squares = _squares()
        # each square is CELL + 1 pixels a side and neighbours share their edge line; the cell
        # drawn later (to the right, below) owns it, so take CELL x CELL from every square and
        # the far edge lines from the last column and row
        body = squares[kinds][:, :, :CELL, :CELL].transpose(0, 2, 1, 3).reshape(rows * CELL, cols * CELL)
        pixels = _frame(rows, cols).copy()
        pixels[TOP:TOP + rows * CELL, MARGIN:MARGIN + cols * CELL] = body
        pixels[TOP:TOP + rows * CELL, MARGIN + cols * CELL] = squares[kinds[:, -1]][:, :CELL, CELL].reshape(-1)
        pixels[TOP + rows * CELL, MARGIN:MARGIN + cols * CELL] = squares[kinds[-1]][:, CELL, :CELL].reshape(-1)
        pixels[TOP + rows * CELL, MARGIN + cols * CELL] = squares[kinds[-1, -1], CELL, CELL]
        image = Image.frombytes("P", (pixels.shape[1], pixels.shape[0]), pixels.tobytes())
        image.putpalette([v for colour in PALETTE for v in colour])
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"map": _map_text(state).split("\n")}

CELL, MARGIN, TOP = 36, 26, 36  # picture geometry (pixels)


def _palette_image(width: int, height: int) -> Image.Image:
    image = Image.new("P", (width, height), INK["white"])
    image.putpalette([v for colour in PALETTE for v in colour])
    return image


@lru_cache(maxsize=8)
def _frame(rows: int, cols: int) -> np.ndarray:
    """The blank picture of a room size (palette indices): title, row and column numbers."""
    image = _palette_image(MARGIN + cols * CELL + 8, TOP + rows * CELL + 8)
    draw = ImageDraw.Draw(image)
    draw.text((image.width / 2, 12), "Sokoban: push every box onto a goal", font=font(15),
              fill=INK["black"], anchor="mm")
    for r in range(rows):
        draw.text((MARGIN / 2, TOP + (r + 0.5) * CELL), str(r), font=font(11),
                  fill=INK["label"], anchor="mm")
    for c in range(cols):
        draw.text((MARGIN + (c + 0.5) * CELL, TOP - 8), str(c), font=font(11),
                  fill=INK["label"], anchor="mm")
    return np.array(image)


# (map character, box here, player here) for every square that can occur
_SQUARE_KINDS = [(WALL, False, False)] + [(ch, box, player) for ch in (FLOOR, GOAL)
                                          for box, player in ((False, False), (True, False),
                                                              (False, True))]


@lru_cache(maxsize=1)
def _squares() -> np.ndarray:
    """The palette indices of every square kind: an array (kind, y, x)."""
    return np.stack([np.array(_square(*kind)) for kind in _SQUARE_KINDS])


def _square(ch: str, box: bool, player: bool) -> Image.Image:
    """One cell, outline included (CELL + 1 pixels a side: neighbours share their edge line, and
    the cell pasted later owns it, as when drawing row by row)."""
    image = _palette_image(CELL + 1, CELL + 1)
    draw = ImageDraw.Draw(image)
    if ch == WALL:
        draw.rectangle([0, 0, CELL, CELL], fill=INK["wall"], outline=INK["edge"])
        return image
    draw.rectangle([0, 0, CELL, CELL], fill=INK["floor"], outline=INK["grid"])
    if ch == GOAL:
        draw.ellipse([9, 9, CELL - 9, CELL - 9], outline=INK["goal"], width=3)
    if box:
        draw.rectangle([4, 4, CELL - 4, CELL - 4], fill=INK["done"] if ch == GOAL else INK["box"],
                       outline=INK["black"], width=2)
        draw.line([(6, 6), (CELL - 6, CELL - 6)], fill=INK["black"])
        draw.line([(6, CELL - 6), (CELL - 6, 6)], fill=INK["black"])
    if player:
        draw.ellipse([7, 7, CELL - 7, CELL - 7], fill=INK["player"], outline=INK["black"], width=2)
    return image


def _room(rng: random.Random, rows: int, cols: int,
          density: float) -> tuple[list[Cell], dict[Cell, list[Cell]]]:
    """Interior floor with scattered walls; only the largest connected part stays floor.
    Returned with its cells' neighbour lists (a part's cells have all their neighbours in it)."""
    cells = [(r, c) for r in range(1, rows - 1) for c in range(1, cols - 1)]
    floor = {c for c in cells if rng.random() >= density}
    links = _links(floor)
    best: set[Cell] = set()
    seen: set[Cell] = set()
    for start in sorted(floor):
        if start in seen:
            continue
        part = _reachable(links, set(), start)
        seen |= part
        if len(part) > len(best):
            best = part
    return sorted(best), links


def _links(floor: set[Cell]) -> dict[Cell, list[Cell]]:
    """Each floor cell's floor neighbours, listed once per room (walks only read them)."""
    return {(r, c): [(r + dr, c + dc) for dr, dc in MOVES.values() if (r + dr, c + dc) in floor]
            for r, c in floor}


def _reachable(links: dict[Cell, list[Cell]], boxes: set[Cell], start: Cell) -> set[Cell]:
    seen = {start}
    queue = [start]
    for cell in queue:  # the list grows while we read it: a FIFO without deque calls
        for nxt in links[cell]:
            if nxt not in seen and nxt not in boxes:
                seen.add(nxt)
                queue.append(nxt)
    return seen


def _reach_mask(free: int, start: int, cols: int) -> int:
    """Cells the player can walk to, as a bit set (bit r * cols + c): the walk grows one step
    in every direction at once; the border walls keep a shift by one from wrapping rows."""
    reach = start
    while True:
        grown = (reach | reach << 1 | reach >> 1 | reach << cols | reach >> cols) & free
        if grown == reach:
            return reach
        reach = grown


def _random_pull(rng: random.Random, floor: set[Cell], floor_bits: tuple[int, int],
                 boxes: set[Cell], player: Cell) -> Cell | None:
    """Walk to a random box side and pull it one or more cells; the player's new cell, or None.
    `floor_bits` = (the floor as a bit set, columns)."""
    floor_mask, cols = floor_bits
    box_mask = sum(1 << (r * cols + c) for r, c in boxes)
    reach = _reach_mask(floor_mask & ~box_mask, 1 << (player[0] * cols + player[1]), cols)
    options = []
    for box in sorted(boxes):
        for dr, dc in MOVES.values():
            stand, behind = (box[0] + dr, box[1] + dc), (box[0] + 2 * dr, box[1] + 2 * dc)
            if reach >> (stand[0] * cols + stand[1]) & 1 and behind in floor and behind not in boxes:
                options.append((box, dr, dc))
    if not options:
        return None
    box, dr, dc = rng.choice(options)
    while True:  # keep pulling the same way now and then: long straight pushes
        boxes.remove(box)
        box = (box[0] + dr, box[1] + dc)
        boxes.add(box)
        player = (box[0] + dr, box[1] + dc)
        behind = (player[0] + dr, player[1] + dc)
        if behind not in floor or behind in boxes or rng.random() < 0.5:
            return player


class _Level:
    """The static part of a position (walls, goals, dead squares) and the A* search. Inside the
    search a cell is the integer r * cols + c (same order as the (r, c) pair) with its floor
    neighbours listed once, so the player's walks, the search's hot loop, touch no tuples."""

    def __init__(self, rows: list[str]):
        self.cols = cols = len(rows[0])
        cells = [(r * cols + c, ch) for r, row in enumerate(rows) for c, ch in enumerate(row)]
        floor = self.floor_ids = {cell for cell, ch in cells if ch != WALL}
        goals = sorted(cell for cell, ch in cells if ch == GOAL)
        self.goal_ids = frozenset(goals)
        # per floor cell: (neighbour, move) in MOVES order, and the push steps (move, delta)
        self.deltas = [(move, dr * cols + dc) for move, (dr, dc) in MOVES.items()]
        self.neighbours = {cell: [(cell + d, move) for move, d in self.deltas if cell + d in floor]
                           for cell in floor}
        # pushes to bring a lone box from each cell to each goal; a floor cell that reaches no
        # goal is dead: no push sequence brings a box from it to a goal
        self.to_goal = [self._pull_distances(g) for g in goals]
        alive = set().union(*self.to_goal)
        self.dead = [self._cell(cell) for cell in sorted(floor - alive)]
        self._h: dict[frozenset[int], int | None] = {}

    def _pull_distances(self, goal: int) -> dict[int, int]:
        """Pushes needed to bring a lone box from each cell to `goal` (reverse pulls: the box
        comes from `prev` while the player stood one cell further)."""
        floor = self.floor_ids
        dist = {goal: 0}
        queue = [goal]
        for box in queue:
            for _, d in self.deltas:
                prev = box + d
                if prev in floor and prev + d in floor and prev not in dist:
                    dist[prev] = dist[box] + 1
                    queue.append(prev)
        return dist

    def _cell(self, cell: int) -> Cell:
        return divmod(cell, self.cols)

    def _positions_text(self, boxes: frozenset[int], player: int) -> str:
        return _positions_text(frozenset(map(self._cell, boxes)), self._cell(player))

    def heuristic(self, boxes: frozenset[int]) -> int | None:
        """Cheapest assignment of boxes to distinct goals by push distance (a lower bound on the
        pushes left); None when some box can reach no free goal (a deadlock)."""
        cached = self._h.get(boxes)
        if cached is not None or boxes in self._h:
            return cached
        order = sorted(boxes)
        best = None
        for goals in permutations(self.to_goal, len(order)):
            total = 0
            for box, to_goal in zip(order, goals):
                d = to_goal.get(box)
                if d is None:
                    break
                total += d
            else:
                best = total if best is None else min(best, total)
        self._h[boxes] = best
        return best

    def _walks(self, boxes: frozenset[int], player: int) -> dict[int, tuple[int, str] | None]:
        """Breadth-first walk of the player around the boxes: cell -> (previous cell, move)."""
        came: dict[int, tuple[int, str] | None] = {player: None}
        queue = [player]
        neighbours = self.neighbours
        for cell in queue:  # the list grows while we read it: a FIFO without deque calls
            for nxt, move in neighbours[cell]:
                if nxt not in came and nxt not in boxes:
                    came[nxt] = (cell, move)
                    queue.append(nxt)
        return came

    def astar(self, boxes: frozenset[Cell], player: Cell,
              steps: list[Step]) -> tuple[list[str], int, int] | None:
        """A* over push positions: fewest pushes first, then fewest moves among those. A position
        is the boxes plus the player's region (named by its smallest cell), closed when first
        expanded; where exactly the player stands inside it only changes walking, which the
        move tie-break accounts for."""
        cols, floor, goals = self.cols, self.floor_ids, self.goal_ids
        boxes = frozenset(r * cols + c for r, c in boxes)
        player = player[0] * cols + player[1]
        h0 = self.heuristic(boxes)
        if h0 is None:
            return None
        # records[i] = (parent record, moves from the parent's position to this one)
        records: list[tuple[int, list[str]]] = [(-1, [])]
        frontier = [(h0, 0, 0, 0, boxes, player)]
        closed: set[tuple[frozenset[int], int]] = set()
        nodes = 0
        pruned = 0
        while frontier:
            f, pushes, walked, record, boxes, player = heapq.heappop(frontier)
            walk = self._walks(boxes, player)
            key = (boxes, min(walk))
            if key in closed:
                continue
            closed.add(key)
            if boxes <= goals:
                return self._unwind(records, record), pushes, nodes
            nodes += 1
            if nodes > NODE_BUDGET:
                return None
            if nodes <= 3 or nodes % 200 == 0:
                steps.append(Step(kind="try", text=f"Expand position {nodes}: {pushes} pushes "
                                  f"({walked} moves) so far, at least {f - pushes} more pushes "
                                  "needed.", anchor=self._positions_text(boxes, player)))
            for box in sorted(boxes):
                for move, d in self.deltas:
                    stand, target = box - d, box + d
                    if stand not in walk or target not in floor or target in boxes:
                        continue
                    moved = (boxes - {box}) | {target}
                    h = self.heuristic(moved)
                    if h is None:
                        pruned += 1
                        if pruned <= 4:
                            steps.append(Step(kind="dead_end", text=f"Pushing the box at "
                                              f"{self._cell(box)} {move} to {self._cell(target)} "
                                              "leaves some box unable to reach a free goal. "
                                              "Pruned.", anchor=self._positions_text(moved, box)))
                        continue
                    path = _path_to(walk, stand) + [move]
                    records.append((record, path))
                    heapq.heappush(frontier, (pushes + 1 + h, pushes + 1, walked + len(path),
                                              len(records) - 1, moved, box))
        return None

    @staticmethod
    def _unwind(records: list[tuple[int, list[str]]], record: int) -> list[str]:
        legs = []
        while record >= 0:
            record, path = records[record]
            legs.append(path)
        return [m for leg in reversed(legs) for m in leg]


def _path_to(came: dict[int, tuple[int, str] | None], cell: int) -> list[str]:
    path = []
    while came[cell] is not None:
        cell, move = came[cell]
        path.append(move)
    return path[::-1]


def _map_text(state: State, dead: list[Cell] = ()) -> str:
    grid = [list(row) for row in state.walls]
    for r, c in dead:
        grid[r][c] = "x"
    for r, c in state.boxes:
        grid[r][c] = "*" if state.walls[r][c] == GOAL else "$"
    pr, pc = state.player
    grid[pr][pc] = "+" if state.walls[pr][pc] == GOAL else "@"
    return "\n".join("".join(row) for row in grid)


def _positions_text(boxes: frozenset[Cell], player: Cell) -> str:
    return f"boxes {sorted(boxes)}, player {player}"


register(Sokoban())
