"""Adapters between the official MM-HELIX `initial_state` and helix's state, one per task.

The published rows keep a task's state in the shape its public generator keeps it: JSON for most
tasks, the raw text for some (maze drawings, sokoban maps, sudoku lines), nothing at all for a few
(the graph is only in the question), and some facts only in the question (hamiltonian_path's start
vertex, wordsearch's word). helix's verifiers read helix's own state. An adapter converts both ways:

- `to_helix(initial_state, question) -> dict`: the official cell (text, exactly as the row holds
  it) and the row's question text -> helix's state. Raises `AdapterError` naming what is wrong.
  An adapter may take a third argument, the row's reference answer, where the official row keeps
  a fact nowhere else (wordsearch's word, drawn only in the picture);
- `to_official(state, answer) -> str`: helix's state (and helix's reference answer, for the
  official shapes that carry a solution: kukurasu, wordladder, campsite, bridges) -> the text an
  official row holds, so that the official evaluator judges a helix row as helix does.

A task without a module here has the same shape in both (JSON object both ways). A module
`verifiers/official/<task>.py` ends with one `register(TASK, to_helix=..., to_official=...)` line.
Adapters never import the generators (the verifier side stays independent of them).
"""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
from dataclasses import dataclass
from typing import Any, Callable

from verifiers.verdict import Verdict

ToHelix = Callable[..., dict[str, Any]]  # (initial_state, question[, answer])
ToOfficial = Callable[[dict[str, Any], str], str]


class AdapterError(ValueError):
    """An official row whose state (or question) is not in the shape the official generator writes."""


@dataclass(frozen=True)
class Adapter:
    to_helix: ToHelix
    to_official: ToOfficial
    reads_answer: bool = False  # to_helix takes the row's reference answer as a third argument


def json_cell(initial_state: str, who: str = "") -> Any:
    """The cell parsed as JSON, or AdapterError "<who> initial_state is not valid JSON: ..." (the
    one-line message every adapter of a JSON-shaped cell gives)."""
    try:
        return json.loads(initial_state)
    except json.JSONDecodeError as error:
        raise AdapterError(f"{who + ' ' if who else ''}initial_state is not valid JSON: "
                           f"{error.msg}") from None


def _json_to_helix(initial_state: str, question: str) -> dict[str, Any]:
    state = json_cell(initial_state)
    if not isinstance(state, dict):
        raise AdapterError(f"initial_state is a JSON {type(state).__name__}, expected an object")
    return state


def _json_to_official(state: dict[str, Any], answer: str) -> str:
    # helix's canonical JSON: the same text helix stores, so export -> import keeps ids
    return json.dumps(state, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


SAME_SHAPE = Adapter(to_helix=_json_to_helix, to_official=_json_to_official)
_ADAPTERS: dict[str, Adapter] = {}
_loaded = False


def register(task: str, *, to_helix: ToHelix, to_official: ToOfficial) -> Adapter:
    if task in _ADAPTERS:
        raise ValueError(f"official adapter for {task!r} registered twice")
    adapter = Adapter(to_helix=to_helix, to_official=to_official,
                      reads_answer=len(inspect.signature(to_helix).parameters) >= 3)
    _ADAPTERS[task] = adapter
    return adapter


def _load() -> None:
    global _loaded
    if _loaded:
        return
    for module in pkgutil.iter_modules(__path__):
        if not module.name.startswith("_"):
            importlib.import_module(f"{__name__}.{module.name}")
    _loaded = True


def get(task: str) -> Adapter:
    _load()
    return _ADAPTERS.get(task, SAME_SHAPE)


def adapted_tasks() -> list[str]:
    """Tasks whose official state shape differs from helix's."""
    _load()
    return sorted(_ADAPTERS)


def _cell_text(initial_state: Any) -> str:
    """The official cell as text: JSON readers (JSONL, Parquet) may have parsed it already."""
    if initial_state is None:
        return ""
    if isinstance(initial_state, str):
        return initial_state
    return json.dumps(initial_state, ensure_ascii=False)


def to_helix(task: str, initial_state: Any, question: str = "", answer: str = "",
             question_text: str = "") -> dict[str, Any]:
    """helix's state for an official row's `initial_state`, its questions and (where the adapter
    needs it) its reference answer. Raises AdapterError. Give both questions where a row has
    them: the official image question of the state-less graph tasks leaves the graph to the
    picture, and only `question_text` writes it out."""
    adapter = get(task)
    questions = "\n\n".join(q for q in (question, question_text) if q)
    try:
        args = (_cell_text(initial_state), questions)
        state = adapter.to_helix(*args, answer or "") if adapter.reads_answer else adapter.to_helix(*args)
    except AdapterError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as error:
        # an adapter's parse tripping over an odd shape is the row's problem, said in one line
        raise AdapterError(f"{task}: official initial_state not understood "
                           f"({type(error).__name__}: {error})"[:400]) from None
    if not isinstance(state, dict):
        raise AdapterError(f"{task}: adapter produced {type(state).__name__}, not a state object")
    return state


def to_official(task: str, state: dict[str, Any] | str, answer: str = "") -> str:
    """The official `initial_state` text for helix's state (a dict, or its JSON text) and
    helix's reference answer."""
    if isinstance(state, str):
        state = json.loads(state)
    return get(task).to_official(state, answer)


def verify_official(task: str, initial_state: Any, question: str, response: str,
                    answer: str = "", question_text: str = "") -> Verdict:
    """Judge a model response to an official row (its `initial_state` cell, questions and, where
    the row has one, reference answer) with helix's verifier. Never raises: a row helix cannot
    read is a verifier error, said as such."""
    from verifiers.registry import verify

    try:
        state = to_helix(task, initial_state, question, answer, question_text)
    except AdapterError as error:
        return Verdict(correct=False, status="verifier_error", reason=f"official row: {error}"[:500])
    except Exception as error:  # never raise, as every verifier entry point
        return Verdict(correct=False, status="verifier_error",
                       reason=f"official row: {type(error).__name__}: {error}"[:500])
    return verify(task, state, response)
