"""Row models of the stored tables, and their Arrow schemas derived from them.

A pydantic model is the single definition of a table: rows are validated against it (extra
fields are refused) and the Arrow schema is generated from its annotations, so nothing writes a
column the schema does not declare. Rows hold no timestamps or timings: the same seed must give
byte-identical shards (timings live in the run manifest).
"""

from __future__ import annotations

import types
import typing
from typing import Literal, Union

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field


class Image(BaseModel):
    """A picture in the layout Hugging Face `datasets` reads as an Image feature."""

    model_config = ConfigDict(extra="forbid")
    bytes: typing.Optional[bytes]  # noqa: UP007 (field named like the builtin, as datasets wants)
    path: typing.Optional[str] = None


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class InstanceRow(Row):
    id: str = Field(description="content hash of (task, initial_state)")
    task: str
    category: str
    official_name: str
    task_version: int
    level: int
    split: str
    index: int
    global_seed: int
    seed: int
    question: str = Field(description="image variant: rules + refers to the picture")
    question_text: str = Field(description="text-only variant: the state transcribed")
    answer: str
    initial_state: str = Field(description="JSON text, the official shape; verifiers read only this")
    score_function: str
    num_solutions: typing.Optional[int]
    effort: int = Field(description="search nodes or solution length (rises with level)")
    n_steps: int
    images: list[Image]


class TraceRow(Row):
    id: str = Field(description="hash of (instance id, source, model, prompt version, sample)")
    instance_id: str
    task: str
    level: int
    split: str
    source: Literal["skeleton", "elaborated", "direct"]
    model: str = Field(description="'rule-based' for skeletons")
    prompt_version: str
    sample: int
    text: str
    final_answer: typing.Optional[str]
    accepted: bool
    status: str
    reason: str
    n_chars: int
    sampling: str = Field("", description="JSON of the sampling parameters ('' for skeletons)")
    tokens_in: typing.Optional[int] = None
    tokens_out: typing.Optional[int] = None
    latency_s: typing.Optional[float] = None
    attempts: int = 0
    error: str = Field("", description="why the request failed after its retries ('' if it did not)")


class CacheRow(Row):
    """One endpoint response, keyed so that a rerun does not pay for it again."""

    id: str = Field(description="hash of (model, prompt version, instance id, sample, sampling)")
    task: str
    level: int
    model: str
    prompt_version: str
    instance_id: str
    sample: int
    sampling: str
    text: str
    finish_reason: str
    tokens_in: typing.Optional[int]
    tokens_out: typing.Optional[int]
    latency_s: float


class EvalRow(Row):
    """One model answer to one benchmark instance in one mode, extracted and judged."""

    id: str = Field(description="hash of (benchmark, model, mode, prompt, sampling, instance, outcome)")
    benchmark: str
    model: str
    mode: Literal["image", "text"]
    source: Literal["endpoint", "file"]
    prompt_version: str
    sampling: str = Field(description="JSON of the sampling parameters ('' for scored files)")
    instance_id: str
    task: str
    category: str
    level: int
    index: int = Field(description="the row's index in the benchmark (published layout)")
    pair: str = Field(description="pair key for paired tasks (isomorphism), '' otherwise")
    response: str
    parsed: typing.Optional[str]
    correct: bool
    status: str
    reason: str
    finish_reason: str
    tokens_in: typing.Optional[int]
    tokens_out: typing.Optional[int]
    latency_s: typing.Optional[float]
    attempts: int
    error: str = Field(description="why the request failed after its retries ('' if it did not)")


class TrainStepRow(Row):
    """One optimizer step of a training run (a log, not a dataset: unlike the other tables it
    holds timings; the JSON columns are maps keyed by success count, source or category)."""

    id: str = Field(description="hash of (run id, step)")
    run_id: str
    config_hash: str
    algorithm: str
    phase: str = Field(description="the loss used at this step (sft_then_grpo switches)")
    step: int
    prompts: int
    loss: float
    loss_rollout: float
    loss_expert: float
    z_rollout: float
    z_expert: float
    rollout_tokens: int
    expert_tokens: int
    gate_on_fraction: float
    reward_mean: float
    success_hist: str = Field(description="JSON: successes per group -> groups")
    reward_by_source: str = Field(description="JSON: source -> mean reward")
    reward_by_category: str = Field(description="JSON: category -> mean reward")
    clip_fraction: float
    entropy: float
    grad_norm: float
    response_len_mean: float
    response_len_max: int
    truncated_fraction: float
    reward_timeouts: int
    t_generate: float
    t_reward: float
    t_update: float
    t_sync: float
    tokens_per_s: float = Field(description="distinct tokens of the step (generated + expert) per second")
    mfu: typing.Optional[float]
    # added with the micro-batched update (older shards read these as NULL)
    generated_tokens: typing.Optional[int] = Field(None, description="rollout tokens sampled, all ranks")
    generate_tokens_per_s: typing.Optional[float] = None
    update_tokens_per_s: typing.Optional[float] = Field(None, description="tokens through the update's "
                                                        "forwards (old log-probs + each epoch) per second")
    mfu_update: typing.Optional[float] = None
    # added with the learning-rate schedule (training/schedule.py)
    lr: typing.Optional[float] = Field(None, description="the learning rate of this step's update")


class TrainEvalRow(Row):
    """One group (source, task, level, category) of one held-out evaluation during a training run
    (training/evaluation.py). A log like `train_steps`: it holds the evaluation's seconds. A
    run's overall accuracy at a step is the sum of `*_correct` over `prompts` of its rows."""

    id: str = Field(description="hash of (run id, step, eval set, source, task, level)")
    run_id: str
    config_hash: str
    step: int = Field(description="optimizer steps taken when evaluated (0 = the untrained policy)")
    eval_set: str = Field(description="the held-out split ('val') or 'benchmark:<name>'")
    source: str
    task: str
    category: str
    level: int
    prompts: int
    greedy_correct: int
    greedy_accuracy: float
    greedy_truncated: int = Field(description="greedy replies that hit the token budget")
    greedy_len_mean: float = Field(description="mean greedy reply length, tokens")
    pass_k: int = Field(description="samples per prompt for pass@k (0 = not measured)")
    temperature: typing.Optional[float] = Field(description="of the pass@k samples")
    pass_k_correct: typing.Optional[int] = Field(description="prompts with at least one right sample")
    pass_at_k: typing.Optional[float]
    sample_accuracy: typing.Optional[float] = Field(description="right samples / all samples (pass@1 "
                                                    "at the temperature)")
    eval_seconds: float = Field(description="wall time of the whole evaluation (all its rows)")


TABLES: dict[str, type[Row]] = {"instances": InstanceRow, "traces": TraceRow, "serg_cache": CacheRow,
                                 "evals": EvalRow, "train_steps": TrainStepRow,
                                 "train_evals": TrainEvalRow}
# training logs: their shards are filed by run (`task=<run id>/level=0`), so a `task` or `level`
# column (train_evals: the evaluated puzzles') says nothing about the folder
RUN_TABLES = frozenset({"train_steps", "train_evals"})


def _arrow_type(annotation) -> tuple[pa.DataType, bool]:
    """(arrow type, nullable) for a field annotation."""
    origin = typing.get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {annotation}")
        return _arrow_type(args[0])[0], True
    if origin is Literal:
        return pa.string(), False
    if origin is list:
        (item,) = typing.get_args(annotation)
        return pa.list_(_arrow_type(item)[0]), False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return arrow_struct(annotation), True
    simple = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_(),
              bytes: pa.binary()}
    if annotation in simple:
        return simple[annotation], False
    raise TypeError(f"no Arrow type for {annotation!r}")


def arrow_struct(model: type[BaseModel]) -> pa.StructType:
    return pa.struct([pa.field(name, *_arrow_type(f.annotation))
                      for name, f in model.model_fields.items()])


def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    return pa.schema([pa.field(name, *_arrow_type(f.annotation))
                      for name, f in model.model_fields.items()])
