"""What a rollout backend does: sample N replies per prompt and give back token ids and the
sampler's log-probabilities. The trainer recomputes the old log-probabilities itself (engines
differ in kernels and precision), so the backend's numbers are diagnostics, not loss inputs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Protocol

import torch
from pydantic import BaseModel, ConfigDict, Field


class Sampling(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    n: int = Field(ge=1)
    # 0 = greedy (the most likely token at every step; vLLM's convention): evaluation's answers.
    # The log-probabilities of a greedy reply are then those of the untempered distribution.
    temperature: float = Field(1.0, ge=0)
    top_p: float = Field(1.0, gt=0, le=1)
    max_new_tokens: int = Field(ge=1)
    seed: int = 0

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass
class Vision:
    """A prompt's pictures, preprocessed: what the model reads (`pixel_values` [patches, dim] and
    `grid_thw` [pictures, 3]), and the PNG bytes for engines that preprocess pictures themselves.
    The prompt's token ids already hold one image-pad token per visual token."""

    pixel_values: torch.Tensor
    grid_thw: torch.Tensor
    pngs: tuple[bytes, ...]


def model_inputs(visions: list[Vision | None]) -> dict[str, torch.Tensor]:
    """The vision keyword arguments of a Qwen2.5-VL-style forward/generate for a batch whose rows
    carry these pictures (rows without pictures contribute nothing), or {} without any."""
    present = [v for v in visions if v is not None]
    if not present:
        return {}
    return {"pixel_values": torch.cat([v.pixel_values for v in present]),
            "image_grid_thw": torch.cat([v.grid_thw for v in present])}


@dataclass
class Sample:
    response_ids: list[int]  # up to and including the stop token when it was produced
    logprobs: list[float]  # the sampler's, at the sampling temperature
    truncated: bool  # hit max_new_tokens without a stop token


class RolloutBackend(Protocol):
    # True: one engine serves every training rank; rank 0 drives it (gathers the step's prompts,
    # pushes the weights once). False: each rank has its own.
    shared: bool

    def generate(self, prompts: list[list[int]], sampling: Sampling,
                 vision: list[Vision | None] | None = None) -> list[list[Sample]]:
        """For each prompt (token ids, with its pictures where `vision` gives them), `sampling.n`
        samples."""

    def load_weights(self, weights: Iterable[tuple[str, torch.Tensor]]) -> None:
        """Take the trainer's new weights, (name, tensor) pairs under the plain model's names, one
        tensor at a time (called after every update)."""

    def sleep(self) -> None:
        """Free accelerator memory while the trainer updates (no-op where meaningless)."""

    def wake(self) -> None:
        """Before generating: the engine's memory is back."""
