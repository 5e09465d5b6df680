"""The image path of training: store instances with their pictures, Qwen's image processor, a tiny
Qwen2.5-VL-architecture policy, rollouts that see the pictures, and the trainer's recomputation of
the same log-probabilities; a step, a checkpoint and an exact resume."""

import json

import pytest
import torch

from pipelines.build import BuildConfig, build_chunk, plan_chunks
from training.config import PolicyConfig, TinyPolicy, TrainConfig
from training.data import DataConfig, encode_image_prompt, load_store_prompts
from training.policy import IMAGE_PAD, load_image_processor, load_policy, stop_ids
from training.rollout.base import Sampling
from training.rollout.hf import HFBackend
from training.trainer import Row, Trainer, sequence_logprobs

TASKS = ["maze", "isomorphism", "h_index"]  # a grid, two graph pictures, a chart
SMALL = 112 * 112  # a few dozen visual tokens per picture: fast on CPU


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    config = BuildConfig(tasks=TASKS, levels=[1], per_level=2, data_root=str(root))
    for chunk in plan_chunks(config):
        build_chunk(chunk, config, config.run_id(), root)
    return root


def _data(store, **kw):
    return DataConfig(data_root=str(store), variant="image", image_max_pixels=SMALL,
                      expert_format="answer_only", **kw)


def _vision_policy():
    cfg = PolicyConfig(tiny=TinyPolicy(vision=True))
    model, tok = load_policy(cfg)
    return cfg, model, tok, load_image_processor(cfg, 56 * 56, SMALL)


def test_image_prompts_carry_the_instance_pictures(store):
    prompts = load_store_prompts(_data(store))
    text = load_store_prompts(_data(store).model_copy(update={"variant": "text"}))
    assert len(prompts) == len(text) == 6
    by_task = {p.task: p for p in prompts}
    assert len(by_task["isomorphism"].images) == 2 and len(by_task["maze"].images) == 1
    assert all(p.images[0].startswith(b"\x89PNG") for p in prompts)
    assert all(t.images == () for t in text)
    assert {p.question for p in prompts}.isdisjoint({t.question for t in text})  # question vs question_text


def test_each_picture_becomes_its_visual_tokens(store):
    _, model, tok, images = _vision_policy()
    pad = tok.convert_tokens_to_ids(IMAGE_PAD)
    for p in load_store_prompts(_data(store)):
        ids, vision = encode_image_prompt(tok, images, pad, p, 4096)
        assert vision.grid_thw.shape[0] == len(p.images)
        assert ids.count(pad) == int(vision.grid_thw.prod(-1).sum()) // 4  # 2 x 2 merge
        assert vision.pixel_values.shape[0] == int(vision.grid_thw.prod(-1).sum())


def test_engines_that_expand_pictures_themselves_get_one_placeholder_per_picture(store):
    from training.rollout.vllm import collapse_image_pads

    _, _, tok, images = _vision_policy()
    pad = tok.convert_tokens_to_ids(IMAGE_PAD)
    p = next(p for p in load_store_prompts(_data(store)) if p.task == "isomorphism")
    ids, _ = encode_image_prompt(tok, images, pad, p, 4096)
    compact = collapse_image_pads(ids, pad)
    assert compact.count(pad) == 2 and [t for t in ids if t != pad] == [t for t in compact if t != pad]


def test_truncation_cuts_the_question_never_the_pictures(store):
    _, _, tok, images = _vision_policy()
    pad = tok.convert_tokens_to_ids(IMAGE_PAD)
    p = next(p for p in load_store_prompts(_data(store)) if p.task == "maze")
    full, vision = encode_image_prompt(tok, images, pad, p, 100_000)
    n_pad = full.count(pad)
    for side in ("middle", "left"):
        cut, _ = encode_image_prompt(tok, images, pad, p, n_pad + 80, side)
        assert len(cut) == n_pad + 80 and cut.count(pad) == n_pad
        assert cut[-8:] == full[-8:]  # the generation prompt survives
    with pytest.raises(ValueError, match=f"prompt {p.id}: its pictures take"):
        encode_image_prompt(tok, images, pad, p, n_pad)


def test_rollouts_see_the_pictures_and_logprobs_match_the_trainer(store):
    _, model, tok, images = _vision_policy()
    pad = tok.convert_tokens_to_ids(IMAGE_PAD)
    prompts = [p for p in load_store_prompts(_data(store)) if p.task in ("maze", "isomorphism")][:2]
    encoded = [encode_image_prompt(tok, images, pad, p, 4096) for p in prompts]
    ids = [e[0] for e in encoded]
    visions = [e[1] for e in encoded]
    backend = HFBackend(model, tok, stop_ids(tok))
    sampling = Sampling(n=3, temperature=0.9, max_new_tokens=8, seed=3)
    groups = backend.generate(ids, sampling, visions)
    rows = [Row(i, s.response_ids, vision=v) for i, v, g in zip(ids, visions, groups) for s in g]
    with torch.no_grad():
        lp, mask, _ = sequence_logprobs(model, rows, tok.pad_token_id, temperature=0.9)
    for b, s in enumerate(s for g in groups for s in g):
        assert mask[b].sum() == len(s.logprobs)
        assert torch.allclose(lp[b, : len(s.logprobs)], torch.tensor(s.logprobs), atol=1e-4)
    # the picture matters: a blank picture of the same size changes what the model predicts
    blank = [Row(ids[0], groups[0][0].response_ids,
                 vision=visions[0].__class__(torch.zeros_like(visions[0].pixel_values), visions[0].grid_thw, ()))]
    with torch.no_grad():
        other, _, _ = sequence_logprobs(model, blank, tok.pad_token_id, temperature=0.9)
    assert not torch.allclose(other[0, : mask[0].sum()], lp[0, : mask[0].sum()])


def _train_cfg(store, tmp_path, **kw):
    return TrainConfig.model_validate({
        "steps": 2, "prompts_per_step": 3, "output_dir": str(tmp_path), "seed": 5,
        "policy": {"tiny": {"vision": True}},
        "data": _data(store).model_dump(), "reward": {"workers": 0},
        "rollout": {"n_on": 3, "max_new_tokens": 6}, "optim": {"lr": 1e-2}, **kw})


def test_image_variant_trains_checkpoints_and_resumes_exactly(store, tmp_path):
    from transformers import AutoImageProcessor, AutoModelForImageTextToText

    cfg = _train_cfg(store, tmp_path)
    a = Trainer(cfg)
    m = a.step()
    assert m["prompts"] == 3 and m["expert_tokens"] > 0  # rewards 0: the gate is on, traces learned
    a.save(tmp_path / "ckpt")
    hf = tmp_path / "ckpt" / "hf"
    assert json.loads((hf / "preprocessor_config.json").read_text())["size"]["longest_edge"] == SMALL
    assert isinstance(AutoModelForImageTextToText.from_pretrained(hf), type(a.module))
    assert AutoImageProcessor.from_pretrained(hf) is not None
    want = a.step()
    b = Trainer(cfg.model_copy(update={"resume_from": str(tmp_path / "ckpt")}))
    got = b.step()
    for key in ("loss", "loss_expert", "loss_rollout", "grad_norm"):
        assert want[key] == got[key], key


def test_image_variant_with_lora_freezes_the_vision_tower(store, tmp_path):
    trainer = Trainer(_train_cfg(store, tmp_path, lora={"rank": 2}))
    vision = {k: v.clone() for k, v in trainer.module.state_dict().items() if ".visual." in f".{k}"}
    trainer.step()
    after = trainer.module.state_dict()
    assert vision and all(torch.equal(v, after[k]) for k, v in vision.items())


def test_image_variant_needs_a_vision_policy(store, tmp_path):
    with pytest.raises(ValueError, match="vision-language policy"):
        TrainConfig.model_validate({"data": {"variant": "image"}})
    with pytest.raises(ValueError, match="image_min_pixels"):
        TrainConfig.model_validate({"policy": {"tiny": {"vision": True}},
                                    "data": {"variant": "image", "image_min_pixels": 5000,
                                             "image_max_pixels": 4000}})
