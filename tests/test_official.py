"""The official MM-HELIX row shapes, both ways, for all 42 tasks.

- every row of `../shared/interop/official_sample.tsv` (made by the public generators) converts to
  helix's state and helix accepts its reference answer (the documented exceptions listed);
- helix's own instances convert to the official shape and back to the same state, and the solution
  is judged the same both ways (so export -> import keeps instance ids and verdicts).
"""

from __future__ import annotations

import csv
import json
import sys
from functools import lru_cache
from pathlib import Path

import pytest

from generators import registry as generators
from generators.base import LEVELS
from tests.tasks.checklist import instance
from verifiers import official
from verifiers import registry as verifiers

SAMPLE = Path(__file__).resolve().parents[2] / "shared" / "interop" / "official_sample.tsv"
# (category, level) whose official reference answer the official rules themselves reject
DOCUMENTED_WRONG: set[tuple[str, int]] = {("eulero", 4)}  # 6 x 6: no Graeco-Latin square exists


@lru_cache(maxsize=1)
def sample_rows() -> list[dict]:
    if not SAMPLE.exists():
        return []
    csv.field_size_limit(sys.maxsize)
    with open(SAMPLE, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def by_official() -> dict[str, str]:
    return {generators.get(n).official_name: n for n in generators.names()}


def _row_id(row: dict) -> str:
    return f"{row['category']}-L{row['difficulty']}"


@pytest.mark.parametrize("row", sample_rows(), ids=_row_id)
def test_official_row_converts_and_reference_answer_is_accepted(row):
    task = by_official()[row["category"]]
    state = official.to_helix(task, row["initial_state"], row["question"],
                              question_text=row["question_text"])
    verdict = verifiers.verify_answer(task, state, row["answer"])
    if (row["category"], int(row["difficulty"])) in DOCUMENTED_WRONG:
        pytest.skip("the official rules reject this reference answer (docs/official-differences.md)")
    assert verdict.correct, (task, verdict.reason, row["answer"][:200])
    # the text-only question carries every fact (the image question may leave some to the picture)
    assert official.to_helix(task, row["initial_state"], row["question_text"]) == state


@pytest.mark.parametrize("row", sample_rows(), ids=_row_id)
def test_official_row_survives_helix_export(row):
    """official -> helix -> official -> helix is stable (export of an imported row re-imports)."""
    task = by_official()[row["category"]]
    state = official.to_helix(task, row["initial_state"], row["question"],
                              question_text=row["question_text"])
    again = official.to_helix(task, official.to_official(task, state, row["answer"]), row["question"],
                              question_text=row["question_text"])
    assert again == state


@pytest.mark.parametrize("task", generators.names())
@pytest.mark.parametrize("level", [1, 5])
def test_helix_instance_round_trips_through_the_official_shape(task, level):
    for index in range(2):
        inst = instance(task, level, index)
        state = json.loads(json.dumps(inst.initial_state))
        text = official.to_official(task, state, inst.solution.answer)
        assert isinstance(text, str)
        for question in (inst.question_image, inst.question_text):
            back = official.to_helix(task, text, question)
            assert back == state, f"{task} L{level} #{index}: state changed through the official shape"
        answer = inst.solution.answer
        assert verifiers.verify_answer(task, back, answer).correct
        assert official.verify_official(task, text, inst.question_text,
                                        f"<answer>{answer}</answer>").correct


def test_every_sample_category_is_a_helix_task():
    rows = sample_rows()
    if not rows:
        pytest.skip(f"{SAMPLE} not present")
    names = by_official()
    assert {r["category"] for r in rows} <= set(names)
    assert len({r["category"] for r in rows}) == 42


@pytest.mark.parametrize("bad", ["", "not json", "[1, 2]", "{\"grid\": 3}", "\x00\x01"])
@pytest.mark.parametrize("task", generators.names())
def test_odd_official_state_is_a_named_error_or_a_state(task, bad):
    """Whatever the cell holds, the adapter says what is wrong in one line or yields a state."""
    try:
        state = official.to_helix(task, bad, "")
    except official.AdapterError as error:
        assert str(error) and "\n" not in str(error).strip()
        return
    assert isinstance(state, dict)


def test_verify_official_never_raises_on_odd_rows():
    for task in generators.names():
        verdict = official.verify_official(task, "}{", "", "Answer: 3")
        assert verdict.status in ("verifier_error", "wrong", "unparsable", "ok")


# the metric names of VLMEvalKit's MM-HELIX evaluator (`metrics` in its mmhelix/metrics.py)
OFFICIAL_METRICS = {
    "simple_str_match", "sliding_puzzle_evaluator", "eulero_evaluator", "hanoi_evaluator",
    "maze_evaluator", "minesweeper_evaluator", "numbrix_evaluator", "sokoban_evaluator",
    "snake_evaluator", "wordsearch_evaluator", "hamiltonian_path_evaluator",
    "hamiltonian_cycle_evaluator", "eulerian_path_evaluator", "eulerian_cycle_evaluator",
    "topological_sort_evaluator", "24points_evaluator", "calcudoku_evaluator", "cryptomath_evaluator",
    "kukurasu_evaluator", "skyscrapers_evaluator", "wordladder_evaluator", "aquarium_evaluator",
    "binairo_evaluator", "campsite_evaluator", "futoshiki_evaluator", "hitori_evaluator",
    "nonogram_evaluator", "bridges_evaluator", "kakuro_evaluator", "shingoki_evaluator",
    "tapa_evaluator", "nibbles_evaluator", "sudoku_evaluator"}


@pytest.mark.parametrize("task", generators.names())
def test_every_task_names_the_official_metric(task):
    """The official evaluator falls back to string match on a name it does not know (it did for
    the old `exact_match` label): each task carries the name the published rows carry."""
    name = generators.get(task).score_function
    assert name in OFFICIAL_METRICS
    published = {json.loads(r["metric_info"])["score_function"] for r in sample_rows()
                 if by_official()[r["category"]] == task}
    if published:
        assert published == {name}
