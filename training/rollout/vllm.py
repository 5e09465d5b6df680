"""Rollouts with `vllm.LLM` inside a Ray actor on its own GPU(s). Not run here: no GPU and no vllm
in this environment (see docs/training.md for what was and was not exercised).

vllm is imported only inside the actor. On a CPU host `import vllm` can succeed and fail later
(no libcuda), so availability means: the package is installed *and* CUDA is visible. The engine
sleeps (frees KV cache and weights) while the trainer updates, wakes, and receives the new weights
through `collective_rpc` on its workers after every update.
"""

from __future__ import annotations

import importlib.util

import torch

from training.rollout.base import Sample, Sampling


class VLLMUnavailable(RuntimeError):
    pass


def vllm_available() -> tuple[bool, str]:
    if importlib.util.find_spec("vllm") is None:
        return False, "vllm is not installed (install the `.[train,gpu]` extras on GPU workers)"
    if not torch.cuda.is_available():
        return False, "vllm is installed but no CUDA device is visible"
    return True, ""


def _load_into_worker(worker, weights: list[tuple[str, torch.Tensor]]) -> int:
    """Runs inside each vLLM worker process: load (name, tensor) pairs into the live model."""
    model = worker.model_runner.model
    model.load_weights(weights=[(n, t.to(next(model.parameters()).device)) for n, t in weights])
    return len(weights)


class VLLMRolloutWorker:
    def __init__(self, model_path: str, dtype: str = "bfloat16", gpu_memory_utilization: float = 0.5,
                 tensor_parallel_size: int = 1, max_model_len: int | None = None, seed: int = 0):
        ok, why = vllm_available()
        if not ok:
            raise VLLMUnavailable(why)
        from vllm import LLM  # noqa: PLC0415 (lazy by design)

        self.llm = LLM(model=model_path, dtype=dtype, gpu_memory_utilization=gpu_memory_utilization,
                       tensor_parallel_size=tensor_parallel_size, max_model_len=max_model_len,
                       enable_sleep_mode=True, seed=seed)
        self.tokenizer = self.llm.get_tokenizer()
        self.stop_ids = sorted({self.tokenizer.eos_token_id,
                                self.tokenizer.convert_tokens_to_ids("<|im_end|>")} - {None})

    def ready(self) -> bool:
        return True

    def generate(self, prompts: list[list[int]], sampling: Sampling) -> list[list[Sample]]:
        from vllm import SamplingParams, TokensPrompt  # noqa: PLC0415

        params = SamplingParams(n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p,
                                max_tokens=sampling.max_new_tokens, logprobs=0, seed=sampling.seed,
                                stop_token_ids=self.stop_ids)
        outs = self.llm.generate([TokensPrompt(prompt_token_ids=p) for p in prompts], params,
                                 use_tqdm=False)
        result = []
        for out in outs:
            group = []
            for c in out.outputs:
                ids = list(c.token_ids)
                lps = [d[t].logprob if d and t in d else float("nan")
                       for t, d in zip(ids, c.logprobs or [None] * len(ids))]
                group.append(Sample(response_ids=ids, logprobs=lps,
                                    truncated=c.finish_reason == "length"))
            result.append(group)
        return result

    def load_weights(self, state_dict: dict[str, torch.Tensor]) -> None:
        self.llm.collective_rpc(_load_into_worker, args=(list(state_dict.items()),))
        self.llm.reset_prefix_cache()  # cached KV of the old weights is stale

    def sleep(self) -> None:
        self.llm.sleep(level=1)

    def wake(self) -> None:
        self.llm.wake_up()


def create_vllm_actor(model_path: str, *, gpus: int = 1, **kwargs):
    """A vLLM actor outside the training placement group (see `create_hf_actor`)."""
    ok, why = vllm_available()
    if not ok:
        raise VLLMUnavailable(why)
    import ray
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    actor = ray.remote(VLLMRolloutWorker).options(
        num_gpus=gpus, scheduling_strategy=PlacementGroupSchedulingStrategy(placement_group=None),
    ).remote(model_path, **kwargs)
    ray.get(actor.ready.remote())
    return actor
