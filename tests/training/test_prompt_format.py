"""`data.prompt_format: state`: the compact prompt (task name + the state as compact JSON) carries
every fact of the instance, fits a tiny policy whole, and is refused where it cannot apply."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from pipelines.build import BuildConfig, build_chunk, plan_chunks
from training.config import DataConfig, TrainConfig
from training.data import encode_prompt, load_store_prompts
from training.policy import tiny_tokenizer
from verifiers.registry import verify_answer


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("store")
    cfg = BuildConfig(tasks=["h_index", "count_hills_and_valleys"], levels=[1], per_level=3,
                      data_root=str(root))
    for chunk in plan_chunks(cfg):
        build_chunk(chunk, cfg, cfg.run_id(), root)
    return root


def test_state_prompts_hold_the_whole_state_and_fit(store):
    data = DataConfig(data_root=str(store), levels=[1], prompt_format="state",
                      expert_format="answer_only")
    prompts = load_store_prompts(data)
    assert len(prompts) == 6
    tok = tiny_tokenizer()
    for p in prompts:
        name, _, state = p.question.partition(" ")
        assert name == p.task
        assert json.loads(state) == json.loads(p.initial_state)  # every fact, nothing else
        ids = encode_prompt(tok, p, max_tokens=160, side="left")
        assert tok.decode(ids).count(p.question) == 1  # whole, not cut
        assert verify_answer(p.task, p.initial_state, p.expert.removeprefix("\\boxed{")[:-1]).correct
    questions = load_store_prompts(data.model_copy(update={"prompt_format": "question"}))
    assert all(len(q.question) > 3 * len(s.question) for q, s in zip(questions, prompts))


def test_state_prompts_are_text_only():
    with pytest.raises(ValidationError, match="prompt_format: state is text only"):
        TrainConfig.model_validate({"data": {"variant": "image", "prompt_format": "state"},
                                    "policy": {"tiny": {"vision": True}}})
