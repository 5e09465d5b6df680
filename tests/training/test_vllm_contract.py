"""The trainer's vLLM path against vLLM's documented contract, through the recording TEST DOUBLE
of `vllm.LLM` in tests/vllm_double.py (vLLM itself cannot run here: no CUDA). The double refuses
what vLLM 0.32 refuses or gets wrong: Python callables through collective_rpc, weights loaded
into a sleeping engine, generate while asleep, the KV cache woken before the weights."""

import pytest
import torch

from tests import vllm_double
from tests.training.test_training import _prompts
from training.config import PolicyConfig, TrainConfig
from training.policy import load_policy
from training.rollout.vllm import LocalHandle, VLLMBackend, VLLMRolloutWorker
from training.trainer import Trainer


@pytest.fixture
def double(monkeypatch):
    return vllm_double.install(monkeypatch)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    """The tiny policy as a model folder: the engine starts from the trainer's initial weights."""
    path = tmp_path_factory.mktemp("policy")
    model, tok = load_policy(PolicyConfig())
    model.save_pretrained(path)
    tok.save_pretrained(path)
    return str(path)


def _cfg(tmp_path, **over):
    base = {"steps": 2, "prompts_per_step": 4, "output_dir": str(tmp_path), "seed": 7,
            "reward": {"workers": 0}, "rollout": {"n_on": 3, "max_new_tokens": 5}, "optim": {"lr": 1e-2}}
    base.update(over)
    return TrainConfig.model_validate(base)


def _trainer(tmp_path, model_dir, placement, bucket_bytes=1 << 30, **over):
    engine = VLLMRolloutWorker(model_dir, colocated=placement == "colocated", dtype="float32",
                               llm_factory=vllm_double.LLM)
    backend = VLLMBackend(LocalHandle(engine), placement=placement, device="cpu", dtype=torch.float32,
                          bucket_bytes=bucket_bytes, host="127.0.0.1")
    return Trainer(_cfg(tmp_path, **over), prompts=_prompts(), rollout=backend), vllm_double.LLM.instances[-1]


def _engine_has_the_trainers_weights(trainer, llm):
    theirs = llm.weights()
    mine = dict(trainer.engine.rollout_weights())
    assert mine.keys() <= theirs.keys()
    return all(torch.equal(theirs[k], v) for k, v in mine.items())


def _calls(llm, kinds=("generate", "sleep", "wake_up", "collective_rpc", "reset_prefix_cache")):
    return [c for c in llm.log if c[0] in kinds]


def test_engine_on_its_own_gpus_takes_weights_over_the_group_and_never_sleeps(double, tmp_path, model_dir):
    trainer, llm = _trainer(tmp_path, model_dir, "separate", bucket_bytes=20_000)
    assert llm.kwargs["worker_extension_cls"] == "training.rollout.vllm_ext.WeightReceiver"
    assert llm.kwargs["enable_sleep_mode"] is False
    for _ in range(2):
        assert _engine_has_the_trainers_weights(trainer, llm)
        before = {k: v.clone() for k, v in trainer.engine.rollout_weights()}
        trainer.step()
        assert any(not torch.equal(before[k], v) for k, v in trainer.engine.rollout_weights())  # it learned
        assert _engine_has_the_trainers_weights(trainer, llm)  # and the engine has the new weights
    calls = _calls(llm)
    assert not any(c[0] in ("sleep", "wake_up") for c in calls)
    assert [c for c in calls if c == ("collective_rpc", "helix_open_group")] == [("collective_rpc", "helix_open_group")]
    receives = [c for c in calls if c == ("collective_rpc", "helix_receive")]
    pushes = trainer.rollout.pushes
    assert pushes == 3  # at start, then once per step
    assert len(receives) > pushes  # 20 KB buckets: several per push
    assert sum(c[0] == "generate" for c in calls) == 2


def test_colocated_engine_follows_the_documented_sleep_and_wake_order(double, tmp_path, model_dir):
    trainer, llm = _trainer(tmp_path, model_dir, "colocated")
    assert llm.kwargs["enable_sleep_mode"] is True
    trainer.step()
    trainer.step()
    assert _engine_has_the_trainers_weights(trainer, llm)
    calls = [c if c[0] != "collective_rpc" else ("rpc", c[1]) for c in _calls(llm)]
    per_step = [("generate", 4), ("sleep", 2), ("wake_up", ("weights",)), ("rpc", "helix_receive_ipc"),
                ("wake_up", ("kv_cache",)), ("reset_prefix_cache",)]
    start = [("rpc", "helix_receive_ipc"), ("reset_prefix_cache",)]  # the first push, engine awake
    assert calls == start + per_step + per_step


def test_lora_pushes_merged_weights(double, tmp_path, model_dir):
    trainer, llm = _trainer(tmp_path, model_dir, "separate", lora={"rank": 4, "alpha": 8})
    trainer.step()
    assert _engine_has_the_trainers_weights(trainer, llm)
    assert not any("lora" in k for k in llm.weights())


def test_the_double_refuses_what_vllm_refuses(double, model_dir):
    """The patterns of the previous vLLM actor: a Python function through collective_rpc, loading
    weights into a level-1 sleeping engine, generating while asleep, waking out of order."""
    llm = vllm_double.LLM(model=model_dir, enable_sleep_mode=True,
                          worker_extension_cls="training.rollout.vllm_ext.WeightReceiver")
    with pytest.raises(TypeError, match="not serializable"):
        llm.collective_rpc(lambda worker: worker.model_runner.model.load_weights([]))
    name, param = next(iter(llm.hf.named_parameters()))
    llm.sleep(level=1)
    with pytest.raises(RuntimeError, match="while the weights sleep"):
        llm.workers[0].model_runner.model.load_weights([(name, param.detach())])
    with pytest.raises(RuntimeError, match="generate while asleep"):
        llm.generate([], vllm_double.SamplingParams())
    with pytest.raises(RuntimeError, match="kv_cache woken before weights"):
        llm.wake_up(tags=["kv_cache"])
    llm.wake_up(tags=["weights"])
    llm.wake_up(tags=["kv_cache"])
    assert llm.asleep == set()
    plain = vllm_double.LLM(model=model_dir)
    with pytest.raises(RuntimeError, match="Sleep mode is not enabled"):
        plain.sleep(level=2)


def test_runs_that_do_not_fit_the_gpus_stop_before_starting():
    cfg = TrainConfig.model_validate({"use_gpu": True, "num_workers": 2, "prompts_per_step": 4,
                                      "policy": {"path": "some/model"},
                                      "rollout": {"backend": "vllm", "tensor_parallel_size": 2}})
    assert cfg.gpus_needed() == {"training": 2.0, "vllm engine": 2.0}
    cfg.check_gpus(4)
    with pytest.raises(ValueError, match="needs 4 GPUs .* has 3"):
        cfg.check_gpus(3)
    with pytest.raises(ValueError, match="tensor_parallel_size must be 1"):
        TrainConfig.model_validate({"use_gpu": True, "policy": {"path": "m"},
                                    "rollout": {"backend": "vllm", "placement": "colocated",
                                                "tensor_parallel_size": 2}})
    with pytest.raises(ValueError, match="policy.path"):
        TrainConfig.model_validate({"use_gpu": True, "rollout": {"backend": "vllm"}})
    with pytest.raises(ValueError, match="float32"):
        TrainConfig.model_validate({"use_gpu": True, "policy": {"path": "m"},
                                    "rollout": {"backend": "vllm", "dtype": "float32"}})
    colocated = TrainConfig.model_validate({"use_gpu": True, "policy": {"path": "m"},
                                            "rollout": {"backend": "vllm", "placement": "colocated"}})
    assert colocated.gpus_needed() == {"training": 1.0}
