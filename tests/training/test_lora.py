"""LoRA (training/lora.py): the adapted model starts as the base model, only adapters learn, and
the merged weights are a plain model that computes exactly what the adapted one computes."""

import pytest
import torch

from tests.training.test_training import _cfg, _prompts
from training.config import LoraConfig, PolicyConfig, TinyPolicy, TrainConfig
from training.lora import LoraLinear, apply_lora, merged_state_dict, trainable_parameters
from training.policy import load_policy
from training.trainer import Trainer


def _lora_cfg(tmp_path, **lora):
    cfg = _cfg(tmp_path)
    return cfg.model_copy(update={"lora": LoraConfig(rank=4, alpha=8, **lora)})


def _logits(model, ids=(5, 6, 7, 8, 9)):
    x = torch.tensor([list(ids)])
    with torch.no_grad():
        return model(input_ids=x, attention_mask=torch.ones_like(x)).logits


def test_adapters_start_as_the_base_model_and_wrap_only_the_targets():
    model, _ = load_policy(PolicyConfig())
    before = _logits(model)
    names = apply_lora(model, LoraConfig(rank=4))
    assert len(names) == 2 * 7  # q k v o gate up down, in each of the 2 layers
    assert torch.equal(_logits(model), before)  # B = 0: exactly the base model
    trainable = trainable_parameters(model)
    assert len(trainable) == 2 * len(names)
    assert all(isinstance(model.get_submodule(n), LoraLinear) for n in names)
    with pytest.raises(ValueError, match="match no linear layer"):
        apply_lora(load_policy(PolicyConfig())[0], LoraConfig(rank=4, targets=["nope"]))


def test_vision_tower_stays_plain_unless_asked():
    model, _ = load_policy(PolicyConfig(tiny=TinyPolicy(vision=True)))
    names = apply_lora(model, LoraConfig(rank=2))
    assert names and not any(".visual." in f".{n}." for n in names)
    model, _ = load_policy(PolicyConfig(tiny=TinyPolicy(vision=True)))
    assert any(".visual." in f".{n}." for n in apply_lora(model, LoraConfig(rank=2, include_vision=True)))


def test_a_step_moves_only_the_adapters_and_merging_reproduces_the_logits(tmp_path):
    trainer = Trainer(_lora_cfg(tmp_path), prompts=_prompts())
    state = {k: v.clone() for k, v in trainer.module.state_dict().items()}
    m = trainer.step()
    assert m["loss_expert"] > 0
    after = trainer.module.state_dict()
    moved = {k for k in state if not torch.equal(state[k], after[k])}
    assert moved and all(k.endswith(("lora_A", "lora_B")) for k in moved)
    plain, _ = load_policy(PolicyConfig())
    merged = merged_state_dict(trainer.module)
    assert not any("lora" in k for k in merged)
    plain.load_state_dict(merged)  # strict: the names are the base model's
    assert torch.allclose(_logits(plain), _logits(trainer.module), atol=1e-5)


def test_checkpoint_exports_a_plain_model_and_resume_is_exact(tmp_path):
    from transformers import AutoModelForCausalLM

    cfg = _lora_cfg(tmp_path)
    a = Trainer(cfg, prompts=_prompts(6))
    a.step()
    a.save(tmp_path / "ckpt")
    exported = AutoModelForCausalLM.from_pretrained(tmp_path / "ckpt" / "hf")
    assert torch.allclose(_logits(exported), _logits(a.module), atol=1e-5)
    want = a.step()
    b = Trainer(cfg.model_copy(update={"resume_from": str(tmp_path / "ckpt")}), prompts=_prompts(6))
    got = b.step()
    for key in ("loss", "loss_expert", "loss_rollout", "grad_norm"):
        assert want[key] == got[key], key
    assert all(torch.equal(x, y) for x, y in zip(a.module.parameters(), b.module.parameters()))


def test_rollout_engine_receives_merged_weights(tmp_path):
    from training.policy import stop_ids
    from training.rollout.hf import HFBackend

    engine_model, tok = load_policy(PolicyConfig())
    engine = HFBackend(engine_model, tok, stop_ids(tok))  # a separate engine, as the Ray actor holds
    trainer = Trainer(_lora_cfg(tmp_path), rollout=engine, prompts=_prompts())
    trainer.step()  # the update is pushed to the engine after the step
    assert torch.allclose(_logits(engine_model), _logits(trainer.module), atol=1e-5)


def test_lora_config_is_validated():
    assert TrainConfig.model_validate({"lora": {"rank": 8}}).lora.rank == 8
    with pytest.raises(ValueError):
        TrainConfig.model_validate({"lora": {"rank": -1}})
    with pytest.raises(ValueError):
        TrainConfig.model_validate({"lora": {"rank": 8, "targets": []}})
