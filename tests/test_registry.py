"""The two registries agree, every task is in the catalogue, and the README table is current."""

import re
from pathlib import Path

import pytest

from cli.tasks import README, readme_with_table
from generators import registry as generators
from tests.tasks.counters import COUNTERS
from verifiers import registry as verifiers

TASKS_MD = Path(__file__).resolve().parents[2] / "shared" / "TASKS.md"


def test_generator_and_verifier_registries_list_the_same_tasks():
    assert generators.names() and sorted(generators.names()) == verifiers.names()


def test_file_name_is_task_name():
    for task in generators.all_tasks():
        module = type(task).__module__
        assert module == f"generators.{task.category}.{task.name}", module


def test_every_task_is_in_the_catalogue():
    if not TASKS_MD.exists():
        # the shared folder is beside the checkout in CI and on developer machines
        pytest.skip(f"no catalogue at {TASKS_MD}")
    catalogue = TASKS_MD.read_text()
    for task in generators.all_tasks():
        assert f"| {task.name} | {task.official_name} |" in catalogue, task.name


def test_every_unique_task_has_an_independent_counter():
    """A task that promises one solution is counted by tests/tasks/counters.py, and only those."""
    unique = sorted(t.name for t in generators.all_tasks() if t.unique)
    assert unique and sorted(COUNTERS) == unique
    # independent: the counters read the rules, not the code they check
    source = (Path(__file__).parent / "tasks" / "counters.py").read_text()
    imports = re.findall(r"^\s*(?:from|import)\s+([\w.]+)", source, re.MULTILINE)
    assert imports and not [m for m in imports if m.split(".")[0] in ("generators", "verifiers")]


def test_readme_task_table_is_generated_and_current():
    text = README.read_text()
    assert readme_with_table(text) == text, "README task table is stale: run `helix readme`"
