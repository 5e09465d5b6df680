"""The per-task test checklist (TASKS.md rules), as a base class. A task's test file subclasses
`TaskChecklist`, names the task, and supplies `perturb` (answers that must be rejected) plus any
task-specific tests. pytest collects the inherited checks for every subclass."""

from __future__ import annotations

import io
import json
import re
import random
import statistics
from functools import lru_cache
from pathlib import Path
from typing import Callable, ClassVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from generators import registry as generators
from generators.base import LEVELS, Instance, make_instance
from serg.skeleton import build_skeleton
from tests.tasks.counters import COUNTERS
from verifiers import registry as verifiers

SEED = 20261121
ROOT = Path(__file__).resolve().parents[2]


@lru_cache(maxsize=4096)
def instance(task: str, level: int, index: int, seed: int = SEED, split: str = "train") -> Instance:
    return make_instance(generators.get(task), level, split, index, seed)


def roundtrip(state: dict) -> dict:
    """The verifier sees only the exported JSON, as a reader of the shards would."""
    return json.loads(json.dumps(state))


class TaskChecklist:
    task: ClassVar[str]
    per_level: ClassVar[int] = 3          # instances per level for the checks
    effort_samples: ClassVar[int] = 6     # instances per level for the difficulty check
    # for tasks with a Yes/No (or path/No) answer: answer -> branch label; both must occur per level
    branch_of: ClassVar[Callable[[str], str] | None] = None
    branch_samples: ClassVar[int] = 10

    def perturb(self, inst: Instance, rng: random.Random) -> list[str]:
        """Answers that differ from a right one in one cell / move / number: all must be rejected."""
        raise NotImplementedError

    # -- helpers --------------------------------------------------------------------------
    def instances(self, level: int, count: int | None = None) -> list[Instance]:
        return [instance(self.task, level, i) for i in range(count or self.per_level)]

    def all_instances(self) -> list[Instance]:
        return [inst for level in LEVELS for inst in self.instances(level)]

    # -- the checklist --------------------------------------------------------------------
    def test_registered_in_both_registries(self):
        task = generators.get(self.task)
        assert task.name == self.task
        assert self.task in verifiers.names()
        assert task.category in ("algorithms", "graphs", "puzzles", "games")
        path = ROOT / "verifiers" / task.category / f"{self.task}.py"
        assert path.exists(), "verifier module must mirror the generator module"
        imports = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", path.read_text(), re.MULTILINE)
        helpers = [ROOT / "verifiers" / task.category / f"{m.rsplit('.', 1)[-1]}.py"
                   for m in imports if m.startswith(f"verifiers.{task.category}._")]
        imports += [m for h in helpers if h.exists()
                    for m in re.findall(r"^\s*(?:from|import)\s+([\w.]+)", h.read_text(), re.MULTILINE)]
        assert not [m for m in imports if m.split(".")[0] == "generators"], \
            "the verifier (and its private helpers) must not import the generator"

    def test_same_seed_is_byte_identical(self):
        task = generators.get(self.task)
        for level in LEVELS:
            a = make_instance(task, level, "train", 7, SEED)
            b = make_instance(task, level, "train", 7, SEED)
            assert a.id == b.id
            assert json.dumps(a.initial_state, sort_keys=True) == json.dumps(b.initial_state, sort_keys=True)
            assert a.solution.answer == b.solution.answer
            assert a.question_image == b.question_image and a.question_text == b.question_text
            assert a.images == b.images
            assert build_skeleton(task, a.solution) == build_skeleton(task, b.solution)

    def test_different_indices_give_different_instances(self):
        ids = {inst.id for inst in self.all_instances()}
        assert len(ids) >= len(LEVELS) * self.per_level - 1

    def test_every_level_generates(self):
        task = generators.get(self.task)
        for level in LEVELS:
            for inst in self.instances(level):
                assert inst.level == level and inst.task == self.task
                assert inst.solution.answer.strip()
                assert inst.solution.steps, "the solver must record its steps"
                assert inst.question_image.strip() and inst.question_text.strip()
                assert inst.question_image != inst.question_text
                json.dumps(inst.initial_state)
                assert inst.images, "every instance has a picture"
                for png in inst.images:
                    assert png[:8] == b"\x89PNG\r\n\x1a\n"
                    picture = Image.open(io.BytesIO(png))
                    picture.load()
                    assert picture.width >= 64 and picture.height >= 64
                assert inst.solution.effort >= 0
                assert inst.attempts <= task.max_attempts

    def test_verifier_accepts_solver_answer(self):
        for inst in self.all_instances():
            state = roundtrip(inst.initial_state)
            verdict = verifiers.verify_answer(self.task, state, inst.solution.answer)
            assert verdict.correct, (inst.solution.answer, verdict)
            wrapped = f"Let me think.\n...\nSo the answer is \\boxed{{{inst.solution.answer}}}"
            assert verifiers.verify(self.task, state, wrapped).correct
            tagged = f"reasoning\n<answer>{inst.solution.answer}</answer>"
            assert verifiers.verify(self.task, state, tagged).correct

    def test_verifier_accepts_skeleton(self):
        task = generators.get(self.task)
        for inst in self.all_instances():
            skeleton = build_skeleton(task, inst.solution)
            verdict = verifiers.verify(self.task, roundtrip(inst.initial_state), skeleton)
            assert verdict.correct, (skeleton[-300:], verdict)

    def test_perturbed_answers_are_rejected(self):
        rng = random.Random(5)
        total = 0
        for inst in self.all_instances():
            state = roundtrip(inst.initial_state)
            for bad in self.perturb(inst, rng):
                assert bad != inst.solution.answer
                verdict = verifiers.verify_answer(self.task, state, bad)
                assert not verdict.correct, (bad, inst.solution.answer)
                assert verdict.status in ("wrong", "unparsable"), verdict
                assert verdict.reason, "a rejection explains itself"
                total += 1
        assert total >= len(LEVELS) * self.per_level

    def test_no_answer_is_unparsable(self):
        inst = instance(self.task, 1, 0)
        verdict = verifiers.verify(self.task, inst.initial_state, "I am not sure.")
        assert verdict.status == "unparsable" and not verdict.correct

    def test_difficulty_rises_with_level(self):
        means = [statistics.mean(i.solution.effort for i in self.instances(level, self.effort_samples))
                 for level in LEVELS]
        assert all(a <= b for a, b in zip(means, means[1:])), means
        assert means[-1] > means[0], means

    def test_uniqueness_where_promised(self):
        """The generator's own proof and an independent count from the initial state alone
        (tests/tasks/counters.py) must both say one solution."""
        if not generators.get(self.task).unique:
            pytest.skip(f"{self.task} does not promise a unique solution")
        count = COUNTERS[self.task]
        for inst in self.all_instances():
            assert inst.solution.num_solutions == 1, inst.id
            assert count(roundtrip(inst.initial_state)) == 1, inst.id

    def test_both_branches_at_every_level(self):
        if self.branch_of is None:
            pytest.skip(f"{self.task} has no two-branch (Yes/No) answer")
        for level in LEVELS:
            labels = {type(self).branch_of(i.solution.answer)
                      for i in self.instances(level, self.branch_samples)}
            assert len(labels) >= 2, (level, labels)

    @settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
    @given(text=st.one_of(
        st.text(max_size=300),
        st.text(alphabet="0123456789()[]{},.-:|@ XxNESW\n", max_size=400),
        st.from_regex(r"\\boxed\{.{0,80}\}", fullmatch=True),
    ))
    def test_verifier_never_raises_on_arbitrary_text(self, text):
        for level in (1, 5):
            inst = instance(self.task, level, 0)
            for judged in (verifiers.verify(self.task, inst.initial_state, text),
                           verifiers.verify_answer(self.task, inst.initial_state, text)):
                assert judged.status in ("ok", "unparsable", "wrong"), judged

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def test_verifier_never_raises_on_near_misses(self, data):
        inst = instance(self.task, data.draw(st.sampled_from(LEVELS)), 0)
        answer = inst.solution.answer
        i = data.draw(st.integers(0, max(len(answer) - 1, 0)))
        j = data.draw(st.integers(i, len(answer)))
        insert = data.draw(st.text(max_size=5))
        near = answer[:i] + insert + answer[j:]
        judged = verifiers.verify_answer(self.task, inst.initial_state, near)
        assert judged.status in ("ok", "unparsable", "wrong"), judged
