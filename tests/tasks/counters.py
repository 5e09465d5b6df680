"""Independent solution counters for the tasks that promise a unique answer.

Each counter reads the official `initial_state` alone (the JSON a reader of the shards sees) and
counts the answers the task's rules allow, stopping at `limit`. They are written from the rules
text, not from the generators' searches, and import neither `generators` nor `verifiers`: when a
generator's own uniqueness proof goes wrong, these still count the truth. Plain backtracking with
simple pruning; clarity over speed (each instance of levels 1..5 counts within a few seconds).

What "one solution" means per task (what the official scoring compares with the stored answer):
crypto_math the letter -> digit map; binairo, kakuro, nonogram, skyscrapers, sudoku the filled
grid; snake the cell set (with the no-touch rule a cell set is one path, so paths are counted);
wordsearch the reading (first letter and direction); maze the simple path from S to E (a walk may
revisit cells, but the stored answer is the loop-free path, unique iff the maze has no second
one); minesweeper the mine set.
"""

from __future__ import annotations

from itertools import combinations, permutations, product
from typing import Callable

Counter = Callable[..., int]


# -- crypto_math ---------------------------------------------------------------------------------
def count_crypto_math(state: dict, limit: int = 2) -> int:
    """Letters get digits in the order their columns are reached from the right; a column is
    checked (digit and carry) as soon as all its letters have digits, so wrong guesses die early.
    A number of two or more letters may not start with 0 (as the verifier reads the rule)."""
    left, result = state["equation"].replace(" ", "").split("=")
    terms = left.split("+")
    width = max(len(result), *(len(t) for t in terms))
    # column c (from the right): the addend letters and the sum letter ('' past a word's length)
    columns = [([t[-1 - c] for t in terms if c < len(t)], result[-1 - c] if c < len(result) else "")
               for c in range(width)]
    order: list[str] = []
    for addends, total in columns:
        for ch in addends + [total]:
            if ch and ch not in order:
                order.append(ch)
    # per column, the place in `order` of its last letter: once that has a digit, check the column
    ready = [max(k for k, ch in enumerate(order) if ch in set(a) | {s}) for a, s in columns]
    leading = {w[0] for w in terms + [result] if len(w) > 1}
    digit: dict[str, int] = {}
    found = 0

    def columns_hold(upto: int) -> bool:
        """Every column whose letters are all set adds up, carries included."""
        carry = 0
        for c, (addends, total) in enumerate(columns):
            if ready[c] > upto:
                return True
            s = carry + sum(digit[ch] for ch in addends)
            if s % 10 != (digit[total] if total else 0):
                return False
            carry = s // 10
        return carry == 0  # nothing may be left over past the last column

    def assign(k: int) -> None:
        nonlocal found
        if k == len(order):
            found += 1
            return
        ch = order[k]
        for d in range(1 if ch in leading else 0, 10):
            if d in digit.values():
                continue
            digit[ch] = d
            if columns_hold(k):
                assign(k + 1)
            del digit[ch]
            if found >= limit:
                return

    assign(0)
    return min(found, limit)


# -- binairo -------------------------------------------------------------------------------------
def _binairo_line_ok(line: tuple[int, ...], n: int) -> bool:
    """A partial line (a prefix) can still be balanced and has no three alike."""
    if line.count(0) > n // 2 or line.count(1) > n // 2:
        return False
    return not any(line[k] == line[k + 1] == line[k + 2] for k in range(len(line) - 2))


def count_binairo(state: dict, limit: int = 2) -> int:
    """Rows are chosen from the valid rows (balanced, no three alike) that keep the givens and
    differ from the rows above; the columns are checked as prefixes after each row, and for being
    distinct at the end."""
    grid = state["grid"]
    n = len(grid)
    lines = [row for row in product((0, 1), repeat=n) if sum(row) * 2 == n and _binairo_line_ok(row, n)]
    found = 0

    def place(rows: list[tuple[int, ...]]) -> None:
        nonlocal found
        r = len(rows)
        if r == n:
            if len(set(zip(*rows))) == n:
                found += 1
            return
        for row in lines:
            if row in rows or any(g is not None and g != v for g, v in zip(grid[r], row)):
                continue
            rows.append(row)
            if all(_binairo_line_ok(col, n) for col in zip(*rows)):
                place(rows)
            rows.pop()
            if found >= limit:
                return

    place([])
    return min(found, limit)


# -- kakuro --------------------------------------------------------------------------------------
def count_kakuro(state: dict, limit: int = 2) -> int:
    """Each white cell takes 1-9; a clued run's digits are distinct and sum to its clue. The cell
    with the fewest digits left goes next; a digit is left for a cell when, in each of its runs,
    some set of distinct digits with the run's sum holds it and the digits already placed."""
    grid = state["grid"]
    whites = [(r, c) for r, row in enumerate(grid) for c, cell in enumerate(row)
              if cell["type"] == "white"]
    runs: list[tuple[list[tuple[int, int]], list[frozenset[int]]]] = []
    for r, row in enumerate(grid):
        for c, cell in enumerate(row):
            for key, (dr, dc) in (("right", (0, 1)), ("down", (1, 0))):
                if key not in cell:
                    continue
                run, rr, cc = [], r + dr, c + dc
                while 0 <= rr < len(grid) and 0 <= cc < len(grid[rr]) and grid[rr][cc]["type"] == "white":
                    run.append((rr, cc))
                    rr, cc = rr + dr, cc + dc
                sets = [frozenset(s) for s in combinations(range(1, 10), len(run)) if sum(s) == cell[key]]
                runs.append((run, sets))
    runs_of = {cell: [k for k, (run, _) in enumerate(runs) if cell in run] for cell in whites}
    value: dict[tuple[int, int], int] = {}
    found = 0

    def options(cell: tuple[int, int]) -> set[int]:
        left = set(range(1, 10))
        for k in runs_of[cell]:
            run, sets = runs[k]
            placed = {value[x] for x in run if x in value}
            left &= {d for s in sets if placed <= s for d in s} - placed
        return left

    def fill() -> None:
        nonlocal found
        open_cells = [x for x in whites if x not in value]
        if not open_cells:
            found += 1
            return
        choices = {x: options(x) for x in open_cells}
        cell = min(open_cells, key=lambda x: len(choices[x]))
        for d in sorted(choices[cell]):
            value[cell] = d
            fill()
            del value[cell]
            if found >= limit:
                return

    fill()
    return min(found, limit)


# -- nonogram ------------------------------------------------------------------------------------
def _blocks(line: tuple[int, ...]) -> list[int]:
    return [len(run) for run in "".join(map(str, line)).split("0") if run]


def _nonogram_prefix_ok(prefix: tuple[int, ...], clue: list[int], length: int) -> bool:
    """A column's top part can still grow into its clue: its closed blocks match the clue's first
    ones, an open block is not longer than the clue's next, and the rest fits below."""
    blocks = _blocks(prefix)
    if not blocks:
        done, open_len = 0, 0
    elif prefix[-1]:
        done, open_len = len(blocks) - 1, blocks[-1]
    else:
        done, open_len = len(blocks), 0
    if blocks[:done] != clue[:done] or len(blocks) > len(clue):
        return False
    if open_len and open_len > clue[done]:
        return False
    rest = clue[done:]
    if open_len:  # the open block still needs its remaining cells, then the rest with gaps
        need = rest[0] - open_len + sum(rest[1:]) + len(rest[1:])
    else:
        need = sum(rest) + max(len(rest) - 1, 0)
    return need <= length - len(prefix)


def count_nonogram(state: dict, limit: int = 2) -> int:
    """Every row is one of the lines its clue allows; rows are chosen top to bottom and each
    column's top part must still fit its clue."""
    row_clues = [[v for v in cl if v] for cl in state["row_clues"]]
    col_clues = [[v for v in cl if v] for cl in state["col_clues"]]
    height, width = len(row_clues), len(col_clues)
    lines = [line for line in product((0, 1), repeat=width)]
    options = [[line for line in lines if _blocks(line) == clue] for clue in row_clues]
    found = 0

    def place(rows: list[tuple[int, ...]]) -> None:
        nonlocal found
        if len(rows) == height:
            found += 1  # the prefix check on full columns is the exact clue check
            return
        for row in options[len(rows)]:
            rows.append(row)
            cols = list(zip(*rows))
            if all(_nonogram_prefix_ok(cols[c], col_clues[c], height) for c in range(width)):
                place(rows)
            rows.pop()
            if found >= limit:
                return

    place([])
    return min(found, limit)


# -- skyscrapers ---------------------------------------------------------------------------------
def _visible(line: tuple[int, ...]) -> int:
    seen, tallest = 0, 0
    for h in line:
        if h > tallest:
            seen, tallest = seen + 1, h
    return seen


def count_skyscrapers(state: dict, limit: int = 2) -> int:
    """Every row and every column is a permutation of 1..n that shows the clues at its two ends (a
    clue 0 asks nothing); rows also keep the givens of old rows that have a `grid`. Cells are
    filled in reading order, each with a height that lets both its row so far and its column so
    far still begin one of the lines their clues allow."""
    n = state["n"]
    top, bottom, left, right = (state[s] for s in ("top", "bottom", "left", "right"))
    givens = state.get("grid") or [[0] * n for _ in range(n)]
    lines = list(permutations(range(1, n + 1)))

    def shows(line: tuple[int, ...], first: int, last: int) -> bool:
        return (not first or _visible(line) == first) and (not last or _visible(line[::-1]) == last)

    def following(allowed: list[tuple[int, ...]]) -> dict[tuple[int, ...], set[int]]:
        """Each beginning of an allowed line -> the heights that may come next."""
        after: dict[tuple[int, ...], set[int]] = {}
        for line in allowed:
            for k in range(n):
                after.setdefault(line[:k], set()).add(line[k])
        return after

    row_next = [following([row for row in lines if shows(row, left[r], right[r])
                           and all(not g or g == v for g, v in zip(givens[r], row))])
                for r in range(n)]
    col_next = [following([col for col in lines if shows(col, top[c], bottom[c])]) for c in range(n)]
    grid = [[0] * n for _ in range(n)]
    found = 0

    def fill(i: int) -> None:
        nonlocal found
        if i == n * n:
            found += 1  # every row and column is then a whole allowed line
            return
        r, c = divmod(i, n)
        row_so_far, col_so_far = tuple(grid[r][:c]), tuple(grid[k][c] for k in range(r))
        for h in sorted(row_next[r].get(row_so_far, set()) & col_next[c].get(col_so_far, set())):
            grid[r][c] = h
            fill(i + 1)
            grid[r][c] = 0
            if found >= limit:
                return

    fill(0)
    return min(found, limit)


# -- snake ---------------------------------------------------------------------------------------
def count_snake(state: dict, limit: int = 2) -> int:
    """Grow the path from S one cell at a time. A new cell must keep its row and column within
    their counts and may touch the body only at its predecessor (side) and the cell before that
    (corner, a bend); E is reached last, when the length matches the counts. Pruned by the
    distance and parity to E and by the rows and columns that still need cells: each must lie
    within reach of the remaining length."""
    n = state["n"]
    rows, cols = list(state["row_counts"]), list(state["col_counts"])
    start, end = tuple(state["start"]), tuple(state["end"])
    length = sum(rows)
    if length != sum(cols) or length < 1:
        return 0
    have_r, have_c = [0] * n, [0] * n
    on: dict[tuple[int, int], int] = {}  # cell -> its index along the snake
    path: list[tuple[int, int]] = []
    found = 0

    def fits(cell: tuple[int, int]) -> bool:
        r, c = cell
        if not (0 <= r < n and 0 <= c < n) or cell in on:
            return False
        if have_r[r] >= rows[r] or have_c[c] >= cols[c]:
            return False
        k = len(path)  # the index the cell would get
        for dr in (-1, 0, 1):
            for dc in (-1, 0, 1):
                j = on.get((r + dr, c + dc))
                if j is None:
                    continue
                if (dr == 0 or dc == 0) and j != k - 1:
                    return False   # a side shared with a non-consecutive cell
                if dr and dc and j != k - 2:
                    return False   # a corner met away from a bend
        return True

    def hopeful(cell: tuple[int, int]) -> bool:
        left = length - len(path)  # cells still to place after `cell` (E included)
        dist = abs(cell[0] - end[0]) + abs(cell[1] - end[1])
        if dist > left or (left - dist) % 2:
            return False
        # a row or column still short of its count must be reachable: the path ends at E, so
        # the detour there and on to E must fit in the cells left
        for r in range(n):
            if have_r[r] < rows[r]:
                if abs(r - cell[0]) + abs(r - end[0]) > left:
                    return False
        for c in range(n):
            if have_c[c] < cols[c]:
                if abs(c - cell[1]) + abs(c - end[1]) > left:
                    return False
        return True

    def push(cell: tuple[int, int]) -> None:
        on[cell] = len(path)
        path.append(cell)
        have_r[cell[0]] += 1
        have_c[cell[1]] += 1

    def pop() -> None:
        cell = path.pop()
        del on[cell]
        have_r[cell[0]] -= 1
        have_c[cell[1]] -= 1

    def grow() -> None:
        nonlocal found
        here = path[-1]
        if here == end:
            if len(path) == length and have_r == rows and have_c == cols:
                found += 1
            return  # E is the tail: the snake stops there
        for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
            cell = (here[0] + dr, here[1] + dc)
            if not fits(cell) or (cell == end) != (len(path) + 1 == length):
                continue
            push(cell)
            if hopeful(cell):
                grow()
            pop()
            if found >= limit:
                return

    if start == end:
        return int(length == 1 and rows[start[0]] == 1 and cols[start[1]] == 1)
    if not fits(start):
        return 0
    push(start)
    if hopeful(start):
        grow()
    return min(found, limit)


# -- sudoku --------------------------------------------------------------------------------------
def count_sudoku(state: dict, limit: int = 2) -> int:
    """Digits go into the empty cell with the fewest digits left (not in its row, column or box);
    the givens must not clash to begin with."""
    grid = [list(row) for row in state["grid"]]
    unit_cells = ([[(r, c) for c in range(9)] for r in range(9)]
                  + [[(r, c) for r in range(9)] for c in range(9)]
                  + [[(b // 3 * 3 + k // 3, b % 3 * 3 + k % 3) for k in range(9)] for b in range(9)])
    for unit in unit_cells:
        digits = [grid[r][c] for r, c in unit if grid[r][c]]
        if len(digits) != len(set(digits)):
            return 0

    def options(r: int, c: int) -> set[int]:
        taken = set(grid[r]) | {grid[k][c] for k in range(9)}
        br, bc = r // 3 * 3, c // 3 * 3
        taken |= {grid[br + i][bc + j] for i in range(3) for j in range(3)}
        return set(range(1, 10)) - taken

    found = 0

    def fill() -> None:
        nonlocal found
        empty = [(r, c) for r in range(9) for c in range(9) if not grid[r][c]]
        if not empty:
            found += 1
            return
        choices = {x: options(*x) for x in empty}
        r, c = min(empty, key=lambda x: len(choices[x]))
        for d in sorted(choices[(r, c)]):
            grid[r][c] = d
            fill()
            grid[r][c] = 0
            if found >= limit:
                return

    fill()
    return min(found, limit)


# -- wordsearch ----------------------------------------------------------------------------------
def count_wordsearch(state: dict, limit: int = 2) -> int:
    """Every (first letter, direction) from which the word reads in full, of the eight directions."""
    rows = ["".join(r) if isinstance(r, list) else r for r in state["grid"]]
    rows = [r.upper() for r in rows]
    word = state["word"].upper()
    height, width = len(rows), len(rows[0])
    found = 0
    for r in range(height):
        for c in range(width):
            for dr, dc in ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1)):
                cells = [(r + k * dr, c + k * dc) for k in range(len(word))]
                if all(0 <= y < height and 0 <= x < width and rows[y][x] == ch
                       for (y, x), ch in zip(cells, word)):
                    found += 1
    return min(found, limit)


# -- maze ----------------------------------------------------------------------------------------
def count_maze(state: dict, limit: int = 2) -> int:
    """Simple paths (no cell twice) from S to E in the text maze: cell (r, c) is the character at
    (2r+1, 2c+1), and a move passes the gap character between two cells when it is not '#'."""
    rows = state["maze"]
    if isinstance(rows, str):
        rows = rows.split("\n")
    where = {ch: (r, c) for r, row in enumerate(rows) for c, ch in enumerate(row) if ch in "SE"}
    start, end = where["S"], where["E"]
    seen = {start}
    found = 0

    def walk(r: int, c: int) -> None:
        nonlocal found
        if (r, c) == end:
            found += 1
            return
        for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0)):
            gap, nxt = (r + dr, c + dc), (r + 2 * dr, c + 2 * dc)
            if not (0 < nxt[0] < len(rows) and 0 < nxt[1] < len(rows[nxt[0]])):
                continue
            if rows[gap[0]][gap[1]] == "#" or rows[nxt[0]][nxt[1]] == "#" or nxt in seen:
                continue
            seen.add(nxt)
            walk(*nxt)
            seen.discard(nxt)
            if found >= limit:
                return

    walk(*start)
    return min(found, limit)


# -- minesweeper ---------------------------------------------------------------------------------
def count_minesweeper(state: dict, limit: int = 2) -> int:
    """Mine sets that fit: only blanks hold mines, every number sees its count, and a blank that
    is not a mine (a 0) touches no mine. The last rule makes touching blanks all mines or all safe
    together, so the search decides whole groups of touching blanks and checks the numbers (each
    group's mines next to a number, none above it, enough still open to reach it)."""
    board = state["board"]
    height, width = len(board), len(board[0])
    around = lambda r, c: [(r + dr, c + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1)
                           if (dr or dc) and 0 <= r + dr < height and 0 <= c + dc < width]
    blanks = [(r, c) for r in range(height) for c in range(width) if board[r][c] == "."]
    group: dict[tuple[int, int], int] = {}
    for cell in blanks:  # flood the blank groups (touching includes corners)
        if cell in group:
            continue
        mark, todo = len(set(group.values())), [cell]
        group[cell] = mark
        while todo:
            here = todo.pop()
            for near in around(*here):
                if board[near[0]][near[1]] == "." and near not in group:
                    group[near] = mark
                    todo.append(near)
    groups = len(set(group.values()))
    # per number: its count, and how many of its neighbours lie in each group
    numbers = []
    for r in range(height):
        for c in range(width):
            if board[r][c] != ".":
                share: dict[int, int] = {}
                for near in around(r, c):
                    if near in group:
                        share[group[near]] = share.get(group[near], 0) + 1
                numbers.append((int(board[r][c]), share))
    mine: list[bool | None] = [None] * groups
    found = 0

    def possible() -> bool:
        for want, share in numbers:
            sure = sum(k for g, k in share.items() if mine[g])
            open_ = sum(k for g, k in share.items() if mine[g] is None)
            if not sure <= want <= sure + open_:
                return False
        return True

    def decide(g: int) -> None:
        nonlocal found
        if g == groups:
            found += 1  # possible() held with nothing open: every number is exact
            return
        for choice in (True, False):
            mine[g] = choice
            if possible():
                decide(g + 1)
            mine[g] = None
            if found >= limit:
                return

    if possible():
        decide(0)
    return min(found, limit)


COUNTERS: dict[str, Counter] = {
    "crypto_math": count_crypto_math,
    "binairo": count_binairo,
    "kakuro": count_kakuro,
    "nonogram": count_nonogram,
    "skyscrapers": count_skyscrapers,
    "snake": count_snake,
    "sudoku": count_sudoku,
    "wordsearch": count_wordsearch,
    "maze": count_maze,
    "minesweeper": count_minesweeper,
}
