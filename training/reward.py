"""Rewards: the task's verifier (or exact match for external QA sets) in a process pool.

A verifier that hangs must not stall training: each judgement has a timeout, a timeout is reward
0 and a counted event, and the pool that held the stuck process is replaced.
"""

from __future__ import annotations

import concurrent.futures as cf
import multiprocessing as mp
import os
import signal
from dataclasses import dataclass, field
from typing import Callable

from training.data import Prompt


def _normalise(text: str) -> str:
    return " ".join(text.strip().strip("$").split()).rstrip(".").lower()


def judge(prompt: Prompt, response: str) -> tuple[float, str]:
    """(reward, status) for one response. Never raises (verify() never raises)."""
    if prompt.judge == "verifier":
        from verifiers.registry import verify

        v = verify(prompt.task, prompt.initial_state, response)
        return (1.0 if v.correct else 0.0), v.status
    from verifiers.extract import extract_answer

    answer = extract_answer(response)
    if answer is None:
        return 0.0, "unparsable"
    ok = _normalise(answer) == _normalise(prompt.answer)
    return (1.0 if ok else 0.0), ("ok" if ok else "wrong")


def _warm() -> int:
    """Import the verifiers in a fresh worker, so start-up never counts against a timeout."""
    from verifiers.registry import names

    return len(names())


@dataclass
class RewardStats:
    timeouts: int = 0
    statuses: dict[str, int] = field(default_factory=dict)


class RewardPool:
    """Judge many responses; `workers=0` judges in-process (no timeout: for tiny tests)."""

    def __init__(self, workers: int, timeout_s: float,
                 judge_fn: Callable[[Prompt, str], tuple[float, str]] = judge):
        self.workers, self.timeout_s, self.judge_fn = workers, timeout_s, judge_fn
        self._pool: cf.ProcessPoolExecutor | None = None

    def _executor(self) -> cf.ProcessPoolExecutor:
        if self._pool is None:
            # spawn: forking a process that holds torch threads (and Ray) is not safe; each worker
            # ends with the trainer, even one killed outright (out of memory)
            from storage.processes import die_with_parent

            self._pool = cf.ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                                initializer=die_with_parent, initargs=(os.getpid(),))
            for fut in [self._pool.submit(_warm) for _ in range(self.workers)]:
                fut.result()
        return self._pool

    def score(self, items: list[tuple[Prompt, str]]) -> tuple[list[float], RewardStats]:
        stats = RewardStats()
        rewards: list[float] = []
        if self.workers == 0:
            for prompt, response in items:
                r, status = self.judge_fn(prompt, response)
                rewards.append(r)
                stats.statuses[status] = stats.statuses.get(status, 0) + 1
            return rewards, stats
        pool = self._executor()
        futures = [pool.submit(self.judge_fn, p, r) for p, r in items]
        stuck = False
        for fut in futures:
            try:
                r, status = fut.result(timeout=self.timeout_s)
            except cf.TimeoutError:
                r, status, stuck = 0.0, "timeout", True
                stats.timeouts += 1
            except Exception:  # a crashed worker process: reward 0, counted
                r, status, stuck = 0.0, "verifier_crash", True
            rewards.append(r)
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
        if stuck:
            self._reset()
        return rewards, stats

    def _reset(self) -> None:
        """Drop a pool with a hung worker: kill the processes this pool started, by pid."""
        pool, self._pool = self._pool, None
        if pool is None:
            return
        procs = list(getattr(pool, "_processes", {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in procs:
            if proc.is_alive():
                os.kill(proc.pid, signal.SIGKILL)

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
