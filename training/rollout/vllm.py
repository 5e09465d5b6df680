"""Rollouts with `vllm.LLM` inside a Ray actor on its own GPU(s). Not run here: no GPU and no vllm
in this environment (README, Training: "Not run here" lists what was and was not exercised).

vllm is imported only inside the actor. On a CPU host `import vllm` can succeed and fail later
(no libcuda), so availability means: the package is installed *and* CUDA is visible. The engine
sleeps (frees KV cache and weights) while the trainer updates, wakes, and receives the new weights
through `collective_rpc` on its workers after every update.
"""

from __future__ import annotations

import importlib.util

import torch

from training.rollout.base import Sample, Sampling, Vision


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


def collapse_image_pads(ids: list[int], image_token_id: int) -> list[int]:
    """The trainer's prompt ids hold one pad token per visual token; vLLM expects one per picture
    and expands it itself (with the same pixel bounds, passed as processor kwargs)."""
    return [t for k, t in enumerate(ids) if t != image_token_id or k == 0 or ids[k - 1] != image_token_id]


class VLLMRolloutWorker:
    def __init__(self, model_path: str, dtype: str = "bfloat16", gpu_memory_utilization: float = 0.5,
                 tensor_parallel_size: int = 1, max_model_len: int | None = None, seed: int = 0,
                 min_pixels: int | None = None, max_pixels: int | None = None):
        ok, why = vllm_available()
        if not ok:
            raise VLLMUnavailable(why)
        from vllm import LLM  # noqa: PLC0415 (lazy by design)

        pictures = {}
        if max_pixels is not None:  # a vision-language policy: same resizing as the trainer's
            pictures = dict(mm_processor_kwargs={"min_pixels": min_pixels, "max_pixels": max_pixels},
                            limit_mm_per_prompt={"image": 4})
        self.llm = LLM(model=model_path, dtype=dtype, gpu_memory_utilization=gpu_memory_utilization,
                       tensor_parallel_size=tensor_parallel_size, max_model_len=max_model_len,
                       enable_sleep_mode=True, seed=seed, **pictures)
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
        from vllm import SamplingParams, TokensPrompt  # noqa: PLC0415

        params = SamplingParams(n=sampling.n, temperature=sampling.temperature, top_p=sampling.top_p,
                                max_tokens=sampling.max_new_tokens, logprobs=0, seed=sampling.seed,
                                stop_token_ids=self.stop_ids, logit_bias=self.banned or None)
        inputs = []
        for k, ids in enumerate(prompts):
            v = vision[k] if vision else None
            if v is None:
                inputs.append(TokensPrompt(prompt_token_ids=ids))
                continue
            import io

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
