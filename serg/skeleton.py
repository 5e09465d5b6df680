"""Rule-based chain of thought: the solver's recorded steps as plain text.

The skeleton restates the rules briefly, walks the steps in order with their anchor states
(tries, dead ends and backtracks included, so the trial and error is visible), and ends with the
answer in the official format inside \\boxed{}. SERG hands it to an LLM to elaborate; without an
endpoint it is the trace itself.
"""

from __future__ import annotations

from generators.base import Solution, Step, Task

_LEAD = {
    "observe": "Observe",
    "deduce": "Deduce",
    "try": "Try",
    "check": "Check",
    "dead_end": "Dead end",
    "backtrack": "Backtrack",
    "conclude": "Conclude",
}
# very long searches keep their opening and their ending; the middle is summarised by kind
MAX_STEPS = 240
HEAD_STEPS = 140
TAIL_STEPS = 80


def render_step(number: int, step: Step) -> str:
    line = f"{number}. {_LEAD[step.kind]}: {step.text}"
    if step.anchor:
        anchor = "\n".join("   " + row for row in step.anchor.splitlines())
        line = f"{line}\n{anchor}"
    return line


def _summary(steps: list[Step]) -> str:
    counts: dict[str, int] = {}
    for step in steps:
        counts[step.kind] = counts.get(step.kind, 0) + 1
    parts = ", ".join(f"{n} {_LEAD[k].lower()}" for k, n in counts.items())
    return f"... {len(steps)} further steps in the same manner ({parts}) ..."


def build_skeleton(task: Task, solution: Solution) -> str:
    steps = solution.steps
    lines = [f"Rules: {task.rules}", "", "Solution steps:"]
    if len(steps) > MAX_STEPS:
        head, middle, tail = steps[:HEAD_STEPS], steps[HEAD_STEPS:-TAIL_STEPS], steps[-TAIL_STEPS:]
        lines += [render_step(i + 1, s) for i, s in enumerate(head)]
        lines.append(_summary(middle))
        start = len(steps) - TAIL_STEPS
        lines += [render_step(start + i + 1, s) for i, s in enumerate(tail)]
    else:
        lines += [render_step(i + 1, s) for i, s in enumerate(steps)]
    lines += ["", f"Final Answer: \\boxed{{{solution.answer}}}"]
    return "\n".join(lines)
