"""Verifier registry. A verifier module defines `check(state, answer) -> Verdict` (state = the
exported `initial_state` dict, answer = the extracted answer text) and ends with one
`register(NAME, check)` line. `verify` adds extraction and the never-raise guarantee."""

from __future__ import annotations

import importlib
import json
import pkgutil
from typing import Any, Callable

from verifiers.extract import MAX_RESPONSE_CHARS, extract_answer
from verifiers.verdict import Unparsable, Verdict

Checker = Callable[[dict[str, Any], str], Verdict]
CATEGORIES = ("algorithms", "graphs", "puzzles", "games")
_CHECKERS: dict[str, Checker] = {}
_loaded = False
MAX_ANSWER_CHARS = 200_000  # longer "answers" are judged unparsable without parsing


def register(name: str, check: Checker) -> Checker:
    if name in _CHECKERS and _CHECKERS[name] is not check:
        raise ValueError(f"verifier {name!r} registered twice")
    _CHECKERS[name] = check
    return check


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for category in CATEGORIES:
        package = importlib.import_module(f"verifiers.{category}")
        for module in pkgutil.iter_modules(package.__path__):
            if not module.name.startswith("_"):
                importlib.import_module(f"verifiers.{category}.{module.name}")
    _loaded = True


def names() -> list[str]:
    _load()
    return sorted(_CHECKERS)


def get(name: str) -> Checker:
    _load()
    try:
        return _CHECKERS[name]
    except KeyError:
        raise KeyError(f"no verifier for task {name!r}") from None


def verify_answer(task: str, initial_state: dict[str, Any] | str, answer: str) -> Verdict:
    """Judge a bare answer (already extracted). Never raises."""
    try:
        check = get(task)
        state = json.loads(initial_state) if isinstance(initial_state, str) else initial_state
        if not isinstance(answer, str):
            return Verdict.unparsable(f"answer is {type(answer).__name__}, not text")
        if len(answer) > MAX_ANSWER_CHARS:
            return Verdict.unparsable(f"answer is {len(answer)} characters long", parsed=None)
        verdict = check(state, answer)
        if not isinstance(verdict, Verdict):
            raise TypeError(f"checker returned {type(verdict).__name__}")
        if verdict.parsed is None:
            verdict = verdict.model_copy(update={"parsed": answer})
        return verdict
    except Unparsable as why:
        return Verdict.unparsable(str(why), parsed=answer if isinstance(answer, str) else None)
    except RecursionError:
        return Verdict.unparsable("answer nested too deeply", parsed=None)
    except Exception as error:  # counted and surfaced, never folded into "wrong"
        return Verdict(correct=False, status="verifier_error",
                       reason=f"{type(error).__name__}: {error}"[:500], parsed=None)


def verify(task: str, initial_state: dict[str, Any] | str, response: str) -> Verdict:
    """Extract the final answer from a model response and judge it. Never raises."""
    if isinstance(response, str) and len(response) > MAX_RESPONSE_CHARS:
        return Verdict.unparsable(f"response is {len(response):,} characters long (more than "
                                  f"{MAX_RESPONSE_CHARS:,}): not read")
    try:
        answer = extract_answer(response)
    except Exception as error:
        return Verdict(correct=False, status="verifier_error",
                       reason=f"extraction failed: {type(error).__name__}: {error}"[:500])
    if answer is None:
        return Verdict.unparsable("no final answer found (\\boxed{}, <answer> or 'Answer:' line)")
    return verify_answer(task, initial_state, answer)
