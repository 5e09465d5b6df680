"""Final-answer extraction. Rules (TASKS.md): take the LAST of `\\boxed{...}` (nested braces
allowed), `<answer>...</answer>` (a `\\boxed{}` inside is unwrapped), or a `Final Answer:` /
`Answer:` line. No free-text guessing. Linear time in the response length."""

from __future__ import annotations

import re

_BOXED = re.compile(r"\\boxed\s*\{")
_TAG = re.compile(r"<answer>(.*?)</answer>", re.IGNORECASE | re.DOTALL)
_LINE = re.compile(r"^[ \t>#*_-]*(?:final[ \t]+answer|answer)[ \t*_]*[:：]([^\n]*)",
                   re.IGNORECASE | re.MULTILINE)
_WRAPPERS = re.compile(r"\\(?:text|mathrm|textbf|mathbf|texttt)\s*\{([^{}]*)\}")


def _boxed_spans(text: str) -> list[tuple[int, str]]:
    """(start, content) of every complete \\boxed{...}, braces balanced; one pass over the text."""
    starts = [m for m in _BOXED.finditer(text)]
    if not starts:
        return []
    closing: dict[int, int] = {}
    stack: list[int] = []
    for i, ch in enumerate(text):
        if ch == "{":
            stack.append(i)
        elif ch == "}" and stack:
            closing[stack.pop()] = i
    spans = []
    for match in starts:
        open_at = match.end() - 1
        if open_at in closing:
            spans.append((match.start(), text[match.end():closing[open_at]]))
    return spans


def _line_answer(text: str, match: re.Match) -> str:
    rest = match.group(1).strip()
    if rest.strip("*_ \t"):
        return rest
    # "Answer:" alone on its line: the answer is the block of lines below, up to a blank line
    block = []
    for line in text[match.end():].lstrip("\n").split("\n"):
        if not line.strip():
            break
        block.append(line)
    return "\n".join(block)


def extract_answer(response: str) -> str | None:
    """The final answer in `response`, or None when it states none."""
    if not isinstance(response, str) or not response:
        return None
    candidates: list[tuple[int, str]] = list(_boxed_spans(response))
    for match in _TAG.finditer(response):
        inner = match.group(1)
        boxed = _boxed_spans(inner)
        candidates.append((match.start(), boxed[-1][1] if boxed else inner))
    for match in _LINE.finditer(response):
        candidates.append((match.start(), _line_answer(response, match)))
    if not candidates:
        return None
    _, answer = max(candidates, key=lambda c: c[0])
    boxed = _boxed_spans(answer)  # "Final Answer: \boxed{..}" unwraps too
    if boxed:
        answer = boxed[-1][1]
    return clean(answer)


def clean(answer: str) -> str:
    """Strip markup that carries no answer: math delimiters, \\text{}, bold. (A trailing period is
    left alone: nonogram rows end in '.'; number parsers drop it.)"""
    answer = answer.strip()
    for _ in range(3):
        answer = _WRAPPERS.sub(r"\1", answer)
    answer = answer.strip().strip("*").strip()
    if answer.startswith("$$") and answer.endswith("$$") and len(answer) >= 4:
        answer = answer[2:-2]
    elif answer.startswith("$") and answer.endswith("$") and len(answer) >= 2:
        answer = answer[1:-1]
    if answer.startswith("\\(") and answer.endswith("\\)"):
        answer = answer[2:-2]
    return answer.strip()
