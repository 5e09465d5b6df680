"""The Task contract: what every one of the 42 procedural tasks provides, and how instances are made.

A task module defines a `Task` subclass (level table, state model, generate, solve with recorded
steps, question texts, drawing) and registers one instance of it. `make_instance` turns
(task, level, split, index, global seed) into a finished, deterministic `Instance`.
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict

from common.hashing import stable_hash

Category = Literal["algorithms", "graphs", "puzzles", "games"]
CATEGORIES: tuple[Category, ...] = ("algorithms", "graphs", "puzzles", "games")
Variant = Literal["image", "text"]
StepKind = Literal["observe", "deduce", "try", "check", "dead_end", "backtrack", "conclude"]
LEVELS = (1, 2, 3, 4, 5)
SPLITS = ("train", "val", "benchmark")


def check_levels(levels: list[int], empty_ok: bool = False) -> list[int]:
    """The one check of a config's level list, used by every config: each level within 1..5 (a
    bad level is named before anything runs), repeats dropped, order kept. `empty_ok`: empty
    means "all"."""
    bad = [lv for lv in levels if type(lv) is not int or lv not in LEVELS]
    if bad:
        raise ValueError(f"levels must be within 1..5, got {bad[0]!r}")
    if not levels and not empty_ok:
        raise ValueError("levels must name at least one of 1..5")
    return list(dict.fromkeys(levels))


# config field types: `levels: LevelList` checks the list where the config is made
LevelList = Annotated[list[int], AfterValidator(check_levels)]
# for configs whose hash names the levels: sorted, so the order they were given in changes nothing
SortedLevelList = Annotated[list[int], AfterValidator(lambda levels: sorted(check_levels(levels)))]


class Step(BaseModel):
    """One recorded solver step. `anchor` is a key intermediate state as plain text (a grid, a
    table row, a stack) that the skeleton shows and an elaborating LLM must keep exact."""

    model_config = ConfigDict(frozen=True)
    kind: StepKind
    text: str
    anchor: str | None = None


class Solution(BaseModel):
    """The solver's result: the answer in the official format, the steps that led there,
    the capped solution count (1 = proved unique, 2 = at least two; None = not counted),
    and the measured effort (search nodes or solution length) that must rise with the level."""

    answer: str
    steps: list[Step]
    num_solutions: int | None = None
    effort: int


class Rejected(Exception):
    """A generation attempt that does not yield a fair instance (not unique, too easy, ...).
    `make_instance` counts it with its reason and tries again with a fresh derived seed."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class GenerationError(RuntimeError):
    """Every attempt of the budget was rejected."""


State = TypeVar("State", bound=BaseModel)


class Task(ABC, Generic[State]):
    """One procedural task. Subclasses set the class attributes and implement the six methods."""

    name: ClassVar[str]
    category: ClassVar[Category]
    official_name: ClassVar[str]
    # bump when generate/solve/render change output: rows carry it, rebuilds key on it
    version: ClassVar[int] = 1
    # the level table: level -> parameters; the only place difficulty lives. Each entry is the
    # module's `Level` NamedTuple, so fields read by name and still unpack as a tuple
    levels: ClassVar[dict[int, tuple[Any, ...]]]
    # the rules in one short paragraph (questions and skeletons both use it)
    rules: ClassVar[str]
    # how the answer must be written, with an example
    answer_format: ClassVar[str]
    # the official evaluator's metric for the task (`metric_info.score_function` of the published
    # rows: `simple_str_match` or `<task>_evaluator`); every task names its own
    score_function: ClassVar[str]
    # True where the official scoring compares with the stored answer: solution proved unique
    unique: ClassVar[bool] = False
    # generation attempts per instance before giving up (each attempt has its own derived seed).
    # Sized so that giving up is never seen: with the lowest measured acceptance of a task at 0.33
    # per attempt, 128 attempts all fail with probability < 1e-22. Tasks whose draws are
    # rejected more often (few-solution filters) raise it.
    max_attempts: ClassVar[int] = 128
    # paired tasks (isomorphism): indices 2k and 2k+1 share one seed and are the two members of a
    # pair; `generate_member` draws identically for both up to where the members diverge
    paired: ClassVar[bool] = False

    def params(self, level: int) -> Any:
        """The level's entry of the table (the task's `Level`); ValueError outside 1..5."""
        if level not in self.levels:
            raise ValueError(f"{self.name}: level must be one of 1..5, got {level!r}")
        return self.levels[level]

    @abstractmethod
    def generate(self, rng: random.Random, level: int) -> State:
        """Draw one instance state; raise `Rejected(reason)` for an unfair draw."""

    def generate_member(self, rng: random.Random, level: int, member: int) -> State:
        """For paired tasks: member 0 or 1 of the pair drawn from `rng` (same draw for both)."""
        raise NotImplementedError(f"{self.name} is not a paired task")

    @abstractmethod
    def solve(self, state: State) -> Solution:
        """Solve deterministically, recording the steps."""

    @abstractmethod
    def question(self, state: State, variant: Variant) -> str:
        """The prompt: `image` refers to the picture, `text` transcribes the whole state."""

    @abstractmethod
    def render(self, state: State) -> list[bytes]:
        """The picture(s) as PNG bytes."""

    @abstractmethod
    def initial_state(self, state: State) -> dict[str, Any]:
        """The state in the official benchmark shape; the verifier reads only this."""


def instance_seed(global_seed: int, split: str, task: str, level: int, index: int) -> int:
    """Per-instance seed by hashing the coordinates (never seed + index: neighbours would overlap)."""
    # 63 bits: fits a signed 64-bit Parquet column
    return int(stable_hash("seed", global_seed, split, task, level, index), 16) >> 1


def instance_id(task: str, initial_state: dict[str, Any]) -> str:
    """Content id: the same state gets the same id whatever seed or prompt produced it."""
    return stable_hash("instance", task, initial_state, digest_size=10)


@dataclass
class Instance:
    """A finished instance: state, solution, both questions, pictures, and how long each part took."""

    id: str
    task: str
    category: str
    official_name: str
    task_version: int
    level: int
    split: str
    index: int
    seed: int
    state: BaseModel
    initial_state: dict[str, Any]
    solution: Solution
    question_image: str
    question_text: str
    images: list[bytes]
    attempts: int = 1
    rejections: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def make_instance(task: Task, level: int, split: str, index: int, global_seed: int,
                  render: bool = True, redraw: int = 0) -> Instance:
    """Generate, solve and draw one instance. Deterministic in its arguments; bounded attempts.
    `redraw` > 0 draws a replacement for the index (its puzzle was taken elsewhere); the members
    of a pair are redrawn together by giving both the same value."""
    task.params(level)  # validates the level
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    pair_index, member = divmod(index, 2) if task.paired else (index, 0)
    seed = instance_seed(global_seed, split, task.name, level, pair_index)
    if redraw:
        seed = int(stable_hash("redraw", seed, redraw), 16) >> 1
    rejections: dict[str, int] = {}
    t0 = time.perf_counter()
    for attempt in range(task.max_attempts):
        rng = random.Random(seed if attempt == 0 else int(stable_hash("retry", seed, attempt), 16))
        try:
            state = task.generate_member(rng, level, member) if task.paired else task.generate(rng, level)
            t1 = time.perf_counter()
            solution = task.solve(state)
        except Rejected as why:
            rejections[why.reason] = rejections.get(why.reason, 0) + 1
            continue
        break
    else:
        raise GenerationError(
            f"{task.name} level {level}: all {task.max_attempts} attempts rejected: {rejections}")
    t2 = time.perf_counter()
    images = task.render(state) if render else []
    t3 = time.perf_counter()
    init = task.initial_state(state)
    return Instance(
        id=instance_id(task.name, init), task=task.name, category=task.category,
        official_name=task.official_name, task_version=task.version, level=level, split=split,
        index=index, seed=seed, state=state, initial_state=init, solution=solution,
        question_image=task.question(state, "image"), question_text=task.question(state, "text"),
        images=images, attempts=attempt + 1, rejections=rejections,
        seconds={"generate": t1 - t0, "solve": t2 - t1, "render": t3 - t2},
    )
