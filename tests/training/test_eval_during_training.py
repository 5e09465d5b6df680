"""Held-out evaluation during training (training/evaluation.py): a real tiny run over a real store
with train, val and benchmark instances; greedy decoding is real argmax; the best checkpoint."""

import contextlib
import io
import json

import pytest
import torch

from training.config import TrainConfig
from training.data import load_prompts, load_store_prompts

TASKS = ["h_index", "trapping_rain_water"]


def _build(root, split, per_level):
    from pipelines.build import BuildConfig, build_chunk, plan_chunks, taken_ids

    build = BuildConfig(tasks=TASKS, levels=[1], per_level=per_level, split=split, data_root=str(root),
                        chunk_size=per_level)
    chunks = plan_chunks(build)
    taken = taken_ids(build, root, chunks)  # the splits stay disjoint, as `helix generate` keeps them
    return [r for c in chunks for r in [build_chunk(c, build, build.run_id(), root, taken=taken)]]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """4 train and 4 val instances per task at level 1, and a 2-per-task benchmark `mini`."""
    from storage.exchange import Benchmark, Member, save_benchmark

    root = tmp_path_factory.mktemp("store") / "data"
    _build(root, "train", 4)
    _build(root, "val", 4)
    results = _build(root, "benchmark", 2)
    members = [Member(index=k, id=id_, task=r.task, level=r.level)
               for k, (r, (_, id_)) in enumerate((r, i) for r in results for i in r.ids)]
    save_benchmark(root, Benchmark(name="mini", source="build", members=members))
    return root


def _cfg(store, tmp_path, **over):
    base = {"name": "evaltest", "steps": 4, "prompts_per_step": 2, "output_dir": str(tmp_path / "runs"),
            "checkpoint_every": 2, "log_every": 2, "seed": 3,
            "data": {"data_root": str(store), "levels": [1], "expert_format": "answer_only",
                     "max_prompt_tokens": 64, "truncation_side": "left", "max_prompts": 6},
            "rollout": {"n_on": 2, "max_new_tokens": 6}, "reward": {"workers": 0}, "optim": {"lr": 1e-2},
            "eval": {"every": 2, "pass_k": 2, "per_task_level": 3, "benchmark": "mini",
                     "benchmark_per_task_level": 1}}
    for key, value in over.items():
        base[key] = {**base[key], **value} if isinstance(value, dict) else value
    return TrainConfig.model_validate(base)


def test_greedy_decoding_is_argmax_and_ignores_the_seed():
    """temperature 0 = greedy: each reply token is the argmax of the model's own logits, the reply
    is transformers' own greedy `generate`, and the seed changes nothing."""
    from training.data import Prompt, encode_prompt
    from training.policy import load_policy, stop_ids
    from training.rollout.base import Sampling
    from training.rollout.hf import HFBackend
    from training.trainer import Row, sequence_logprobs

    model, tok = load_policy(TrainConfig().policy)
    backend = HFBackend(model, tok, stop_ids(tok))
    prompts = [encode_prompt(tok, Prompt(id=str(k), source="t", task="t", category="t", level=0,
                                         question="x" * (1 + 7 * k) + " = ?", judge="exact_match"), 256)
               for k in range(3)]  # ragged: left padding in one decoding batch
    first = backend.generate(prompts, Sampling(n=1, temperature=0, max_new_tokens=10, seed=1))
    again = backend.generate(prompts, Sampling(n=1, temperature=0, max_new_tokens=10, seed=2))
    assert [g[0].response_ids for g in first] == [g[0].response_ids for g in again]
    for ids, (s,) in zip(prompts, first):
        ref = model.generate(torch.tensor([ids]), attention_mask=torch.ones(1, len(ids), dtype=torch.long),
                             do_sample=False, max_new_tokens=10, eos_token_id=stop_ids(tok),
                             pad_token_id=tok.pad_token_id)[0, len(ids):].tolist()
        assert s.response_ids == ref
        with torch.no_grad():
            logits = model(torch.tensor([ids + s.response_ids])).logits[0, len(ids) - 1: -1]
        assert logits.argmax(-1).tolist() == s.response_ids
    # a greedy reply's log-probabilities are those of the untempered distribution
    rows = [Row(p, g[0].response_ids) for p, g in zip(prompts, first)]
    with torch.no_grad():
        lp, _, _ = sequence_logprobs(model, rows, tok.pad_token_id, temperature=1.0)
    for b, (s,) in enumerate(first):
        assert torch.allclose(lp[b, : len(s.logprobs)], torch.tensor(s.logprobs), atol=1e-5)
    sampled = backend.generate(prompts, Sampling(n=4, temperature=1.0, max_new_tokens=10, seed=1))
    assert len({tuple(s.response_ids) for g in sampled for s in g}) > 1  # sampling still samples



def test_greedy_evaluation_through_a_colocated_vllm_engine_keeps_its_weights(monkeypatch, tmp_path):
    """Through the vLLM double (vLLM's documented contract): greedy maps to temperature 0, the
    replies are the trainer's own greedy ones, and an evaluation does not send the engine to
    sleep (level 2 would discard its weights: a second evaluation would read garbage)."""
    from tests import vllm_double
    from tests.training.test_training import _prompts
    from training.config import PolicyConfig
    from training.evaluation import evaluate_prompts
    from training.policy import load_policy
    from training.rollout.base import Sampling
    from training.rollout.hf import HFBackend
    from training.rollout.vllm import LocalHandle, VLLMBackend, VLLMRolloutWorker
    from training.trainer import Trainer

    vllm_double.install(monkeypatch)
    model, tok = load_policy(PolicyConfig())
    model.save_pretrained(tmp_path / "policy")
    tok.save_pretrained(tmp_path / "policy")
    engine = VLLMRolloutWorker(str(tmp_path / "policy"), colocated=True, dtype="float32",
                               llm_factory=vllm_double.LLM)
    backend = VLLMBackend(LocalHandle(engine), placement="colocated", device="cpu", dtype=torch.float32,
                          host="127.0.0.1")
    cfg = TrainConfig.model_validate({"steps": 3, "prompts_per_step": 4, "output_dir": str(tmp_path), "seed": 7,
                                      "reward": {"workers": 0}, "rollout": {"n_on": 2, "max_new_tokens": 5},
                                      "optim": {"lr": 1e-2}})
    trainer = Trainer(cfg, prompts=_prompts(), rollout=backend)
    trainer.step()  # generate, sleep (weights discarded), update, the new weights pushed
    prompts = _prompts()
    first = evaluate_prompts(trainer, prompts, pass_k=2)
    again = evaluate_prompts(trainer, prompts, pass_k=2)
    assert [v.greedy for v in again] == [v.greedy for v in first]
    own = HFBackend(trainer.module, trainer.tok, trainer.stops).generate(
        [trainer._encode(p)[0] for p in prompts], Sampling(n=1, temperature=0, max_new_tokens=5))
    assert [v.greedy for v in first] == [trainer.tok.decode(g[0].response_ids, skip_special_tokens=True)
                                         for g in own]
    assert all(v.k == 2 for v in first)
    trainer.step()  # the engine is where a weight push leaves it: the next step runs as usual
    llm = vllm_double.LLM.instances[-1]
    assert all(torch.equal(llm.weights()[k], v) for k, v in trainer.engine.rollout_weights())
    trainer.close()

def test_evaluations_during_a_run_reach_the_store_and_the_curves(store, tmp_path):
    from cli.main import main
    from pipelines.train_report import eval_summary, eval_table, plot_curves, read_steps
    from storage.catalog import query
    from training.evaluation import curves, held_out_sets, read_evals
    from training.ray_job import run_training

    cfg = _cfg(store, tmp_path)
    result = run_training(cfg)
    run_dir = cfg.run_dir()
    _, rows = query(store, "select step, eval_set, task, level, category, prompts, greedy_correct, pass_k, "
                           "pass_k_correct, sample_accuracy from train_evals order by step, eval_set, task")
    # at the start, every 2 steps, and at the end (step 4 is both): val and the benchmark, per task
    assert sorted({r[0] for r in rows}) == [0, 2, 4]
    assert {(r[1], r[2], r[5]) for r in rows} == {("val", t, 3) for t in TASKS} | {("benchmark:mini", t, 1)
                                                                                 for t in TASKS}
    assert len(rows) == 3 * 4 and all(r[3] == 1 and r[4] == "algorithms" and r[7] == 2 for r in rows)
    assert all(0 <= r[6] <= r[5] and 0 <= r[8] <= r[5] and 0 <= r[9] <= 1 for r in rows)
    assert len(read_evals(run_dir)) == len(rows)  # evals.jsonl holds the same rows
    printed = io.StringIO()  # not capsys: flows.train (imported here) binds Prefect's log handler to stderr
    with contextlib.redirect_stdout(printed):
        assert main(["sql", "--data-root", str(store), "--json",
                     "select count(*) as n from train_evals where step = 4"]) == 0
    assert json.loads(printed.getvalue()) == [{"n": 4}]
    # filed by run like train_steps: `helix check` finds the shards sound (nothing to quarantine)
    assert main(["check", "--data-root", str(store), "--no-quarantine", "--tables", "train_evals"]) == 0

    # the held-out set: val instances of the trained tasks, never a training prompt
    training = load_prompts(cfg.data)
    (val, bench) = held_out_sets(cfg, training)
    all_val = cfg.data.model_copy(update={"split": "val", "max_prompts": None})
    stored_val = {p.id for p in load_store_prompts(all_val)}
    held = {p.id for p in val.prompts}
    assert held <= stored_val and not held & {p.id for p in training}
    assert not {p.id for p in bench.prompts} & ({p.id for p in training} | stored_val)
    again = held_out_sets(cfg.model_copy(update={"seed": 99}), training)[0]  # drawn by eval.seed only
    assert [p.id for p in again.prompts] == [p.id for p in val.prompts]

    # the best checkpoint is the first evaluation with the highest val greedy accuracy
    best = json.loads((run_dir / "best.json").read_text())
    assert result["best"] == best and best["metric"] == "greedy" and best["eval_set"] == "val"
    by_step = {}
    for step, name, _, _, _, n, right, *_ in rows:
        if name == "val":
            by_step.setdefault(step, [0, 0])
            by_step[step][0] += right
            by_step[step][1] += n
    accuracy = {s: c / n for s, (c, n) in by_step.items()}
    assert best["value"] == max(accuracy.values())
    assert best["step"] == min(s for s, a in accuracy.items() if a == best["value"])
    state = torch.load(run_dir / "checkpoints" / "best" / "state.pt", weights_only=False)
    assert state["step"] == best["step"] and (run_dir / "checkpoints" / "best" / "hf").is_dir()
    if best["step_checkpoint"]:
        twin = torch.load(run_dir / "checkpoints" / best["step_checkpoint"] / "state.pt", weights_only=False)
        assert best["step_checkpoint"] == f"step-{best['step']:06d}"
    else:  # step 0: the untrained policy
        from training.policy import load_policy

        assert best["step"] == 0
        twin = {"model": load_policy(cfg.policy)[0].state_dict()}
    assert all(torch.equal(v, twin["model"][k]) for k, v in state["model"].items())

    # the flow's curves and artifacts
    series = curves(read_evals(run_dir))
    assert set(series) == {"val", "benchmark:mini"}
    assert [s for s, _ in series["val"]["greedy"]] == [0, 2, 4] and "pass@2" in series["val"]
    assert {"greedy/h_index", "greedy/trapping_rain_water"} <= set(series["val"])
    table = eval_table(series)
    assert [(r["set"], r["step"]) for r in table][:3] == [("benchmark:mini", 0), ("benchmark:mini", 2),
                                                          ("benchmark:mini", 4)]
    assert "best checkpoint" in eval_summary(series, best)
    png = plot_curves(read_steps(run_dir), tmp_path / "curves.png", "t", series)
    assert png.stat().st_size > 0
    # and the run's tracker (TensorBoard by default, training/tracking.py)
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(run_dir / "tensorboard"))
    events.Reload()
    assert [e.step for e in events.Scalars("eval/val/greedy")] == [0, 2, 4]
    assert [e.value for e in events.Scalars("eval/benchmark:mini/pass_at_k")] == [
        a for _, a in series["benchmark:mini"]["pass@2"]]


def test_the_best_checkpoint_improves_strictly_and_survives_a_resume(store, tmp_path):
    """A judge switched on after step 0 makes step 1 the best; an equal step 2 does not replace
    it; re-evaluating the saved best weights gives the same greedy answers; a resumed run keeps
    the best value, a fresh one starts over."""
    from training.evaluation import Evaluator, evaluate_prompts
    from training.trainer import Trainer

    cfg = _cfg(store, tmp_path, steps=3, eval={"pass_k": 0, "benchmark": None})
    cfg.run_dir().joinpath("checkpoints").mkdir(parents=True)
    right = {"on": False}
    trainer = Trainer(cfg)
    trainer.rewards.judge_fn = lambda prompt, reply: (1.0 if right["on"] else 0.0, "test")
    evaluator = Evaluator(cfg, trainer)
    val = evaluator.sets[0].prompts
    assert evaluator.run(0)["sets"]["val"]["greedy"] == 0.0 and evaluator.best["step"] == 0
    trainer.step()
    right["on"] = True
    at_one = [v.greedy for v in evaluate_prompts(trainer, val)]
    assert at_one == [v.greedy for v in evaluate_prompts(trainer, val)]  # same weights, same answers
    evaluator.run(1)
    assert (evaluator.best["step"], evaluator.best["value"]) == (1, 1.0)
    trainer.step()
    trainer.save(cfg.run_dir() / "checkpoints" / "step-000002", hf_export=False)
    evaluator.run(2)  # a tie keeps the earlier policy
    best = json.loads((cfg.run_dir() / "best.json").read_text())
    assert (best["step"], best["value"], best["step_checkpoint"]) == (1, 1.0, None)
    trainer.close()

    reloaded = Trainer(cfg.model_copy(update={"resume_from": str(cfg.run_dir() / "checkpoints" / "best")}))
    assert reloaded.step_no == 1
    assert [v.greedy for v in evaluate_prompts(reloaded, val)] == at_one
    reloaded.close()
    step_two = cfg.run_dir() / "checkpoints" / "step-000002"
    resumed = Trainer(cfg.model_copy(update={"resume_from": str(step_two)}))
    assert Evaluator(cfg, resumed).best == best  # read from best.json: the value is not forgotten
    resumed.close()
    fresh = Trainer(cfg)
    assert Evaluator(cfg, fresh).best is None  # a run from step 0 starts its own record
    fresh.close()


def test_bad_eval_configs_and_a_missing_val_split_are_one_line(store, tmp_path, capsys):
    from cli.main import _operator_error, main
    from training.evaluation import EvalSetError
    from training.ray_job import run_training

    bad = tmp_path / "bad.yaml"
    for text, message in [
        ("eval: {split: train}\n", "eval.split: train would measure the policy on the prompts it is trained on"),
        ("eval: {best_metric: pass_at_k}\n", "eval: best_metric pass_at_k needs pass_k >= 1"),
        ("eval: {levels: [0]}\n", "eval.levels: levels must be within 1..5, got 0"),
        ("eval: {tasks: [nope]}\n", "eval.tasks: unknown task 'nope'"),
        ("eval: {every: -1}\n", "eval.every"),
        ("eval: {eval_every: 5}\n", "eval.eval-every: Extra inputs are not permitted"),
    ]:
        bad.write_text(text)
        assert main(["train", "--config", str(bad)]) == 2
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, err

    # a store without val instances of a trained task: refused before the first step, naming the fix
    cfg = _cfg(store, tmp_path, data={"tasks": ["h_index"]}, eval={"tasks": ["count_hills_and_valleys"],
                                                                  "benchmark": None})
    with pytest.raises(EvalSetError) as caught:
        run_training(cfg)
    line = _operator_error(caught.value)
    assert line is not None and "\n" not in line
    assert "no val instances of count_hills_and_valleys" in line
    assert "helix generate --split val --tasks count_hills_and_valleys --levels 1" in line
    assert not (cfg.run_dir() / "steps.jsonl").exists()
    with pytest.raises(EvalSetError, match="is the training split"):
        run_training(_cfg(store, tmp_path, data={"split": "val"}))
    with pytest.raises(Exception, match="no benchmark named 'nope'"):
        run_training(_cfg(store, tmp_path, eval={"benchmark": "nope"}))


@pytest.mark.slow
def test_two_ranks_with_a_shared_engine_evaluate_on_rank_zero(store, tmp_path):
    """Two Ray Train ranks (DDP over gloo), one HF rollout actor: rank 0 alone drives the engine
    for the evaluations while rank 1 waits for the results; nothing deadlocks, the best
    checkpoint (a collective save) is written, and the numbers are of the whole held-out set."""
    from pathlib import Path

    import ray

    from training.ray_job import run_job

    root = Path(__file__).resolve().parents[2]
    ray.init(num_cpus=4, include_dashboard=False, log_to_driver=False,
             runtime_env={"env_vars": {"PYTHONPATH": str(root), "OMP_NUM_THREADS": "1"}})
    try:
        cfg = _cfg(store, tmp_path, steps=2, num_workers=2, prompts_per_step=4,
                   rollout={"actor": True, "max_new_tokens": 4},
                   eval={"every": 1, "benchmark": None, "per_task_level": 4})
        result = run_job(cfg)
    finally:
        ray.shutdown()
    # steps 1, 2 and evaluations at 0, 1, 2 (greedy + pass@2 each): one engine call each, rank 0's
    assert result["rollout_engine"]["generate"] == 2 + 3 * 2
    rows = [json.loads(line) for line in (cfg.run_dir() / "evals.jsonl").read_text().splitlines()]
    assert sorted({r["step"] for r in rows}) == [0, 1, 2]
    assert all(r["prompts"] == 4 for r in rows) and {r["task"] for r in rows} == set(TASKS)
    assert result["best"]["step"] in (0, 1, 2)
    assert (cfg.run_dir() / "checkpoints" / "best" / "state.pt").exists()
