"""Rollouts with transformers `generate` (CPU or GPU), in-process or inside a Ray actor.

One `generate` call per prompt with `num_return_sequences = n`: the n copies share one prompt, so
no padding enters the prompt and the positions match the trainer's right-padded recomputation.
"""

from __future__ import annotations

import torch

from training.losses import token_logprobs
from training.policy import vision_token_ids
from training.rollout.base import Sample, Sampling, Vision, model_inputs


class HFBackend:
    def __init__(self, model, tokenizer, stop_ids: list[int]):
        self.model, self.tokenizer, self.stop_ids = model, tokenizer, stop_ids
        # a reply must not contain picture placeholders: the model would look for pictures there
        self.suppress = vision_token_ids(model.config) or None

    @torch.no_grad()
    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        was_training = self.model.training
        self.model.eval()
        device = next(self.model.parameters()).device
        out: list[list[Sample]] = []
        try:
            for k, ids in enumerate(prompts):
                # seeded per (step seed, prompt): reproducible whatever ran before in the process
                gen = torch.manual_seed(sampling.seed * 100_003 + k)
                del gen
                x = torch.tensor([ids], device=device)
                pictures = {key: value.to(device) for key, value in
                            model_inputs([vision[k] if vision else None]).items()}
                res = self.model.generate(
                    input_ids=x, attention_mask=torch.ones_like(x), **pictures, do_sample=True,
                    temperature=sampling.temperature, top_p=sampling.top_p, top_k=0,
                    max_new_tokens=sampling.max_new_tokens, num_return_sequences=sampling.n,
                    eos_token_id=self.stop_ids, pad_token_id=self.tokenizer.pad_token_id,
                    suppress_tokens=self.suppress,
                    output_logits=True, return_dict_in_generate=True)
                new = res.sequences[:, x.shape[1]:]
                logits = torch.stack(res.logits, dim=1)  # raw logits, [n, steps, vocab]
                lp = token_logprobs(logits, new, sampling.temperature)
                out.append([self._sample(new[i], lp[i]) for i in range(sampling.n)])
        finally:
            self.model.train(was_training)
        return out

    def _sample(self, ids: torch.Tensor, lp: torch.Tensor) -> Sample:
        ids_l = ids.tolist()
        stop = next((i for i, t in enumerate(ids_l) if t in self.stop_ids), None)
        end = len(ids_l) if stop is None else stop + 1
        return Sample(response_ids=ids_l[:end], logprobs=lp[:end].tolist(), truncated=stop is None)

    def load_weights(self, state_dict: dict[str, torch.Tensor]) -> None:
        self.model.load_state_dict(state_dict)

    def sleep(self) -> None:
        pass

    def wake(self) -> None:
        pass


class HFRolloutWorker:
    """The body of the rollout actor: its own copy of the policy, weights pushed by the trainer."""

    def __init__(self, policy_cfg: dict, device: str = "cpu", threads: int | None = None):
        from training.config import PolicyConfig
        from training.policy import load_policy, stop_ids

        if threads:
            torch.set_num_threads(threads)
        model, tok = load_policy(PolicyConfig.model_validate(policy_cfg), device)
        self.backend = HFBackend(model, tok, stop_ids(tok))

    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        return self.backend.generate(prompts, sampling, vision)

    def load_weights(self, state_dict: dict[str, torch.Tensor]) -> None:
        self.backend.load_weights(state_dict)

    def ready(self) -> bool:
        return True


class ActorBackend:
    """The trainer's view of a rollout actor (HF or vLLM): the same protocol, over Ray."""

    def __init__(self, actor):
        self.actor = actor

    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        import ray

        return ray.get(self.actor.generate.remote(prompts, sampling, vision))

    def load_weights(self, state_dict: dict[str, torch.Tensor]) -> None:
        import ray

        cpu = {k: v.detach().to("cpu") for k, v in state_dict.items()}
        ray.get(self.actor.load_weights.remote(cpu))

    def sleep(self) -> None:
        import ray

        if hasattr(self.actor, "sleep"):
            ray.get(self.actor.sleep.remote())

    def wake(self) -> None:
        import ray

        if hasattr(self.actor, "wake"):
            ray.get(self.actor.wake.remote())


def create_hf_actor(policy_cfg: dict, num_gpus: float = 0.0, threads: int | None = 1):
    """A rollout actor scheduled outside any placement group: inside Ray Train's group it would
    wait for resources the training workers hold (the known deadlock)."""
    import ray
    from ray.util.scheduling_strategies import PlacementGroupSchedulingStrategy

    cls = ray.remote(HFRolloutWorker)
    actor = cls.options(num_cpus=1, num_gpus=num_gpus, scheduling_strategy=
                        PlacementGroupSchedulingStrategy(placement_group=None)).remote(
        policy_cfg, "cuda" if num_gpus else "cpu", threads)
    ray.get(actor.ready.remote())
    return actor
