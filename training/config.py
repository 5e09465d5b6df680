"""One validated training config. Its hash goes into every checkpoint and every `train_steps` row,
so a curve can always be traced back to the exact settings that produced it.

Defaults follow the paper where it states them (N_on = 5, R_hat = 2, 128 prompts per step) and
common GRPO practice where it does not (lr 1e-6, clip 0.2, temperature 1.0, 8,192 response tokens,
one update epoch, grad-norm clip 1.0).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from common.hashing import stable_hash
from generators.base import LevelList, check_levels
from generators.registry import TaskList

Algorithm = Literal["ahpo", "grpo", "sft", "sft_then_grpo", "static_ahpo", "luffy"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TinyPolicy(_Strict):
    """A randomly initialised Qwen2-architecture model with a character tokenizer (no download);
    with `vision`, a Qwen2.5-VL-architecture model (a one-block vision tower) that reads pictures."""

    layers: int = Field(2, ge=1, le=8)
    hidden: int = Field(64, ge=16, le=512)
    heads: int = Field(4, ge=1)
    vision: bool = False
    seed: int = 0


class PolicyConfig(_Strict):
    path: str | None = Field(None, description="HF model folder or hub name; none = tiny policy")
    tiny: TinyPolicy = Field(default_factory=TinyPolicy)
    dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="compute dtype of the update's forward and backward. bfloat16: the model "
        "runs in bfloat16 (autocast, or FSDP2's parameter dtype) while trainable weights, their "
        "gradients and the AdamW states stay float32 (master weights); frozen weights (a LoRA base) "
        "are stored in it. auto: bfloat16 on a GPU, float32 on CPU")
    gradient_checkpointing: bool | None = Field(
        None, description="recompute each block's activations in backward instead of keeping them; "
        "none = on for a model folder, off for the tiny policy")
    attn_implementation: Literal["sdpa", "eager", "flash_attention_2"] | None = Field(
        None, description="transformers' attention kernel; none = its default (sdpa)")
    compile: bool = Field(False, description="torch.compile each decoder block of the trained model "
                          "(fuses its elementwise work; the first steps pay the compilation)")

    def checkpointing(self) -> bool:
        return self.path is not None if self.gradient_checkpointing is None else self.gradient_checkpointing


class ExternalDataset(_Strict):
    """A QA set without traces (e.g. math with answers), judged by exact match of the answer."""

    path: str = Field(description=".jsonl or .parquet")
    name: str = Field("external", description="the `source` its prompts are reported under")
    question_field: str = "question"
    answer_field: str = "answer"
    limit: int | None = Field(None, ge=1)


class DataConfig(_Strict):
    data_root: str = "data"
    release: str | None = Field(None, description="read this frozen release (`helix release create`) "
                                "instead of the latest shards: a training run pins its dataset")
    tasks: TaskList = Field(default_factory=list, description="empty = every task in the store")
    levels: LevelList = Field(default_factory=lambda: [1, 2, 3, 4, 5])
    split: Literal["train", "val", "benchmark"] = "train"
    variant: Literal["text", "image"] = Field(
        "text", description="text: the text-only question; image: the question with its pictures "
        "(needs a vision-language policy)")
    image_min_pixels: int = Field(56 * 56, ge=28 * 28, description="pictures are resized to at least this area")
    image_max_pixels: int = Field(1024 * 28 * 28, ge=28 * 28, description="... and at most this area "
                                  "(each 28 x 28 block is one visual token)")
    expert_sources: list[Literal["elaborated", "skeleton", "direct"]] = Field(
        default_factory=lambda: ["elaborated", "skeleton"], description="preference order")
    expert_format: Literal["full", "answer_only"] = Field(
        "full", description="answer_only: the expert reply is just \\boxed{answer} (tiny demos)")
    prompt_format: Literal["question", "state"] = Field(
        "question", description="question: the task's question (text or image variant); state: "
        "the task's name and its state as compact JSON, `h_index {\"citations\":[3,0,6]}` (every fact "
        "of the instance and no rules text: a whole instance fits a tiny policy's context; text only)")
    max_prompts: int | None = Field(None, ge=1, description="cap on store prompts (a fixed set)")
    max_prompt_tokens: int = Field(4096, ge=16)
    truncation_side: Literal["middle", "left"] = Field(
        "middle", description="middle: keep rules + generation prompt; left: keep the question's tail")
    external: list[ExternalDataset] = Field(default_factory=list)
    ensure_per_level: int = Field(0, ge=0, description="the flow first builds this many instances "
                                  "per task and level when the store lacks them (fresh clones)")


class RolloutConfig(_Strict):
    backend: Literal["hf", "vllm"] = "hf"
    actor: bool = Field(False, description="hf backend in a Ray actor (weights pushed each step)")
    n_on: int = Field(5, ge=1, description="rollouts per prompt")
    dtype: Literal["auto", "float32", "bfloat16"] = Field(
        "auto", description="weights of the rollout engine; auto = bfloat16 on a GPU, float32 on CPU")
    max_batch_tokens: int = Field(
        524288, ge=1, description="HF backend: sequences of one generate batch x (prompt + "
        "max_new_tokens) stays under this (it bounds the KV cache); more sequences run in turn")
    cuda_graphs: bool = Field(True, description="HF backend on a GPU: replay each decoding step as a "
                              "captured CUDA graph (falls back to eager decoding if capture fails)")
    temperature: float = Field(1.0, gt=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_new_tokens: int = Field(8192, ge=1)
    gpu_memory_utilization: float = Field(0.5, gt=0, le=1, description="vllm: share of its GPUs' memory")
    tensor_parallel_size: int = Field(1, ge=1, description="vllm: GPUs of the engine")
    placement: Literal["separate", "colocated"] = Field(
        "separate", description="vllm: separate = the engine has its own GPUs (weights over NCCL, "
        "never sleeps); colocated = the engine lives in training rank 0's process on its GPU "
        "(weights over CUDA IPC, sleeps while the trainer updates)")
    weight_bucket_mb: int = Field(1024, ge=1, description="vllm: weights travel in buckets of this size")
    max_model_len: int | None = Field(None, ge=16, description="vllm: longest prompt + reply")


class RewardConfig(_Strict):
    workers: int = Field(2, ge=0, description="verifier processes; 0 = in-process, no timeout")
    timeout_s: float = Field(10.0, gt=0)


class AlgoConfig(_Strict):
    algorithm: Algorithm = "ahpo"
    r_hat: int = Field(2, ge=0, description="gate on while fewer than r_hat rollouts succeed")
    clip_eps: float = Field(0.2, gt=0, lt=1)
    normaliser: Literal["tokens", "separate", "constant"] = "tokens"
    constant_length: int = Field(8192, ge=1)
    luffy_gamma: float = Field(0.1, gt=0)
    sft_steps: int = Field(0, ge=0, description="sft_then_grpo: steps of SFT before GRPO")


class OptimConfig(_Strict):
    lr: float = Field(1e-6, gt=0)
    weight_decay: float = Field(0.0, ge=0)
    betas: tuple[float, float] = (0.9, 0.999)
    grad_clip: float = Field(1.0, gt=0)
    update_epochs: int = Field(1, ge=1)
    minibatches: int = Field(1, ge=1, description="optimizer steps per epoch over the batch")
    micro_batch_tokens: int = Field(
        16384, ge=16, description="tokens per forward/backward of the update: a rank's rows are packed "
        "into micro-batches of at most this many tokens and gradients accumulate over them "
        "(the loss normaliser is still the whole batch's)")
    logits_chunk: int = Field(2048, ge=1, description="response tokens whose vocabulary logits exist "
                              "at once (log-probabilities never materialise the full logits)")
    schedule: Literal["constant", "cosine", "linear"] = Field(
        "constant", description="the learning rate after warm-up, one value per training step: "
        "constant (lr), or cosine / linear decay from lr to lr x min_lr_ratio at the end of `steps`")
    warmup_steps: int = Field(0, ge=0, description="linear warm-up over the first steps, from lr x "
                              "warmup_start_ratio at step 0 to lr at this step; 0 = none")
    warmup_start_ratio: float = Field(0.0, ge=0, le=1, description="where the warm-up starts, as a "
                                      "fraction of lr (0: the first update only fills AdamW's moments)")
    min_lr_ratio: float = Field(0.0, ge=0, le=1, description="cosine / linear: the lr the decay reaches "
                                "at the end of `steps`, as a fraction of lr")


class MlflowConfig(_Strict):
    tracking_uri: str = Field(description="where runs go: a server (http://host:5000) or a local store "
                              "(sqlite:///path/mlflow.db); needs the `mlflow` extra")
    experiment: str = Field("helix", description="experiment name (created when missing)")


class TrackingConfig(_Strict):
    """Experiment tracking beside steps.jsonl (training/tracking.py); rank 0 only. Not part of the
    config hash: switching it on for a resumed run keeps the run and its checkpoints."""

    tensorboard: bool = Field(True, description="TensorBoard event files under <run dir>/tensorboard/")
    mlflow: MlflowConfig | None = Field(None, description="also log params and metrics to MLflow; "
                                        "none = off")


class LoraConfig(_Strict):
    """Low-rank adapters (training/lora.py) on the language model's linear layers."""

    rank: int = Field(0, ge=0, le=1024, description="0 = full fine-tuning")
    alpha: float = Field(32.0, gt=0, description="the adapter's output is scaled by alpha / rank")
    dropout: float = Field(0.0, ge=0, lt=1)
    targets: list[str] = Field(
        default_factory=lambda: ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
        min_length=1, description="names (last path component) of the linear layers to adapt")
    include_vision: bool = Field(False, description="adapt matching layers of the vision tower too")


class ParallelConfig(_Strict):
    """How the update is spread over `num_workers` ranks (Ray Train workers)."""

    strategy: Literal["ddp", "fsdp"] = Field(
        "ddp", description="ddp: every rank holds the whole model and optimizer; fsdp: FSDP2 shards "
        "weights, gradients and AdamW states over the ranks (checkpoints are saved sharded)")
    cpu_offload: bool = Field(False, description="fsdp: keep shards and optimizer states in CPU "
                              "memory (a 7B policy on one GPU), at the cost of speed")


class EvalConfig(_Strict):
    """Held-out evaluation during training (training/evaluation.py): greedy (and pass@k) accuracy
    on store instances of a split never trained on, by source, task, level and category, into
    `evals.jsonl` and the store's `train_evals` table; the best policy kept as `checkpoints/best`."""

    every: int = Field(10, ge=0, description="evaluate every this many steps, and at the end (and at "
                       "step 0 with at_start); 0 = off. 10: examples/ahpo_tiny.yaml's 20-step loop takes "
                       "~0.3 s (11 %) longer; a greedy evaluation of N prompts costs about N / (prompts x "
                       "n_on) of a step's generation, and pass@k (1 + k) times that")
    split: Literal["val", "benchmark"] = Field(
        "val", description="the held-out split; never the training split (`helix generate --split val` "
        "builds val instances)")
    tasks: TaskList = Field(default_factory=list, description="empty = the training prompts' tasks")
    levels: list[int] = Field(default_factory=list, description="empty = data.levels")
    per_task_level: int = Field(8, ge=1, description="at most this many instances per task and level: a "
                                "fixed, seeded, task-balanced set, chosen once per run")
    seed: int = Field(0, description="draws the held-out subset and the pass@k samples (the same at "
                      "every evaluation, so the curve moves only with the weights)")
    pass_k: int = Field(0, ge=0, le=64, description="samples per prompt for pass@k (right if any of "
                        "the k is); 0 = greedy only")
    temperature: float = Field(1.0, gt=0, description="the temperature of the pass@k samples")
    max_new_tokens: int | None = Field(None, ge=1, description="reply budget; none = rollout.max_new_tokens")
    benchmark: str | None = Field(None, description="also evaluate this stored benchmark "
                                  "(`helix benchmark list`), reported apart from the split")
    benchmark_per_task_level: int = Field(2, ge=1, description="cap per task and level of the benchmark")
    best_metric: Literal["greedy", "pass_at_k"] = Field(
        "greedy", description="the held-out split's accuracy that picks `checkpoints/best` "
        "(pass_at_k needs pass_k)")
    at_start: bool = Field(True, description="evaluate the untrained policy at step 0 (the baseline)")

    @field_validator("split", mode="before")
    @classmethod
    def _held_out(cls, split: Any) -> Any:
        if split == "train":
            raise ValueError("train would measure the policy on the prompts it is trained on; use val "
                             "(`helix generate --split val ...` builds it) or benchmark")
        return split

    @field_validator("levels")
    @classmethod
    def _levels(cls, levels: list[int]) -> list[int]:
        return check_levels(levels, empty_ok=True)  # empty = data.levels

    @model_validator(mode="after")
    def _metric(self) -> "EvalConfig":
        if self.best_metric == "pass_at_k" and not self.pass_k:
            raise ValueError("best_metric pass_at_k needs pass_k >= 1 (samples per prompt)")
        return self


class TrainConfig(_Strict):
    name: str = "ahpo"
    seed: int = 0
    steps: int = Field(100, ge=1)
    prompts_per_step: int | None = Field(
        None, ge=1, description="global batch, in prompts; none = sized to the machine: 128 with "
        "use_gpu (the paper's), 8 on CPU")
    policy: PolicyConfig = Field(default_factory=PolicyConfig)
    data: DataConfig = Field(default_factory=DataConfig)
    rollout: RolloutConfig = Field(default_factory=RolloutConfig)
    reward: RewardConfig = Field(default_factory=RewardConfig)
    algo: AlgoConfig = Field(default_factory=AlgoConfig)
    optim: OptimConfig = Field(default_factory=OptimConfig)
    tracking: TrackingConfig = Field(default_factory=TrackingConfig)
    lora: LoraConfig = Field(default_factory=LoraConfig)
    parallel: ParallelConfig = Field(default_factory=ParallelConfig)
    eval: EvalConfig = Field(default_factory=EvalConfig)
    output_dir: str = "runs"
    checkpoint_every: int = Field(50, ge=1)
    log_every: int = Field(10, ge=1, description="steps per train_steps shard")
    resume_from: str | None = Field(None, description="checkpoint folder to continue from")
    # where it runs
    num_workers: int = Field(0, ge=0, description="Ray Train workers; 0 = local mode (one process)")
    use_gpu: bool = False
    ray_address: str | None = None
    submit: Literal["inprocess", "job"] = Field(
        "inprocess", description="job: Ray Job submission (GPU clusters); inprocess: same process")
    job_extras: str = Field("", description="pip extras of the job env; empty = train (+gpu if use_gpu)")

    @model_validator(mode="after")
    def _consistent(self) -> "TrainConfig":
        if self.prompts_per_step is None:  # a CPU run of the paper's batch would take the machine down
            self.prompts_per_step = 128 if self.use_gpu else 8
        if self.algo.algorithm == "luffy" and self.rollout.n_on < 2:
            raise ValueError("luffy replaces one of n_on rollouts by the trace: n_on must be >= 2")
        if self.optim.warmup_steps and self.optim.warmup_steps >= self.steps:
            raise ValueError(f"optim.warmup_steps ({self.optim.warmup_steps}) must be below steps "
                             f"({self.steps}): the run would end inside its warm-up")
        if self.data.variant == "image" and self.data.prompt_format == "state":
            raise ValueError("data.prompt_format: state is text only (the state replaces the question "
                             "and its pictures); use data.variant: text")
        if self.data.variant == "image" and self.policy.path is None and not self.policy.tiny.vision:
            raise ValueError("data.variant: image needs a vision-language policy "
                             "(policy.path of a VL model, or policy.tiny.vision: true)")
        if self.data.image_min_pixels > self.data.image_max_pixels:
            raise ValueError("data.image_min_pixels is larger than data.image_max_pixels")
        if self.rollout.backend == "vllm" and not self.use_gpu:
            raise ValueError("the vllm backend needs use_gpu: true")
        if self.rollout.backend == "vllm" and self.policy.path is None:
            raise ValueError("the vllm backend needs policy.path (a model folder or hub name)")
        if self.rollout.placement == "colocated" and self.rollout.tensor_parallel_size != 1:
            raise ValueError("rollout.placement colocated shares training rank 0's one GPU: "
                             "tensor_parallel_size must be 1 (use placement: separate)")
        if self.rollout.backend == "vllm" and self.rollout.dtype == "float32":
            raise ValueError("rollout.dtype float32 with vllm doubles the engine's memory and halves its "
                             "speed; use bfloat16 (auto)")
        if self.parallel.cpu_offload and self.parallel.strategy != "fsdp":
            raise ValueError("parallel.cpu_offload needs parallel.strategy: fsdp")
        if self.num_workers > 1 and self.prompts_per_step % self.num_workers:
            raise ValueError("prompts_per_step must divide evenly over num_workers")
        return self

    def gpus_needed(self) -> dict[str, float]:
        """GPUs this run takes, by part: training ranks, and an engine on its own GPUs."""
        if not self.use_gpu:
            return {}
        need = {"training": float(max(self.num_workers, 1))}
        if self.rollout.backend == "vllm" and self.rollout.placement == "separate":
            need["vllm engine"] = float(self.rollout.tensor_parallel_size)
        elif self.rollout.actor:
            need["HF rollout actor"] = 1.0
        return need

    def check_gpus(self, available: float) -> None:
        """Refuse, before anything starts, a run whose parts do not fit the cluster's GPUs (Ray
        would otherwise wait for resources that never come)."""
        need = self.gpus_needed()
        if sum(need.values()) > available:
            parts = " + ".join(f"{v:g} for the {k}" for k, v in need.items())
            raise ValueError(f"this run needs {sum(need.values()):g} GPUs ({parts}); the Ray cluster has "
                             f"{available:g}")

    def config_hash(self) -> str:
        # where it runs, where it resumes from and what tracks it do not change the numbers
        skip = {"output_dir", "resume_from", "ray_address", "submit", "job_extras", "tracking"}
        return stable_hash("train", self.model_dump(mode="json", exclude=skip), digest_size=6)

    def run_id(self) -> str:
        return f"{self.name}-{self.config_hash()}"

    def run_dir(self) -> Path:
        return Path(self.output_dir).expanduser().resolve() / self.run_id()


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> TrainConfig:
    """A config from .json or .yaml/.yml (YAML through pyyaml, which ray and prefect bring)."""
    path = Path(path)
    if path.suffix not in (".yaml", ".yml", ".json"):
        raise ValueError(f"config must be .json, .yaml or .yml, got {path.name!r}")
    text = path.read_text()
    if path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as error:
            mark = getattr(error, "problem_mark", None)
            where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
            raise ValueError(f"{path.name}{where}: not valid YAML "
                             f"({getattr(error, 'problem', None) or str(error).splitlines()[0]})") from None
    else:
        try:
            raw = json.loads(text) if text.strip() else None
        except json.JSONDecodeError as error:
            raise ValueError(f"{path.name} line {error.lineno}, column {error.colno}: not valid JSON "
                             f"({error.msg})") from None
    if raw is None or raw == {}:
        # all defaults would train every task for 100 steps: never what an empty file meant
        raise ValueError(f"{path.name} is empty: name at least the policy and the data "
                         "(examples/ahpo_tiny.yaml is a complete small config)")
    if not isinstance(raw, dict):
        raise ValueError(f"{path.name}: the config must be a mapping")
    for key, value in (overrides or {}).items():
        node = raw
        *parents, leaf = key.split(".")
        for p in parents:
            node = node.setdefault(p, {})
        node[leaf] = value
    return TrainConfig.model_validate(raw)
