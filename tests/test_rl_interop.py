"""helix inside the RL frameworks practitioners use: `helix export rl` writes verl's and TRL's
documented layouts, and verifiers/rl_rewards.py judges responses with helix's verifiers. A real
TRL GRPOTrainer trains two steps on CPU with helix's reward; verl (too heavy for CPU CI) gets its
entry point called with the arguments its reward manager passes."""

from __future__ import annotations

import json

import pyarrow.parquet as pq
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cli.main import main
from verifiers.rl_rewards import compute_score, judge, trl_reward


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("rl") / "data"
    assert main(["generate", "--tasks", "trapping_rain_water", "topological_sort", "--levels", "1",
                 "--per-level", "4", "--data-root", str(root)]) == 0
    return root


def test_verl_layout_and_reward(store, tmp_path, capsys):
    out = tmp_path / "train.parquet"
    assert main(["export", "rl", str(out), "--format", "verl", "--data-root", str(store)]) == 0
    assert "custom_reward_function.name=compute_score" in capsys.readouterr().out
    rows = pq.read_table(out).to_pylist()
    assert len(rows) == 8 and {r["data_source"] for r in rows} == {"helix/trapping_rain_water",
                                                                   "helix/topological_sort"}
    for row in rows:
        assert row["prompt"][0]["role"] == "user" and "\\boxed{}" in row["prompt"][0]["content"]
        assert row["reward_model"]["style"] == "rule" and row["ability"]
        truth = json.loads(row["reward_model"]["ground_truth"])
        # what verl's reward manager passes: data_source, the decoded response, the ground truth, extra_info
        right = compute_score(row["data_source"], f"... so \\boxed{{{truth['answer']}}}",
                              row["reward_model"]["ground_truth"], row["extra_info"])
        wrong = compute_score(row["data_source"], "\\boxed{0}", row["reward_model"]["ground_truth"],
                              row["extra_info"])
        assert (right, wrong) == (1.0, 0.0)


def test_verl_image_variant_carries_the_pictures(store, tmp_path):
    out = tmp_path / "img.parquet"
    assert main(["export", "rl", str(out), "--format", "verl", "--variant", "image",
                 "--data-root", str(store)]) == 0
    row = pq.read_table(out).to_pylist()[0]
    assert row["images"] and row["images"][0]["bytes"][:8] == b"\x89PNG\r\n\x1a\n"
    assert row["prompt"][0]["content"].count("<image>") == len(row["images"])


def test_a_reward_judges_by_the_verifier_not_by_string_match(store, tmp_path):
    """topological_sort has many right orders: any valid one earns 1.0, the stored one or not."""
    out = tmp_path / "trl"
    assert main(["export", "rl", str(out), "--format", "trl", "--tasks", "topological_sort",
                 "--data-root", str(store)]) == 0
    import datasets

    row = datasets.load_dataset(str(out))["train"][0]
    adjacency = {int(k): v for k, v in json.loads(row["initial_state"])["adjacency"].items()}

    def kahn(pick):  # a topological order, taking the ready node `pick` chooses
        indegree = {n: 0 for n in adjacency}
        for successors in adjacency.values():
            for m in successors:
                indegree[m] += 1
        ready, order = [n for n, d in indegree.items() if d == 0], []
        while ready:
            node = pick(ready)
            ready.remove(node)
            order.append(node)
            for m in adjacency[node]:
                indegree[m] -= 1
                if indegree[m] == 0:
                    ready.append(m)
        return order

    orders = {tuple(kahn(min)), tuple(kahn(max))}
    stored = tuple(json.loads(row["answer"]))
    others = [o for o in orders if o != stored]
    if not others:
        pytest.skip("this instance has one topological order")
    other = "\\boxed{[" + ", ".join(map(str, others[0])) + "]}"
    assert judge(row["task"], row["initial_state"], other)[0] == 1.0
    assert trl_reward(completions=[[{"role": "assistant", "content": other}]], task=[row["task"]],
                      initial_state=[row["initial_state"]]) == [1.0]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300), st.one_of(st.none(), st.text(max_size=50)), st.text(max_size=100))
def test_rewards_never_raise(response, task, state):
    assert compute_score("helix/x", response, state) in (0.0, 1.0)
    assert compute_score("helix/x", response, json.dumps({"task": task, "initial_state": state})) in (0.0, 1.0)
    assert trl_reward(prompts=[""], completions=[response], task=[task], initial_state=[state]) in ([0.0], [1.0])
    assert trl_reward(completions=[[{"role": "assistant", "content": response}]]) == [0.0]


@pytest.mark.slow
def test_trl_grpo_trainer_trains_two_steps_with_helix_rewards(store, tmp_path):
    import datasets
    from trl import GRPOConfig, GRPOTrainer

    from training.config import TinyPolicy
    from training.policy import tiny_model, tiny_tokenizer

    out = tmp_path / "trl"
    assert main(["export", "rl", str(out), "--format", "trl", "--tasks", "trapping_rain_water",
                 "--data-root", str(store)]) == 0
    train = datasets.load_dataset(str(out))["train"]
    seen: list[dict] = []

    def helix_reward(prompts, completions, **kwargs):  # helix's reward, recorded on the way through
        rewards = trl_reward(prompts, completions, **kwargs)
        seen.append({"n": len(completions), "task": kwargs.get("task"), "rewards": rewards})
        return rewards

    tok = tiny_tokenizer()
    model = tiny_model(TinyPolicy(), len(tok), tok.pad_token_id, tok.eos_token_id)
    args = GRPOConfig(output_dir=str(tmp_path / "grpo"), max_steps=2, per_device_train_batch_size=4,
                      num_generations=2, max_completion_length=8, learning_rate=1e-3, use_cpu=True,
                      report_to=[], logging_steps=1, save_strategy="no", bf16=False, seed=0)
    trainer = GRPOTrainer(model=model, processing_class=tok, reward_funcs=[helix_reward], args=args,
                          train_dataset=train)
    trainer.train()
    assert trainer.state.global_step == 2
    assert seen and all(s["task"] == ["trapping_rain_water"] * s["n"] for s in seen)
    logged = [h for h in trainer.state.log_history if "reward" in h]
    assert len(logged) == 2 and all(0.0 <= h["reward"] <= 1.0 for h in logged)


def test_release_exports_as_a_hugging_face_dataset(store, tmp_path, capsys):
    import datasets

    root = tmp_path / "data"
    import shutil

    shutil.copytree(store, root, ignore=shutil.ignore_patterns("journal", "*.lock", "_lock"))
    assert main(["generate", "--tasks", "trapping_rain_water", "--levels", "1", "--per-level", "2",
                 "--split", "val", "--data-root", str(root)]) == 0
    assert main(["release", "create", "v1", "--note", "hf test", "--data-root", str(root)]) == 0
    out = tmp_path / "hf"
    assert main(["release", "export-hf", "v1", str(out), "--data-root", str(root)]) == 0
    assert "8 train, 2 val instances" in capsys.readouterr().out
    loaded = datasets.load_dataset(str(out))
    assert sorted(loaded) == ["train", "val"] and loaded["train"].num_rows == 8
    assert isinstance(loaded["train"].features["images"], datasets.List)
    assert isinstance(loaded["train"].features["images"].feature, datasets.Image)
    picture = loaded["val"][0]["images"][0]
    assert picture.format == "PNG" and picture.size[0] > 0
    card = (out / "README.md").read_text()
    manifest = json.loads((root / "_releases" / "v1" / "release.json").read_text())
    assert all(s["sha256"] in card for s in manifest["shards"] if s["table"] == "instances")
    assert "Puzzles in more than one split: 0." in card and "hf test" in card
    assert main(["release", "export-hf", "nope", str(tmp_path / "x"), "--data-root", str(root)]) == 2
