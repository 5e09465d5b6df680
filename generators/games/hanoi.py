"""Tower of Hanoi (games; official label `hanoi`).

Disks lie on three pegs in any legal position; all must end on peg 3. The level fixes the disk
count and a window for the optimal number of moves (the public generator ignored the level). The
solver is the classic recursion: to put disk k on peg t, first gather disks 1..k-1 on the third
peg; it records each of these sub-plans and every move with the pegs after it.
"""

from __future__ import annotations

import random
from typing import NamedTuple

from pydantic import BaseModel

from generators.base import Rejected, Solution, Step, Task, Variant
from generators.registry import register
from generators.render import BLACK, GREY, LIGHT, canvas, text_center, title, to_png


# The small levels mix disk counts so that their few short positions still give varied instances.
class Level(NamedTuple):
    fewest_disks: int
    most_disks: int
    min_moves: int  # bounds on the optimal solution length
    max_moves: int


LEVELS = {
    1: Level(3, 4, 3, 7),
    2: Level(4, 5, 8, 15),
    3: Level(5, 6, 16, 31),
    4: Level(6, 6, 32, 50),
    5: Level(7, 7, 51, 80),
}
DRAWS = 400  # random positions tried per attempt before rejecting (each costs microseconds)
PALETTE = [(230, 85, 70), (240, 150, 40), (235, 205, 50), (110, 190, 80), (60, 160, 200),
           (90, 100, 210), (160, 90, 200), (200, 80, 150)]


class State(BaseModel):
    # pegs[i] = disks on peg i+1 from bottom to top; disk 1 is the smallest
    pegs: list[list[int]]


class Hanoi(Task[State]):
    name = "hanoi"
    category = "games"
    official_name = "hanoi"
    score_function = "hanoi_evaluator"
    levels = LEVELS
    rules = ("Tower of Hanoi with three pegs numbered 1, 2, 3 and disks numbered by size (1 is the "
             "smallest). A move takes the top disk of one peg and puts it on another peg, never on "
             "a smaller disk. Move every disk onto peg 3.")
    answer_format = ("the moves as (disk,peg) pairs separated by spaces, each naming the disk moved "
                     "and its destination peg, e.g. (1,3) (2,1) (1,1)")

    def generate(self, rng: random.Random, level: int) -> State:
        fewest, most, low, high = self.params(level)
        for _ in range(DRAWS):
            disks = rng.randint(fewest, most)
            where = [rng.randrange(3) for _ in range(disks)]  # where[d-1] = peg of disk d
            if low <= _optimal_length(where, disks, 2) <= high:
                pegs = [[d for d in range(disks, 0, -1) if where[d - 1] == p] for p in range(3)]
                return State(pegs=pegs)
        raise Rejected("no position in the move window")

    def solve(self, state: State) -> Solution:
        pegs = [list(p) for p in state.pegs]
        n = sum(len(p) for p in pegs)
        steps = [Step(kind="observe", text=f"{n} disks on three pegs; all must end on peg 3. Plan "
                      "from the largest disk down: a disk that must move needs every smaller disk "
                      "gathered on the third peg first.", anchor=_pegs_text(pegs))]
        moves: list[tuple[int, int]] = []

        def peg_of(disk: int) -> int:
            return next(i for i, p in enumerate(pegs) if disk in p)

        def place(k: int, target: int) -> None:
            """Put disks 1..k as a tower on `target` (0-based peg)."""
            if k == 0:
                return
            source = peg_of(k)
            if source == target:
                if k > 1:
                    steps.append(Step(kind="deduce", text=f"Disk {k} already sits on peg "
                                      f"{target + 1}; next put {_smaller(k)} on it."))
                place(k - 1, target)
                return
            spare = 3 - source - target
            if k > 1:
                steps.append(Step(kind="deduce", text=f"Disk {k} must go from peg {source + 1} to "
                                  f"peg {target + 1}, so {_smaller(k)} must first be stacked on peg "
                                  f"{spare + 1}."))
            place(k - 1, spare)
            pegs[source].pop()
            pegs[target].append(k)
            moves.append((k, target + 1))
            steps.append(Step(kind="deduce", text=f"Move {len(moves)}: disk {k} from peg "
                              f"{source + 1} to peg {target + 1}.", anchor=_pegs_text(pegs)))
            place(k - 1, target)

        place(n, 2)
        where = [0] * n
        for p, disks in enumerate(state.pegs):
            for d in disks:
                where[d - 1] = p
        optimal = _optimal_length(where, n, 2)
        steps.append(Step(kind="check", text=f"All {n} disks are on peg 3 after {len(moves)} "
                          f"moves; each disk moved only when the recursion required it, which "
                          f"gives the minimum of {optimal} moves.", anchor=_pegs_text(pegs)))
        answer = " ".join(f"({d},{p})" for d, p in moves)
        steps.append(Step(kind="conclude", text=f"The moves are: {answer}"))
        return Solution(answer=answer, steps=steps, num_solutions=_count_optimal(state.pegs),
                        effort=len(moves))

    def question(self, state: State, variant: Variant) -> str:
        intro = "Tower of Hanoi. " + self.rules
        if variant == "image":
            body = ("The picture shows the three pegs (1, 2, 3 from left to right) with every disk "
                    "drawn to scale and labelled with its number.")
        else:
            body = "The pegs, disks listed from bottom to top:\n" + _pegs_text(state.pegs)
        return (f"{intro}\n\n{body}\n\nWhich moves put all disks on peg 3? "
                f"Answer with {self.answer_format}.")

    def render(self, state: State) -> list[bytes]:
        n = sum(len(p) for p in state.pegs)
        unit, disk_h, gap = 11, 24, 20
        peg_w = 2 * unit * (n + 1) + 16
        width = 3 * peg_w + 4 * gap
        base_y = 70 + (n + 1) * disk_h
        image, draw = canvas(width, base_y + 50)
        title(draw, width, "Tower of Hanoi: move every disk to peg 3")
        for p, disks in enumerate(state.pegs):
            cx = gap + p * (peg_w + gap) + peg_w / 2
            draw.rectangle([cx - 4, base_y - (n + 0.6) * disk_h, cx + 4, base_y], fill=GREY)
            for level, d in enumerate(disks):
                half = unit * (d + 1)
                y1 = base_y - level * disk_h
                draw.rounded_rectangle([cx - half, y1 - disk_h + 2, cx + half, y1], radius=5,
                                       fill=PALETTE[(d - 1) % len(PALETTE)], outline=BLACK, width=2)
                text_center(draw, (cx, y1 - disk_h / 2 + 1), str(d), 14)
            text_center(draw, (cx, base_y + 22), f"Peg {p + 1}", 16)
        draw.rectangle([gap / 2, base_y, width - gap / 2, base_y + 6], fill=LIGHT, outline=GREY)
        return [to_png(image)]

    def initial_state(self, state: State) -> dict:
        return {"pegs": [list(p) for p in state.pegs]}


def _optimal_length(where: list[int], k: int, target: int) -> int:
    """Fewest moves to stack disks 1..k on `target` from `where` (0-based pegs): the largest
    misplaced disk moves once, after the smaller ones form a tower on the spare peg."""
    moves = 0
    while k:
        if where[k - 1] != target:
            moves += 1 + (2 ** (k - 1) - 1)  # this disk, then re-stacking the k-1 tower on it
            target = 3 - where[k - 1] - target
        k -= 1
    return moves


def _count_optimal(pegs: list[list[int]], cap: int = 2) -> int:
    """Number of shortest move sequences to the goal, capped (breadth-first over positions)."""
    n = sum(len(p) for p in pegs)
    where = [0] * n
    for p, disks in enumerate(pegs):
        for d in disks:
            where[d - 1] = p
    start, goal = tuple(where), (2,) * n
    ways = {start: 1}
    layer = [start]
    while layer and goal not in ways:
        nxt: dict[tuple[int, ...], int] = {}
        for pos in layer:
            tops = [min((d for d in range(n) if pos[d] == p), default=n) for p in range(3)]
            for src in range(3):
                for dst in range(3):
                    if src != dst and tops[src] < tops[dst]:
                        to = pos[:tops[src]] + (dst,) + pos[tops[src] + 1:]
                        if to not in ways:
                            nxt[to] = min(cap, nxt.get(to, 0) + ways[pos])
        ways.update(nxt)
        layer = sorted(nxt)
    return ways.get(goal, 0)


def _smaller(k: int) -> str:
    return "disk 1" if k == 2 else f"disks 1..{k - 1}"


def _pegs_text(pegs: list[list[int]]) -> str:
    return "\n".join(f"Peg {i + 1}: {' '.join(map(str, p)) if p else '(empty)'}"
                     for i, p in enumerate(pegs))


register(Hanoi())
