"""Final-answer extraction. Rules (TASKS.md): take the LAST of `\\boxed{...}` (nested braces
allowed), `<answer>...</answer>` (a `\\boxed{}` inside is unwrapped), or a `Final Answer:` /
`Answer:` line. No free-text guessing.

Linear time and memory in the response length, whatever the response: only the last candidate of
each kind is ever built (a response of 100,000 `Answer:` lines or nested `\\boxed{` costs one scan,
not one scan per marker), and a response longer than MAX_RESPONSE_CHARS is not read at all.
"""

from __future__ import annotations

import re

# longer than any real reply (32,768 tokens of a thinking model are ~130,000 characters)
MAX_RESPONSE_CHARS = 2_000_000

_BOXED = re.compile(r"\\boxed\s*\{")
_BRACE = re.compile(r"[{}]")
_OPEN_TAG, _CLOSE_TAG = "<answer>", "</answer>"
_LINE = re.compile(r"^[ \t>#*_-]*(?:final[ \t]+answer|answer)[ \t*_]*[:：]([^\n]*)",
                   re.IGNORECASE | re.MULTILINE)
_BLANK_LINE = re.compile(r"^[ \t]*$", re.MULTILINE)
_WRAPPERS = re.compile(r"\\(?:text|mathrm|textbf|mathbf|texttt)\s*\{([^{}]*)\}")


def _last_boxed(text: str) -> tuple[int, str] | None:
    """(start, content) of the last complete \\boxed{...}, braces balanced."""
    if "}" not in text:
        return None
    starts = [(m.start(), m.end()) for m in _BOXED.finditer(text)]
    if not starts:
        return None
    if len(text) > _VECTOR_FROM:
        return _last_boxed_vector(text, starts)
    # short text: try starts from the right; a start whose box does not close before the next
    # (unclosed) start never closes, so each stretch is scanned once
    limit = len(text)
    for begin, content in reversed(starts):
        depth = 1
        for brace in _BRACE.finditer(text, content, limit):
            depth += 1 if brace.group() == "{" else -1
            if depth == 0:
                return begin, text[content:brace.start()]
        limit = begin
    return None


_VECTOR_FROM = 4096  # characters; below, the plain scan is faster than setting up arrays


def _last_boxed_vector(text: str, starts: list[tuple[int, int]]) -> tuple[int, str] | None:
    """The same for long text, with array operations: brace depth after every character, its
    minimum over every suffix; a box opened at depth d closes iff the depth later falls below d,
    at the first place it does. No Python loop over characters or over boxes."""
    import numpy as np

    codes = np.frombuffer(text.encode("utf-32-le", errors="surrogatepass"), dtype=np.uint32)
    depth = np.cumsum((codes == 123).astype(np.int32) - (codes == 125).astype(np.int32))
    floor = np.minimum.accumulate(depth[::-1])[::-1]  # lowest depth from here to the end
    opens = np.fromiter((content - 1 for _, content in starts), dtype=np.int64, count=len(starts))
    after = opens + 1
    closable = after < len(text)
    closable[closable] &= floor[after[closable]] < depth[opens[closable]]
    found = np.flatnonzero(closable)
    if not found.size:
        return None
    k = int(found[-1])
    o, d = int(opens[k]), int(depth[opens[k]])
    close = o + 1 + int(np.argmax(depth[o + 1:] < d))
    return starts[k][0], text[starts[k][1]:close]


def _last_tag(text: str) -> tuple[int, str] | None:
    """(start, content) of the last complete <answer>...</answer> (case-insensitive)."""
    lower = text.lower()
    close = lower.rfind(_CLOSE_TAG)
    if close < 0:
        return None
    open_at = lower.rfind(_OPEN_TAG, 0, close)
    if open_at < 0:
        return None
    inner = text[open_at + len(_OPEN_TAG):close]
    boxed = _last_boxed(inner)
    return open_at, boxed[1] if boxed else inner


def _last_line(text: str) -> tuple[int, str] | None:
    last = None
    for last in _LINE.finditer(text):
        pass
    if last is None:
        return None
    rest = last.group(1).strip()
    if rest.strip("*_ \t"):
        if rest.startswith("```") and rest.count("```") == 1:  # "Answer: ```" opens a fenced block
            close = text.find("```", last.end())
            if close >= 0:
                return last.start(), text[last.start(1):close + 3].strip()
        if _open_brackets(rest) > 0:  # "Answer: [[1, 2]," goes on over the next lines
            stop = _BLANK_LINE.search(text, last.end())
            block = text[last.start(1): stop.start() if stop else len(text)][:_UNWRAP_UP_TO]
            depth, end = 0, len(block)
            for k, ch in enumerate(block):
                depth += (ch in "[{(") - (ch in "]})")
                if depth == 0 and ch in "]})":
                    end = k + 1
                    break
            return last.start(), block[:end].strip()
        return last.start(), rest + _continuation(text, last.end())
    # "Answer:" alone on its line: the answer is the block of lines below, up to a blank line
    begin = last.end()
    while begin < len(text) and text[begin] == "\n":
        begin += 1
    blank = _BLANK_LINE.search(text, begin)
    return last.start(), text[begin: blank.start() if blank else len(text)].rstrip("\n")


_PROSE = re.compile(r"[A-Za-z]{3}")
_CONTINUATION_LINES = 64  # no grid answer has more rows


def _continuation(text: str, at: int) -> str:
    """The lines that go on an answer begun on the marker's line ("Answer: B3|C2|A1" then the
    other rows of the grid): following non-blank lines with no prose in them (no run of three
    letters: grid rows of digits, '|', '.', 'X', pairs and single letters), up to a blank line."""
    out: list[str] = []
    while at < len(text) and text[at] == "\n" and len(out) < _CONTINUATION_LINES:
        end = text.find("\n", at + 1)
        line = text[at + 1: end if end >= 0 else len(text)]
        if not line.strip() or _PROSE.search(line) or not any(c.isalnum() or c == "." for c in line) \
                or line.lstrip().startswith("```"):
            break
        out.append(line)
        at = end if end >= 0 else len(text)
    return "".join("\n" + line for line in out)


def _open_brackets(text: str) -> int:
    return sum(text.count(c) for c in "[{(") - sum(text.count(c) for c in "]})")


def extract_answer(response: str) -> str | None:
    """The final answer in `response`, or None when it states none (or is longer than
    MAX_RESPONSE_CHARS, and is not read)."""
    if not isinstance(response, str) or not response or len(response) > MAX_RESPONSE_CHARS:
        return None
    candidates = [c for c in (_last_boxed(response), _last_tag(response), _last_line(response)) if c]
    if not candidates:
        return None
    _, answer = max(candidates, key=lambda c: c[0])
    boxed = _last_boxed(answer)  # "Final Answer: \\boxed{..}" unwraps too
    if boxed:
        answer = boxed[1]
    return clean(answer)


_WRAPPER_OPEN = re.compile(r"\\(?:text|mathrm|textbf|mathbf|texttt)\s*\{")
_FENCE_TAG = re.compile(r"[\w+-]*[ \t]*")  # the language tag line of a fence: ```python
_UNWRAP_UP_TO = 100_000  # characters: no real answer is longer; past it nothing is unwrapped or followed


def _unfence(answer: str) -> str:
    """The content of a code fence around the whole answer (no regex: a fence opened and never
    closed must cost one pass, not a backtracking search)."""
    if len(answer) < 6 or not (answer.startswith("```") and answer.endswith("```")):
        return answer
    inner = answer[3:-3]
    first, newline, rest = inner.partition("\n")
    if newline and _FENCE_TAG.fullmatch(first):
        inner = rest
    return inner.strip()


def _unwrap_whole(answer: str) -> str:
    """`\\text{...}` around the whole answer, whatever braces the answer holds inside."""
    match = _WRAPPER_OPEN.match(answer)
    if not match or not answer.endswith("}") or len(answer) > _UNWRAP_UP_TO:
        return answer
    depth = 1
    for k in range(match.end(), len(answer)):
        depth += (answer[k] == "{") - (answer[k] == "}")
        if depth == 0:
            return answer[match.end():k] if k == len(answer) - 1 else answer
    return answer


def clean(answer: str) -> str:
    """Strip markup that carries no answer: a code fence, math delimiters, \\text{}, bold, and a
    sentence's full stop after a closing bracket, a quote, a '|', a digit or a lower-case letter
    ("Answer: [1, 2].", "Answer: 42."). A period after anything else is left alone: nonogram
    rows end in '.' after '.' or 'X'."""
    answer = _unfence(answer.strip())
    for _ in range(3):
        answer = _unwrap_whole(answer.strip())
        answer = _WRAPPERS.sub(r"\1", answer)
    answer = answer.strip().strip("*").strip()
    if len(answer) >= 2 and answer[-1] == "." and (answer[-2] in "]})|\"'" or answer[-2].isdigit()
                                                   or answer[-2].islower()):
        # "Answer: [1, 2].", "Answer: 42.", "Answer: the -> tie -> gun."; nonogram rows end
        # in '.' after '.' or 'X' and keep it
        answer = answer[:-1]
    if answer.startswith("$$") and answer.endswith("$$") and len(answer) >= 4:
        answer = answer[2:-2]
    elif answer.startswith("$") and answer.endswith("$") and len(answer) >= 2:
        answer = answer[1:-1]
    if answer.startswith("\\(") and answer.endswith("\\)"):
        answer = answer[2:-2]
    return answer.strip()
