#!/usr/bin/env bash
# GRPO in verl on helix prompts, judged by helix's verifiers. Not run here (verl needs GPUs); the
# reward entry point is tested with the arguments verl's reward manager passes
# (tests/test_rl_interop.py). Keys are verl's documented `main_ppo` overrides; adjust the model,
# GPUs and lengths to your cluster.
#
#   helix run --per-level 200                    # or: helix release create v1 (and --release v1 below)
#   helix export rl data/verl/train.parquet --format verl --split train
#   helix export rl data/verl/val.parquet   --format verl --split val   # after helix run --split val
#   bash examples/verl/run_grpo.sh
set -euo pipefail
REWARD=$(python -c 'import verifiers.rl_rewards as m; print(m.__file__)')
MODEL=${MODEL:-Qwen/Qwen2.5-1.5B-Instruct}

python3 -m verl.trainer.main_ppo \
    algorithm.adv_estimator=grpo \
    data.train_files=data/verl/train.parquet \
    data.val_files=data/verl/val.parquet \
    data.prompt_key=prompt \
    data.train_batch_size=128 \
    data.max_prompt_length=4096 \
    data.max_response_length=4096 \
    actor_rollout_ref.model.path="$MODEL" \
    actor_rollout_ref.actor.optim.lr=1e-6 \
    actor_rollout_ref.actor.ppo_mini_batch_size=64 \
    actor_rollout_ref.rollout.name=vllm \
    actor_rollout_ref.rollout.n=5 \
    custom_reward_function.path="$REWARD" \
    custom_reward_function.name=compute_score \
    trainer.n_gpus_per_node=8 \
    trainer.nnodes=1 \
    trainer.total_epochs=1 \
    trainer.project_name=helix \
    trainer.experiment_name=grpo-helix "$@"
# the picture variant: export with --variant image and add data.image_key=images, with a VL model
