"""The two registries agree, every task is in the catalogue, and the README table is current."""

from pathlib import Path

from flows.cli import README, readme_with_table
from generators import registry as generators
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
        return  # the shared folder is beside the checkout in CI and on developer machines
    catalogue = TASKS_MD.read_text()
    for task in generators.all_tasks():
        assert f"| {task.name} | {task.official_name} |" in catalogue, task.name


def test_readme_task_table_is_generated_and_current():
    text = README.read_text()
    assert readme_with_table(text) == text, "README task table is stale: run `helix readme`"
