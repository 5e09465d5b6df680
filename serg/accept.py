"""Acceptance: a trace is kept as training data only when the task's verifier accepts its final
answer. Rejected traces are stored too (accepted = false, with the reason), so acceptance rates
and failure modes can be queried."""

from __future__ import annotations

from common.hashing import stable_hash
from serg.elaborate import Completion, Sampling
from storage.schema import TraceRow
from verifiers.registry import verify
from verifiers.verdict import Verdict


def trace_id(instance_id: str, source: str, model: str, prompt_version: str, sample: int,
             sampling: Sampling | None = None) -> str:
    return stable_hash("trace", instance_id, source, model, prompt_version, sample,
                       *([sampling.key()] if sampling else []))


def judge(task: str, initial_state: str, completion: Completion) -> Verdict:
    if completion.text is None:
        return Verdict(correct=False, status="unparsable",
                       reason=f"no response: {completion.error}"[:500])
    return verify(task, initial_state, completion.text)


def trace_row(instance: dict, *, source: str, model: str, prompt_version: str, sample: int,
              sampling: Sampling, completion: Completion, verdict: Verdict) -> TraceRow:
    text = completion.text or ""
    return TraceRow(
        id=trace_id(instance["id"], source, model, prompt_version, sample, sampling),
        instance_id=instance["id"], task=instance["task"], level=instance["level"],
        split=instance["split"], source=source, model=model, prompt_version=prompt_version,
        sample=sample, text=text, final_answer=verdict.parsed, accepted=verdict.correct,
        status=verdict.status, reason=verdict.reason, n_chars=len(text),
        sampling=sampling.as_json(), tokens_in=completion.tokens_in,
        tokens_out=completion.tokens_out, latency_s=completion.latency_s,
        attempts=completion.attempts, error=completion.error)
