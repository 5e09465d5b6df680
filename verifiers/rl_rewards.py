"""helix's verifiers as the reward of the RL frameworks practitioners train with.

Rows exported by `helix export rl` (pipelines/rl_export.py) carry what a verifier needs: the task name
and the instance's initial state. A task may have many right answers (any valid path, any
topological order), so a reward compares nothing with a reference string: it runs the task's
verifier on the response, exactly as helix's own trainer and benchmark judge do.

- verl: `custom_reward_function.path=<this file>`, `custom_reward_function.name=compute_score`.
  verl calls `compute_score(data_source, solution_str, ground_truth, extra_info)` per response;
  `ground_truth` (the row's `reward_model.ground_truth`) is the JSON text
  `{"task": ..., "initial_state": ..., "answer": ...}`.
- TRL: `GRPOTrainer(reward_funcs=[trl_reward], ...)`. TRL calls it with the prompts, the
  completions (text, or lists of chat messages) and every other dataset column as keyword
  lists; the exported `task` and `initial_state` columns arrive that way.

Both return 1.0 for an accepted answer and 0.0 otherwise, and never raise: a response that cannot
be read, a row without the fields, an unknown task are all 0.0 (with the reason in `judge`).
"""

from __future__ import annotations

import json
from typing import Any

from verifiers.registry import verify


def judge(task: str, initial_state: Any, response: str) -> tuple[float, str]:
    """(reward, status) of one response; never raises."""
    try:
        state = json.loads(initial_state) if isinstance(initial_state, str) else initial_state
        if not isinstance(task, str) or not isinstance(state, dict) or not isinstance(response, str):
            return 0.0, "bad row: task, initial_state (a JSON object) and a text response are needed"
        verdict = verify(task, state, response)
    except Exception as error:  # noqa: BLE001 (a reward must never stop a training run)
        return 0.0, f"{type(error).__name__}: {error}"[:200]
    return (1.0 if verdict.correct else 0.0), verdict.status


def compute_score(data_source: str, solution_str: str, ground_truth: Any,
                  extra_info: dict | None = None, **kwargs: Any) -> float:
    """verl's custom reward function."""
    try:
        truth = json.loads(ground_truth) if isinstance(ground_truth, str) else ground_truth
        task, state = truth["task"], truth["initial_state"]
    except (ValueError, TypeError, KeyError):
        info = extra_info or {}
        task, state = info.get("task"), info.get("initial_state")
    return judge(task, state, solution_str)[0]


def _text(completion: Any) -> str:
    """A completion as TRL passes it: text, or a list of chat messages (the last one's content)."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion and isinstance(completion[-1], dict):
        content = completion[-1].get("content")
        if isinstance(content, list):  # multimodal message parts: keep the text ones
            return "".join(p.get("text", "") for p in content if isinstance(p, dict))
        return content if isinstance(content, str) else ""
    return ""


def trl_reward(prompts: list | None = None, completions: list | None = None,
               task: list[str] | None = None, initial_state: list[str] | None = None,
               **kwargs: Any) -> list[float]:
    """TRL's reward function: one float per completion."""
    completions = completions or []
    tasks = task or [None] * len(completions)
    states = initial_state or [None] * len(completions)
    return [judge(t, s, _text(c))[0] for t, s, c in zip(tasks, states, completions)]
