"""TEST DOUBLE of vLLM (0.32): `vllm.LLM` and the few `vllm.*` names helix uses, for CPU tests.

vLLM cannot run on the machines that run helix's tests (no CUDA), so the trainer's vLLM path is
tested against this recording double at the process boundary. It is not vLLM: it samples with a
Hugging Face model on the CPU. What it reproduces is vLLM's documented behaviour at the interface,
and it *refuses* what real vLLM refuses or silently gets wrong:

- `collective_rpc(method)` with a Python callable: TypeError, as vLLM 0.32's msgpack encoder
  without VLLM_ALLOW_INSECURE_SERIALIZATION=1; with a string, the method of that name on every
  worker (the worker class mixes in `worker_extension_cls`, given as a qualified name), results
  as a list, one per worker;
- sleep mode: `sleep(level=1)` backs the weights up and `wake_up` restores that backup,
  `sleep(level=2)` discards them (here: overwritten with NaN, so a forgotten push shows); weights
  loaded while asleep would be lost or written to unmapped memory: RuntimeError; `generate`
  while any part sleeps would queue forever in vLLM 0.32: RuntimeError instead of a hang; waking
  the KV cache before the weights breaks the documented order: RuntimeError; sleep without
  `enable_sleep_mode=True`: RuntimeError;
- the NCCL weight channel (`StatelessProcessGroup`, `PyNcclCommunicator.broadcast`) between
  ranks in this process, refusing mismatched sizes or dtypes (real NCCL would hang or corrupt).

Every call is appended to `LLM.log`, so tests can assert the order of operations.
"""

from __future__ import annotations

import importlib
import math
import os
import sys
import threading
import types
from dataclasses import dataclass, field

import torch

# -- the engine -------------------------------------------------------------------------------


@dataclass
class Logprob:
    logprob: float
    rank: int | None = None
    decoded_token: str | None = None


@dataclass
class CompletionOutput:
    index: int
    token_ids: list[int]
    logprobs: list[dict[int, Logprob]] | None
    finish_reason: str


@dataclass
class RequestOutput:
    outputs: list[CompletionOutput]


class SamplingParams:
    def __init__(self, n=1, temperature=1.0, top_p=1.0, max_tokens=16, logprobs=None, seed=None,
                 stop_token_ids=None, logit_bias=None, **kwargs):
        self.n, self.temperature, self.top_p, self.max_tokens = n, temperature, top_p, max_tokens
        self.logprobs, self.seed, self.stop_token_ids, self.logit_bias = logprobs, seed, stop_token_ids, logit_bias


def TokensPrompt(prompt_token_ids, multi_modal_data=None):  # noqa: N802 (vLLM's name: a TypedDict)
    return {"prompt_token_ids": prompt_token_ids, "multi_modal_data": multi_modal_data}


class _Model:
    """The double's `model_runner.model`: vLLM models load (checkpoint name, tensor) pairs."""

    def __init__(self, engine: "LLM", hf):
        self.engine, self.hf = engine, hf

    def load_weights(self, weights):
        if "weights" in self.engine.asleep:
            raise RuntimeError("load_weights while the weights sleep: level 2 has unmapped them, level 1 "
                               "restores its CPU backup over them at wake_up")
        params = dict(self.hf.named_parameters(remove_duplicate=False))
        loaded = set()
        with torch.no_grad():
            for name, tensor in weights:
                if name not in params:
                    raise KeyError(f"vLLM model has no weight {name!r}")
                if tuple(tensor.shape) != tuple(params[name].shape):
                    raise ValueError(f"{name}: shape {tuple(tensor.shape)} != {tuple(params[name].shape)}")
                params[name].copy_(tensor)
                loaded.add(name)
        self.engine.log.append(("load_weights", len(loaded)))
        return loaded


class _WorkerBase:
    def __init__(self, engine: "LLM", rank: int):
        self.rank = rank
        self.device = torch.device("cpu")
        self.model_runner = types.SimpleNamespace(model=_Model(engine, engine.hf))


class LLM:
    instances: list["LLM"] = []

    def __init__(self, model: str, dtype: str = "auto", gpu_memory_utilization: float = 0.9,
                 tensor_parallel_size: int = 1, max_model_len: int | None = None, seed: int = 0,
                 enable_sleep_mode: bool = False, worker_extension_cls: str = "", **kwargs):
        from training.config import PolicyConfig
        from training.policy import load_policy

        self.kwargs = dict(model=model, dtype=dtype, tensor_parallel_size=tensor_parallel_size,
                           enable_sleep_mode=enable_sleep_mode, worker_extension_cls=worker_extension_cls, **kwargs)
        self.hf, self.tok = load_policy(PolicyConfig(path=model), "cpu",
                                        dtype=torch.float32 if dtype in ("auto", "float32") else getattr(torch, dtype),
                                        checkpointing=False)
        self.hf.eval()
        self.asleep: set[str] = set()
        self.enable_sleep_mode = enable_sleep_mode
        self.log: list[tuple] = []
        bases = (_WorkerBase,)
        if worker_extension_cls:
            module, _, name = worker_extension_cls.rpartition(".")
            bases = (_WorkerBase, getattr(importlib.import_module(module), name))
        worker_cls = type("Worker", bases, {})
        self.workers = [worker_cls(self, k) for k in range(tensor_parallel_size)]
        LLM.instances.append(self)

    def get_tokenizer(self):
        return self.tok

    def collective_rpc(self, method, timeout=None, args=(), kwargs=None):
        if callable(method) and not isinstance(method, str):
            if os.environ.get("VLLM_ALLOW_INSECURE_SERIALIZATION") != "1":
                raise TypeError(f"Object of type {type(method)} is not serializableSet "
                                "VLLM_ALLOW_INSECURE_SERIALIZATION=1 to allow fallback to pickle-based serialization.")
        self.log.append(("collective_rpc", method if isinstance(method, str) else "<callable>"))
        results = []
        for worker in self.workers:
            _CURRENT.rank = worker.rank
            if isinstance(method, str):
                if not hasattr(worker, method):
                    raise NotImplementedError(f"Method {method!r} is not implemented.")
                results.append(getattr(worker, method)(*args, **(kwargs or {})))
            else:
                results.append(method(worker, *args, **(kwargs or {})))
        return results

    def sleep(self, level: int = 1, mode: str = "abort"):
        if not self.enable_sleep_mode:
            raise RuntimeError("Sleep mode is not enabled (LLM(enable_sleep_mode=True))")
        self.log.append(("sleep", level))
        if level == 1:
            self._backup = {k: v.clone() for k, v in self.hf.state_dict().items()}
        else:
            self._backup = None
            with torch.no_grad():
                for p in self.hf.parameters():
                    p.fill_(math.nan)  # discarded: whatever is read before new weights is garbage
        self.asleep = {"weights", "kv_cache"}

    def wake_up(self, tags: list[str] | None = None):
        tags = list(tags) if tags is not None else ["weights", "kv_cache"]
        bad = set(tags) - {"weights", "kv_cache", "scheduling"}
        if bad:
            raise ValueError(f"unknown wake-up tags {sorted(bad)}")
        if "kv_cache" in tags and "weights" not in tags and "weights" in self.asleep:
            raise RuntimeError("kv_cache woken before weights: the documented order is weights, then kv_cache")
        self.log.append(("wake_up", tuple(tags)))
        if "weights" in tags and "weights" in self.asleep and getattr(self, "_backup", None) is not None:
            self.hf.load_state_dict(self._backup)  # level 1: the backup comes back
        self.asleep -= set(tags)

    def reset_prefix_cache(self, *args, **kwargs) -> bool:
        self.log.append(("reset_prefix_cache",))
        return True

    def generate(self, prompts, params: SamplingParams, use_tqdm: bool = True):
        from training.policy import stop_ids
        from training.rollout.base import Sampling
        from training.rollout.hf import HFBackend

        if self.asleep:
            raise RuntimeError(f"generate while asleep ({sorted(self.asleep)}): vLLM queues the requests "
                               "while paused and this call would never return")
        self.log.append(("generate", len(prompts)))
        backend = HFBackend(self.hf, self.tok, sorted(set(params.stop_token_ids or stop_ids(self.tok))))
        groups = backend.generate([p["prompt_token_ids"] for p in prompts], Sampling(
            n=params.n, temperature=params.temperature, top_p=params.top_p, max_new_tokens=params.max_tokens,
            seed=params.seed or 0))
        return [RequestOutput([CompletionOutput(i, s.response_ids,
                                                [{t: Logprob(lp)} for t, lp in zip(s.response_ids, s.logprobs)],
                                                "length" if s.truncated else "stop")
                               for i, s in enumerate(g)]) for g in groups]

    def weights(self) -> dict[str, torch.Tensor]:
        return dict(self.hf.named_parameters(remove_duplicate=False))


# -- the NCCL weight channel ------------------------------------------------------------------


@dataclass
class _Channel:
    world: int
    posted: list = field(default_factory=list)
    cond: threading.Condition = field(default_factory=threading.Condition)


_CHANNELS: dict[tuple[str, int], _Channel] = {}
_CURRENT = threading.local()


class StatelessProcessGroup:
    def __init__(self, key, rank, world_size):
        self.key, self.rank, self.world_size = key, rank, world_size

    @classmethod
    def create(cls, host: str, port: int, rank: int, world_size: int):
        _CHANNELS.setdefault((host, port), _Channel(world_size))
        return cls((host, port), rank, world_size)


class PyNcclCommunicator:
    def __init__(self, group: StatelessProcessGroup, device):
        self.group, self.device = group, device
        self.seen = 0  # broadcasts consumed by this rank

    def broadcast(self, tensor: torch.Tensor, src: int, stream=None):
        channel = _CHANNELS[self.group.key]
        with channel.cond:
            if self.group.rank == src:
                channel.posted.append(tensor.detach().clone())
                channel.cond.notify_all()
                return
            if not channel.cond.wait_for(lambda: len(channel.posted) > self.seen, timeout=30):
                raise TimeoutError("broadcast: rank 0 never sent (NCCL would hang here)")
            sent = channel.posted[self.seen]
        if sent.numel() != tensor.numel() or sent.dtype != tensor.dtype:
            raise RuntimeError(f"broadcast mismatch: sent {sent.numel()} {sent.dtype}, "
                               f"received into {tensor.numel()} {tensor.dtype}")
        tensor.copy_(sent)
        self.seen += 1


def get_world_group():
    return types.SimpleNamespace(rank=getattr(_CURRENT, "rank", 0))


def install(monkeypatch) -> types.ModuleType:
    """Put this double in place of the `vllm` package (and the submodules helix imports)."""
    me = sys.modules[__name__]
    names = {
        "vllm": dict(LLM=LLM, SamplingParams=SamplingParams, TokensPrompt=TokensPrompt),
        "vllm.inputs": dict(TokensPrompt=TokensPrompt),
        "vllm.distributed": {},
        "vllm.distributed.utils": dict(StatelessProcessGroup=StatelessProcessGroup),
        "vllm.distributed.device_communicators": {},
        "vllm.distributed.device_communicators.pynccl": dict(PyNcclCommunicator=PyNcclCommunicator),
        "vllm.distributed.parallel_state": dict(get_world_group=get_world_group),
    }
    for name, attrs in names.items():
        module = types.ModuleType(name)
        module.__dict__.update(attrs)
        module.__doc__ = "TEST DOUBLE: see tests/vllm_double.py"
        monkeypatch.setitem(sys.modules, name, module)
    LLM.instances.clear()
    _CHANNELS.clear()
    return me
