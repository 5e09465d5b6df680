"""What each Ray Train worker runs in the data-parallel tests: one update on a fixed global batch
(this rank takes every world-th group), then its gradients and numbers saved by rank 0; with
FSDP2 also a sharded checkpoint and a resume from it. Light imports: workers import this module."""

from __future__ import annotations

from pathlib import Path

import torch


def fixed_batch(tok, groups: int = 4, n: int = 3):
    """Rollout and expert rows with mixed rewards (so advantages are non-zero), some groups gated."""
    from training.losses import group_advantages
    from training.trainer import Row

    g = torch.Generator().manual_seed(11)
    rewards = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 0, 1.]])[:groups]
    gated = [True, False, True, False][:groups]
    rollouts, experts = [], []
    for k in range(groups):
        prompt = torch.randint(5, 60, (int(torch.randint(3, 9, (1,), generator=g)),), generator=g).tolist()
        adv = group_advantages(rewards[k].unsqueeze(0))[0]
        for i in range(n):
            resp = torch.randint(5, 60, (int(torch.randint(1, 7, (1,), generator=g)),), generator=g).tolist()
            rollouts.append(Row(prompt, resp, float(adv[i]), True, k, temperature=0.8))
        if gated[k]:
            reply = torch.randint(5, 60, (5 + k,), generator=g).tolist()
            experts.append(Row(prompt, reply, 0.0, True, k, expert=True))
    return rollouts, experts


def config(tmp: str, strategy: str, micro_batch_tokens: int = 16384) -> dict:
    return {"name": "dp", "steps": 1, "prompts_per_step": 2, "output_dir": tmp, "seed": 3,
            "reward": {"workers": 0}, "rollout": {"n_on": 3, "max_new_tokens": 4},
            "optim": {"lr": 1e-3, "grad_clip": 1e9, "micro_batch_tokens": micro_batch_tokens},
            "parallel": {"strategy": strategy}}


def update(train: dict, out: str, rank: int = 0, world: int = 1) -> None:
    from training.algorithms import ALGORITHMS
    from training.config import TrainConfig
    from training.data import Prompt
    from training.trainer import Trainer

    cfg = TrainConfig.model_validate(train)
    prompts = [Prompt(id="p", source="t", task="t", category="t", level=0, question="1+1?",
                      judge="exact_match", answer="2")]
    trainer = Trainer(cfg, rank=rank, world=world, prompts=prompts)
    rollouts, experts = fixed_batch(trainer.tok)
    mine = [r for r in rollouts if r.group % world == rank], [r for r in experts if r.group % world == rank]
    result = trainer._update(ALGORITHMS["ahpo"], *mine)
    grads = {}
    for name, p in trainer.module.named_parameters():
        grad = p.grad.full_tensor() if hasattr(p.grad, "full_tensor") else p.grad
        grads[name] = grad.detach().clone()
    weights = dict(trainer.engine.rollout_weights())
    resumed = None
    if cfg.parallel.strategy == "fsdp":
        ckpt = trainer.save(Path(cfg.output_dir) / "ckpt", hf_export=True)
        again = Trainer(cfg.model_copy(update={"resume_from": str(ckpt)}), rank=rank, world=world, prompts=prompts)
        resumed = {k: v.clone() for k, v in again.engine.rollout_weights()}
        again.close()
    if rank == 0:
        torch.save({"result": result, "grads": grads, "weights": weights, "resumed": resumed}, out)
    trainer.close()


def ray_worker(loop_config: dict) -> None:
    import ray.train

    ctx = ray.train.get_context()
    update(loop_config["train"], loop_config["out"], ctx.get_world_rank(), ctx.get_world_size())
