"""Grid-path helpers shared by the path puzzles (numbrix, snake): cell numbering, orthogonal
neighbours, a random Hamiltonian path, and grid text for anchors.

Cells are numbered r * cols + c, rows top to bottom, columns left to right."""

from __future__ import annotations

import random
from functools import lru_cache

from PIL import Image, ImageDraw

from generators.render import font


@lru_cache(maxsize=64)
def neighbours(rows: int, cols: int) -> tuple[tuple[int, ...], ...]:
    """Orthogonal neighbours of every cell, in the fixed order up, left, right, down."""
    out = []
    for r in range(rows):
        for c in range(cols):
            cell = []
            if r > 0:
                cell.append((r - 1) * cols + c)
            if c > 0:
                cell.append(r * cols + c - 1)
            if c < cols - 1:
                cell.append(r * cols + c + 1)
            if r < rows - 1:
                cell.append((r + 1) * cols + c)
            out.append(tuple(cell))
    return tuple(out)


def manhattan(a: int, b: int, cols: int) -> int:
    return abs(a // cols - b // cols) + abs(a % cols - b % cols)


def hamiltonian_path(rng: random.Random, rows: int, cols: int, moves: int) -> list[int]:
    """A random Hamiltonian path: start from the boustrophedon and apply `moves` backbite moves
    (join an end to a grid neighbour and reverse the tail that follows it); every move keeps a
    Hamiltonian path, and a few moves per cell mix the shape well."""
    path = [r * cols + (c if r % 2 == 0 else cols - 1 - c) for r in range(rows) for c in range(cols)]
    nbrs = neighbours(rows, cols)
    index = {cell: i for i, cell in enumerate(path)}
    last = len(path) - 1
    for _ in range(moves):
        if rng.random() < 0.5:
            path.reverse()
            index = {cell: i for i, cell in enumerate(path)}
        end = path[last]
        j = index[rng.choice(nbrs[end])]
        if j == last - 1:
            continue
        path[j + 1:] = path[:j:-1]
        for i in range(j + 1, last + 1):
            index[path[i]] = i
    return path


def grid_text(values: list[int], cols: int, empty: str = ".") -> str:
    """Rows of right-aligned numbers (0 = empty) for anchors and text questions."""
    width = max(len(str(max(values, default=0))), len(empty))
    rows = []
    for start in range(0, len(values), cols):
        row = values[start:start + cols]
        rows.append(" ".join((str(v) if v else empty).rjust(width) for v in row))
    return "\n".join(rows)


@lru_cache(maxsize=512)
def _glyph(text: str, size: int) -> Image.Image:
    box = (size * (len(text) + 1), size * 2)
    mask = Image.new("L", box, 0)
    ImageDraw.Draw(mask).text((box[0] / 2, box[1] / 2), text, font=font(size), fill=255, anchor="mm")
    return mask


def stamp(image: Image.Image, center: tuple[float, float], text: str, size: int, fill) -> None:
    """Centred text from a cached glyph mask: a paste costs a few microseconds where a FreeType
    draw costs tens, which matters for grids of hundreds of letters."""
    mask = _glyph(text, size)
    image.paste(fill, (int(center[0] - mask.width / 2), int(center[1] - mask.height / 2)), mask)
