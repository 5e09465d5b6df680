"""Every official reference answer of the sample is accepted in the answer formats models write:
`\\boxed{}`, `<answer>`, `Answer:` / `Final Answer:` (same or next line, trailing period),
`**Answer:**`, `\\boxed{\\text{}}` and a code fence after an answer marker."""

from __future__ import annotations

import pytest

from tests.test_official import DOCUMENTED_WRONG, _row_id, by_official, sample_rows
from verifiers import official

FORMATS = {
    "boxed": "The work is done.\n\\boxed{{{a}}}",
    "answer-tag": "reasoning...\n<answer>{a}</answer>",
    "answer-line": "Thinking about it.\nAnswer: {a}",
    "answer-line-period": "Thinking about it.\nAnswer: {a}.",
    "final-answer-next-line": "Thinking about it.\nFinal Answer:\n{a}",
    "final-answer-next-line-period": "Thinking about it.\nFinal Answer:\n{a}.",
    "bold-answer": "Thinking about it.\n**Answer:** {a}",
    "boxed-text": "So:\n\\boxed{{\\text{{{a}}}}}",
    "fence-after-marker": "Thinking about it.\nFinal Answer:\n```\n{a}\n```",
}


@pytest.mark.parametrize("fmt", list(FORMATS))
@pytest.mark.parametrize("row", sample_rows(), ids=_row_id)
def test_reference_answer_is_accepted_in_each_format(row, fmt):
    if (row["category"], int(row["difficulty"])) in DOCUMENTED_WRONG:
        pytest.skip("the official rules reject this reference answer (docs/official-differences.md)")
    task = by_official()[row["category"]]
    response = FORMATS[fmt].format(a=row["answer"].strip())
    verdict = official.verify_official(task, row["initial_state"], row["question"], response,
                                       question_text=row["question_text"])
    assert verdict.correct, (task, fmt, verdict.status, verdict.reason, response[-300:])
