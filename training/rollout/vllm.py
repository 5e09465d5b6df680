"""Rollouts with vLLM, following vLLM's documented RLHF pattern. Not run here: there is no GPU
and no vllm on the development machines, and the lent GPU machine cannot install it. What is
tested is the contract: `tests/vllm_double.py` is a recording double of `vllm.LLM` that enforces
the documented state machine, and the trainer runs against it (docs/training.md).

Design:

- One engine for all training ranks, driven by rank 0 (`shared = True`): the step's prompts are
  gathered there and go to the engine in one `generate` (continuous batching does best with the
  whole batch), the groups are handed back to their ranks, and rank 0 alone pushes the weights,
  once per step. The alternative, one engine per rank, would push the weights world-size times
  and split a batch the engine batches best whole; it is what a hybrid engine on every training
  GPU needs, which helix does not do yet.
- Weights travel from the trainer in buckets of `bucket_bytes` in the rollout dtype (bfloat16),
  never as a state dict through Ray: `placement: separate` (the engine has its own GPUs) opens a
  NCCL group between trainer rank 0 and the engine's workers and broadcasts each bucket, and the
  engine never sleeps; `placement: colocated` (the engine shares rank 0's GPU) hands each bucket
  over as a CUDA IPC handle, and the engine follows vLLM's documented order: after generating,
  `sleep(level=2)` (weights and KV cache freed for the update); to take new weights,
  `wake_up(tags=["weights"])`, the buckets, then `wake_up(tags=["kv_cache"])`.
- On the engine side, weights are received by `training.rollout.vllm_ext.WeightReceiver`, a
  worker extension called by name through `collective_rpc` (vLLM refuses Python callables there).

vllm is imported only inside the engine actor and by rank 0's sender. On a CPU host `import vllm`
can succeed and fail later (no libcuda), so availability means: installed *and* CUDA visible.
"""

from __future__ import annotations

import concurrent.futures as cf
import importlib.util
import io
import socket
from typing import Any, Callable, Iterable

import torch

from training.rollout.base import Sample, Sampling, Vision
from training.rollout.vllm_ext import Bucket

EXTENSION = "training.rollout.vllm_ext.WeightReceiver"
TAGS = ("weights", "kv_cache")  # the documented wake-up order


class VLLMUnavailable(RuntimeError):
    pass


def vllm_available() -> tuple[bool, str]:
    if importlib.util.find_spec("vllm") is None:
        return False, "vllm is not installed (install the `.[train,gpu]` extras on GPU workers)"
    if not torch.cuda.is_available():
        return False, "vllm is installed but no CUDA device is visible"
    return True, ""


def collapse_image_pads(ids: list[int], image_token_id: int) -> list[int]:
    """The trainer's prompt ids hold one pad token per visual token; vLLM expects one per picture
    and expands it itself (with the same pixel bounds, passed as processor kwargs)."""
    return [t for k, t in enumerate(ids) if t != image_token_id or k == 0 or ids[k - 1] != image_token_id]


class VLLMRolloutWorker:
    """The engine side (the body of a Ray actor): a `vllm.LLM` and its sleep state."""

    def __init__(self, model_path: str, *, dtype: str = "bfloat16", gpu_memory_utilization: float = 0.5,
                 tensor_parallel_size: int = 1, max_model_len: int | None = None, seed: int = 0,
                 colocated: bool = False, min_pixels: int | None = None, max_pixels: int | None = None,
                 llm_factory: Callable[..., Any] | None = None):
        if llm_factory is None:
            ok, why = vllm_available()
            if not ok:
                raise VLLMUnavailable(why)
            from vllm import LLM  # noqa: PLC0415 (lazy by design)

            llm_factory = LLM
        pictures = {}
        if max_pixels is not None:  # a vision-language policy: same resizing as the trainer's
            pictures = dict(mm_processor_kwargs={"min_pixels": min_pixels, "max_pixels": max_pixels},
                            limit_mm_per_prompt={"image": 4})
        self.colocated = colocated
        self.llm = llm_factory(model=model_path, dtype=dtype, gpu_memory_utilization=gpu_memory_utilization,
                               tensor_parallel_size=tensor_parallel_size, max_model_len=max_model_len,
                               seed=seed, enable_sleep_mode=colocated, worker_extension_cls=EXTENSION,
                               **pictures)
        self.asleep: set[str] = set()
        self.tokenizer = self.llm.get_tokenizer()
        self.stop_ids = sorted({self.tokenizer.eos_token_id,
                                self.tokenizer.convert_tokens_to_ids("<|im_end|>")} - {None})
        self.image_token_id = self.tokenizer.convert_tokens_to_ids("<|image_pad|>")
        # a reply must not contain picture placeholders (the trainer would look for pictures there)
        markers = ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>")
        self.banned = {i: -100.0 for i in map(self.tokenizer.convert_tokens_to_ids, markers)
                       if isinstance(i, int) and i != self.tokenizer.unk_token_id} if max_pixels else {}

    def ready(self) -> bool:
        return True

    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        from vllm import SamplingParams  # noqa: PLC0415
        from vllm.inputs import TokensPrompt  # noqa: PLC0415

        if self.asleep:  # vLLM would queue the requests and never run them
            raise RuntimeError(f"generate while the engine sleeps ({', '.join(sorted(self.asleep))})")
        # temperature 0 is vLLM's greedy decoding too (top_p must then stay 1)
        params = SamplingParams(n=sampling.n, temperature=sampling.temperature,
                                top_p=1.0 if sampling.greedy else sampling.top_p,
                                max_tokens=sampling.max_new_tokens, logprobs=0, seed=sampling.seed,
                                stop_token_ids=self.stop_ids, logit_bias=self.banned or None)
        inputs = []
        for k, ids in enumerate(prompts):
            v = vision[k] if vision else None
            if v is None:
                inputs.append(TokensPrompt(prompt_token_ids=ids))
                continue
            from PIL import Image

            inputs.append(TokensPrompt(
                prompt_token_ids=collapse_image_pads(ids, self.image_token_id),
                multi_modal_data={"image": [Image.open(io.BytesIO(b)).convert("RGB") for b in v.pngs]}))
        outs = self.llm.generate(inputs, params, use_tqdm=False)
        result = []
        for out in outs:
            group = []
            for c in out.outputs:
                ids = list(c.token_ids)
                # diagnostics only (the trainer recomputes): vLLM's raw log-probabilities
                lps = [d[t].logprob if d and t in d else float("nan")
                       for t, d in zip(ids, c.logprobs or [None] * len(ids))]
                group.append(Sample(response_ids=ids, logprobs=lps, truncated=c.finish_reason == "length"))
            result.append(group)
        return result

    # -- weights ----------------------------------------------------------------------------------

    def open_weight_group(self, host: str, port: int, world_size: int) -> list[int]:
        """Workers join the trainer's NCCL group as ranks 1.. (blocks until the trainer joins)."""
        return self.llm.collective_rpc("helix_open_group", args=(host, port, 1, world_size))

    def receive(self, bucket: Bucket) -> None:
        self._loadable()
        self.llm.collective_rpc("helix_receive", args=(bucket,))

    def receive_ipc(self, bucket: Bucket, handle) -> None:
        self._loadable()
        self.llm.collective_rpc("helix_receive_ipc", args=(bucket, handle))

    def finish_update(self) -> None:
        # cached prefixes hold keys and values of the old weights
        if hasattr(self.llm, "reset_prefix_cache"):
            self.llm.reset_prefix_cache()

    def device_uuids(self) -> list[str]:
        return self.llm.collective_rpc("helix_device_uuid")

    def _loadable(self) -> None:
        if "weights" in self.asleep:
            raise RuntimeError("weights loaded into a sleeping engine are lost: wake_up(tags=['weights']) first")

    # -- sleep (colocated engines only) -----------------------------------------------------------

    def sleep(self) -> None:
        """Level 2: weights and KV cache discarded (new weights come next), memory back to the trainer."""
        if not self.colocated:
            raise RuntimeError("an engine on its own GPUs never sleeps")
        self.llm.sleep(level=2)
        self.asleep = set(TAGS)

    def wake(self, tags: list[str] | None = None) -> None:
        """Wake the given parts (all by default), weights before KV cache."""
        for tag in TAGS:
            if tag in self.asleep and (tags is None or tag in tags):
                self.llm.wake_up(tags=[tag])
                self.asleep.discard(tag)

    def state(self) -> dict[str, Any]:
        return {"asleep": sorted(self.asleep), "colocated": self.colocated}


class RayHandle:
    """Calls on an engine actor."""

    def __init__(self, actor):
        self.actor = actor

    def call(self, method: str, *args):
        import ray

        return ray.get(getattr(self.actor, method).remote(*args))

    def submit(self, method: str, *args):
        return getattr(self.actor, method).remote(*args)

    def wait(self, ref):
        import ray

        return ray.get(ref)


class LocalHandle:
    """Calls on an engine in this process (one thread, so a call can run while the caller
    broadcasts)."""

    def __init__(self, engine: VLLMRolloutWorker):
        self.engine = engine
        self.pool = cf.ThreadPoolExecutor(1)

    def call(self, method: str, *args):
        return getattr(self.engine, method)(*args)

    def submit(self, method: str, *args):
        return self.pool.submit(getattr(self.engine, method), *args)

    def wait(self, future):
        return future.result()


def buckets(weights: Iterable[tuple[str, torch.Tensor]], dtype: torch.dtype, limit_bytes: int,
            device: torch.device) -> Iterable[tuple[Bucket, torch.Tensor]]:
    """(description, flat tensor) of consecutive weights, each at most `limit_bytes` (a single
    larger tensor gets a bucket of its own), converted to `dtype` on `device`."""
    names: Bucket = []
    parts: list[torch.Tensor] = []
    size = 0
    dname = str(dtype).removeprefix("torch.")
    for name, tensor in weights:
        t = tensor.detach().to(device=device, dtype=dtype).reshape(-1)
        nbytes = t.numel() * t.element_size()
        if parts and size + nbytes > limit_bytes:
            yield names, torch.cat(parts)
            names, parts, size = [], [], 0
        names.append((name, dname, list(tensor.shape)))
        parts.append(t)
        size += nbytes
    if parts:
        yield names, torch.cat(parts)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("", 0))
        return s.getsockname()[1]


class VLLMBackend:
    """The trainer's view of the engine (rank 0 drives it; see the module docstring)."""

    shared = True

    def __init__(self, handle, *, placement: str = "separate", tensor_parallel_size: int = 1,
                 device: torch.device | str = "cuda", dtype: torch.dtype = torch.bfloat16,
                 bucket_bytes: int = 1 << 30, host: str | None = None):
        if placement not in ("separate", "colocated"):
            raise ValueError(f"unknown placement {placement!r}")
        self.handle, self.placement, self.tp = handle, placement, tensor_parallel_size
        self.device, self.dtype, self.bucket_bytes = torch.device(device), dtype, bucket_bytes
        self.host = host
        self._group = None
        self.pushes = 0

    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        return self.handle.call("generate", prompts, sampling, vision)

    def wake(self) -> None:
        if self.placement == "colocated":
            self.handle.call("wake", None)  # a no-op when the last weight push woke it

    def sleep(self) -> None:
        if self.placement == "colocated":
            self.handle.call("sleep")

    def load_weights(self, weights: Iterable[tuple[str, torch.Tensor]]) -> None:
        if self.placement == "colocated":
            self.handle.call("wake", ["weights"])
            self._check_same_gpu()
            for bucket, flat in buckets(weights, self.dtype, self.bucket_bytes, self.device):
                self.handle.call("receive_ipc", bucket, _share(flat))
                del flat  # the engine has copied it (it synchronises before returning)
            self.handle.call("wake", ["kv_cache"])
        else:
            group = self._nccl_group()
            for bucket, flat in buckets(weights, self.dtype, self.bucket_bytes, self.device):
                pending = self.handle.submit("receive", bucket)
                group.broadcast(flat, src=0, stream=torch.cuda.current_stream() if self.device.type == "cuda" else None)
                self.handle.wait(pending)
        self.handle.call("finish_update")
        self.pushes += 1

    def _nccl_group(self):
        """Trainer rank 0 as rank 0 of a NCCL group with the engine's workers (opened once)."""
        if self._group is None:
            from vllm.distributed.device_communicators.pynccl import PyNcclCommunicator  # noqa: PLC0415
            from vllm.distributed.utils import StatelessProcessGroup  # noqa: PLC0415

            host = self.host or _node_address()
            port = _free_port()
            pending = self.handle.submit("open_weight_group", host, port, 1 + self.tp)
            group = StatelessProcessGroup.create(host=host, port=port, rank=0, world_size=1 + self.tp)
            self._group = PyNcclCommunicator(group, device=self.device)
            self.handle.wait(pending)
        return self._group

    def _check_same_gpu(self) -> None:
        if self.device.type != "cuda":
            return
        mine = str(torch.cuda.get_device_properties(self.device).uuid)
        theirs = self.handle.call("device_uuids")
        if mine not in theirs:
            raise RuntimeError(f"rollout.placement colocated: the vLLM engine runs on GPU {theirs}, "
                               f"training rank 0 on {mine}; use placement: separate")


def _share(flat: torch.Tensor):
    """A handle another process on the same GPU rebuilds the tensor from (the device index, the
    7th argument of CUDA tensors, is replaced by the receiver's own numbering)."""
    from torch.multiprocessing.reductions import reduce_tensor

    rebuild, args = reduce_tensor(flat)
    return rebuild, args


def _node_address() -> str:
    try:
        import ray

        if ray.is_initialized():
            return ray.util.get_node_ip_address()
    except ImportError:
        pass
    return "127.0.0.1"


def create_vllm_actor(model_path: str, *, gpus: float = 1, placement_group=None, **kwargs):
    """A vLLM engine actor. `separate`: its own GPUs, outside the training placement group (inside
    it, it would wait for GPUs the training workers hold: the known deadlock)."""
    ok, why = vllm_available()
    if not ok:
        raise VLLMUnavailable(why)
    import ray
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    actor = ray.remote(VLLMRolloutWorker).options(
        num_gpus=gpus, scheduling_strategy=PlacementGroupSchedulingStrategy(placement_group=placement_group),
    ).remote(model_path, **kwargs)
    ray.get(actor.ready.remote())
    return actor
