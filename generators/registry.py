"""The task registry. Each task module ends with one `register(...)` line; importing the four
category packages (done lazily here) fills the registry, so adding a task is adding a file."""

from __future__ import annotations

import importlib
import pkgutil
from typing import Annotated

from pydantic import AfterValidator

from generators.base import CATEGORIES, Task

_TASKS: dict[str, Task] = {}
_loaded = False


def register(task: Task) -> Task:
    if task.name in _TASKS and type(_TASKS[task.name]) is not type(task):
        raise ValueError(f"task {task.name!r} registered twice")
    missing = [a for a in ("name", "category", "official_name", "levels", "rules", "answer_format")
               if not hasattr(task, a)]
    if missing:
        raise TypeError(f"{type(task).__name__} lacks {', '.join(missing)}")
    if sorted(task.levels) != [1, 2, 3, 4, 5]:
        raise ValueError(f"{task.name}: the level table must have levels 1..5")
    _TASKS[task.name] = task
    return task


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for category in CATEGORIES:
        package = importlib.import_module(f"generators.{category}")
        for module in pkgutil.iter_modules(package.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"generators.{category}.{module.name}")
    _loaded = True


def get(name: str) -> Task:
    _load()
    try:
        return _TASKS[name]
    except KeyError:
        raise KeyError(f"unknown task {name!r}; known tasks: {', '.join(sorted(_TASKS))}") from None


def require_known(tasks: list[str]) -> list[str]:
    """Validate user-given task names (configs, CLI): the first unknown one is named."""
    known = set(names())
    for task in tasks:
        if task not in known:
            raise ValueError(f"unknown task {task!r} (see `helix tasks`)")
    return tasks


def in_registry_order(tasks: list[str]) -> list[str]:
    """Known task names, repeats dropped, in registry order (for configs whose hash names them)."""
    order = names()
    return sorted(set(require_known(tasks)), key=order.index)


# config field types: `tasks: TaskList` names an unknown task where the config is made
TaskList = Annotated[list[str], AfterValidator(require_known)]
SortedTaskList = Annotated[list[str], AfterValidator(in_registry_order)]


def names() -> list[str]:
    """Registered task names, ordered by category then name."""
    _load()
    order = {c: i for i, c in enumerate(CATEGORIES)}
    return sorted(_TASKS, key=lambda n: (order[_TASKS[n].category], n))


def all_tasks() -> list[Task]:
    return [_TASKS[n] for n in names()]
