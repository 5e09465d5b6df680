"""Bounded fan-out over Ray: at most `slots` chunks in flight at once.

Used where each chunk opens requests to one endpoint: with `max_in_flight // slots` requests per
chunk, the endpoint never sees more than `max_in_flight` at once, across all workers.
"""

from __future__ import annotations

from typing import Any, Callable, Sequence

from pipelines.progress import Progress


def run_bounded(function: Callable[..., Any], chunks: Sequence[Any], *args: Any, slots: int,
                progress: Progress | None = None, count: Callable[[Any], int] = lambda c: 1,
                max_retries: int = 2) -> list[Any]:
    """`function(chunk, *args)` for every chunk as Ray tasks, `slots` at a time; results in
    completion order. A worker that dies is retried (`max_retries`); chunks must be idempotent."""
    import ray

    remote = ray.remote(max_retries=max_retries)(function)
    queue, pending, results = list(chunks), {}, []
    while queue or pending:
        while queue and len(pending) < slots:
            chunk = queue.pop(0)
            pending[remote.remote(chunk, *args)] = chunk
        done, _ = ray.wait(list(pending), num_returns=1)
        for ref in done:
            chunk = pending.pop(ref)
            results.append(ray.get(ref))
            if progress:
                progress.advance(count(chunk))
    return results
