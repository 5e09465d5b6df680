"""GPU benchmark of helix's trainer: the update's throughput, MFU and peak memory by layout and
batch, HF rollout throughput by batch, a full AHPO step at the paper-like size, and the CUDA
paths that used to fail (resume, LUFFY).

Runs in-process on one GPU with torch, transformers and pydantic only (no Ray, Prefect or DuckDB:
the lent GPU machine has none of them). Models are Qwen2-architecture layouts with random
weights and the real Qwen2.5 vocabulary (151,936: the character tokenizer padded with filler
tokens, so the output layer costs what it costs in a real model); prompts are synthetic.

    python bench/gpu.py [--out DIR] [--deadline-s S] [section ...]
    sections: env rollout update update2 profile step cuda compile 7b (default: env rollout
    update step cuda 7b; they run in this order)
    SMALL=1 shrinks every size for a CPU dry run.

Each result is one JSON line in DIR/gpu.jsonl as soon as it is measured; a section that fails
records its error and the rest go on. Figures: bench/RESULTS_gpu.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import string
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from training.algorithms import ALGORITHMS  # noqa: E402
from training.config import TrainConfig  # noqa: E402
from training.data import Prompt  # noqa: E402
from training.policy import tiny_tokenizer  # noqa: E402
from training.trainer import Row, Trainer  # noqa: E402

SMALL = os.environ.get("SMALL") == "1"
DEV = "cuda" if torch.cuda.is_available() else "cpu"
VOCAB = 512 if SMALL else 151_936
# hidden, layers, heads, kv heads, intermediate (Qwen2.5 0.5B / 1.5B / 7B)
LAYOUTS = {"0.5B": (896, 24, 14, 2, 4864), "1.5B": (1536, 28, 12, 2, 8960), "7B": (3584, 28, 28, 4, 18944)}
if SMALL:
    LAYOUTS = {k: (64, 2, 4, 2, 128) for k in LAYOUTS}
START = time.time()


class Out:
    def __init__(self, folder: Path):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / "gpu.jsonl"

    def emit(self, **kw) -> None:
        kw["t"] = round(time.time() - START, 1)
        line = json.dumps(kw, default=str)
        print(line, flush=True)
        with self.path.open("a") as f:
            f.write(line + "\n")


def peak_gib() -> float | None:
    return round(torch.cuda.max_memory_allocated() / 2**30, 2) if DEV == "cuda" else None


def reset_peak() -> None:
    if DEV == "cuda":
        torch.cuda.synchronize()
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()


def model_folder(root: Path, layout: str) -> str:
    """A random-weight model folder of the layout (bfloat16 on disk), with the padded tokenizer."""
    from transformers import Qwen2Config, Qwen2ForCausalLM

    path = root / f"qwen2-{layout}"
    if (path / "config.json").exists():
        return str(path)
    hidden, layers, heads, kv, inter = LAYOUTS[layout]
    tok = tiny_tokenizer(size=VOCAB)
    cfg = Qwen2Config(vocab_size=VOCAB, hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                      num_key_value_heads=kv, intermediate_size=inter, max_position_embeddings=32768,
                      pad_token_id=tok.pad_token_id, eos_token_id=tok.eos_token_id, bos_token_id=tok.pad_token_id,
                      tie_word_embeddings=layout != "7B", dtype="bfloat16")
    torch.manual_seed(0)
    with torch.device(DEV):  # initialising on the GPU takes seconds, not minutes, for 7B
        model = Qwen2ForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(path)
    tok.save_pretrained(path)
    del model
    return str(path)


def text(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(string.ascii_letters + " ") for _ in range(n))


def prompts(n: int, question_chars: int, expert_chars: int, seed: int = 0) -> list[Prompt]:
    """Questions of about `question_chars` tokens (character tokenizer) and expert replies of
    `expert_chars` tokens; judged by exact match of an answer a random policy never writes."""
    rng = random.Random(seed)
    return [Prompt(id=f"p{k}", source="bench", task="bench", category="bench", level=1,
                   question=text(rng, question_chars), judge="exact_match", answer="never",
                   expert=text(rng, expert_chars) if expert_chars else None) for k in range(n)]


def config(path: str | None, **over) -> TrainConfig:
    d = {"name": "gpu-bench", "steps": 1, "prompts_per_step": 8, "use_gpu": DEV == "cuda",
         "policy": {"path": path}, "data": {"max_prompt_tokens": 8192, "truncation_side": "left"},
         "rollout": {"n_on": 5, "max_new_tokens": 128}, "reward": {"workers": 0},
         "algo": {"algorithm": "ahpo"}, "optim": {"lr": 1e-6}, "output_dir": "/tmp/helix-gpu-runs"}
    for k, v in over.items():
        if isinstance(v, dict):
            d.setdefault(k, {}).update(v)
        else:
            d[k] = v
    return TrainConfig.model_validate(d)


def n_params(trainer: Trainer) -> int:
    return sum(p.numel() for p in trainer.module.parameters())


def update_only(out: Out, label: str, path: str, n_seq: int, prompt_len: int, resp_len: int, **over) -> None:
    """One update (old log-prob pass, forward and backward by micro-batch, optimizer step) on
    synthetic rollout rows with mixed advantages."""
    trainer = None
    try:
        reset_peak()
        trainer = Trainer(config(path, **over), prompts=prompts(1, 8, 0), device=DEV)
        g = torch.Generator().manual_seed(0)
        rows = [Row(torch.randint(200, VOCAB, (prompt_len,), generator=g).tolist(),
                    torch.randint(200, VOCAB, (resp_len,), generator=g).tolist(),
                    advantage=float((i % 5) - 2) / 2, group=i // 5, temperature=1.0) for i in range(n_seq)]
        reset_peak()
        if DEV == "cuda":
            torch.cuda.synchronize()
        t0 = time.time()
        res = trainer._update(ALGORITHMS["ahpo"], rows, [])
        if DEV == "cuda":
            torch.cuda.synchronize()
        dt = time.time() - t0
        n = n_params(trainer)
        out.emit(section="update", label=label, params=n, n_seq=n_seq, prompt_len=prompt_len, resp_len=resp_len,
                 micro_batch_tokens=trainer.cfg.optim.micro_batch_tokens,
                 checkpointing=trainer.cfg.policy.checkpointing(), seconds=round(dt, 2),
                 tokens_per_s=round(n_seq * (prompt_len + resp_len) / dt),
                 response_tokens_per_s=round(n_seq * resp_len / dt),
                 mfu=round(n * res["flop_tokens"] / dt / 989e12, 4), peak_gib=peak_gib(), loss=res["loss"])
    except Exception as exc:  # noqa: BLE001
        out.emit(section="update", label=label, n_seq=n_seq, error=f"{type(exc).__name__}: {str(exc)[:400]}",
                 peak_gib=peak_gib())
    finally:
        if trainer is not None:
            trainer.close()
        del trainer
        reset_peak()


def init_single_process_group() -> None:
    """FSDP2 with one rank (pure bfloat16 compute through its mixed-precision policy) needs a
    process group even alone."""
    import torch.distributed as dist

    if not dist.is_initialized():
        dist.init_process_group("nccl" if DEV == "cuda" else "gloo", init_method="tcp://127.0.0.1:29571",
                                rank=0, world_size=1)


def profile(out: Out, path: str, n_seq: int, prompt_len: int, resp_len: int) -> None:
    """Where an update's GPU time goes: the top kernels of one update under torch.profiler."""
    from torch.profiler import ProfilerActivity, profile as prof

    trainer = Trainer(config(path), prompts=prompts(1, 8, 0), device=DEV)
    g = torch.Generator().manual_seed(0)
    rows = [Row(torch.randint(200, VOCAB, (prompt_len,), generator=g).tolist(),
                torch.randint(200, VOCAB, (resp_len,), generator=g).tolist(),
                advantage=float((i % 5) - 2) / 2, group=i // 5) for i in range(n_seq)]
    trainer._update(ALGORITHMS["ahpo"], rows[:5], [])  # warm-up
    acts = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if DEV == "cuda" else [])
    with prof(activities=acts) as p:
        trainer._update(ALGORITHMS["ahpo"], rows, [])
        if DEV == "cuda":
            torch.cuda.synchronize()
    key = "self_device_time_total" if DEV == "cuda" else "self_cpu_time_total"
    events = sorted(p.key_averages(), key=lambda e: -getattr(e, key, 0))[:25]
    total = sum(getattr(e, key, 0) for e in p.key_averages())
    out.emit(section="profile", n_seq=n_seq, tokens=n_seq * (prompt_len + resp_len), total_ms=round(total / 1e3, 1),
             top=[(e.key[:90], round(getattr(e, key, 0) / 1e3, 1), e.count) for e in events])
    trainer.close()


def rollout_speed(out: Out, path: str, batches: list[int], graphs: list[bool], new: int, prompt_len: int) -> None:
    from training.policy import load_policy, stop_ids
    from training.rollout.base import Sampling
    from training.rollout.hf import HFBackend

    cfg = config(path)
    model, tok = load_policy(cfg.policy, DEV, dtype=torch.bfloat16 if DEV == "cuda" else torch.float32,
                             checkpointing=False)
    g = torch.Generator().manual_seed(1)
    for graph in graphs:
        backend = HFBackend(model, tok, stop_ids(tok), cuda_graphs=graph)
        backend.generate([torch.randint(200, VOCAB, (prompt_len,), generator=g).tolist()],
                         Sampling(n=2, max_new_tokens=8))  # warm-up
        for n_prompts in batches:
            try:
                reset_peak()
                ps = [torch.randint(200, VOCAB, (prompt_len,), generator=g).tolist() for _ in range(n_prompts)]
                t0 = time.time()
                groups = backend.generate(ps, Sampling(n=5, max_new_tokens=new, seed=n_prompts))
                if DEV == "cuda":
                    torch.cuda.synchronize()
                dt = time.time() - t0
                toks = sum(len(s.response_ids) for gr in groups for s in gr)
                out.emit(section="rollout", prompts=n_prompts, n=5, prompt_len=prompt_len, new_tokens=new,
                         cuda_graphs=graph, graph_failure=backend.decoder.graph_failure, seconds=round(dt, 2),
                         tokens=toks, tokens_per_s=round(toks / dt), peak_gib=peak_gib())
            except Exception as exc:  # noqa: BLE001
                out.emit(section="rollout", prompts=n_prompts, cuda_graphs=graph,
                         error=f"{type(exc).__name__}: {str(exc)[:400]}", tb=traceback.format_exc()[-800:])
    del model


def full_step(out: Out, label: str, path: str, n_prompts: int, new: int, question: int, expert: int,
              steps: int = 1, **over) -> None:
    trainer = None
    try:
        reset_peak()
        cfg = config(path, prompts_per_step=n_prompts, rollout={"max_new_tokens": new}, **over)
        trainer = Trainer(cfg, prompts=prompts(n_prompts, question, expert), device=DEV)
        for _ in range(steps):
            reset_peak()
            m = trainer.step()
            keep = ("step", "prompts", "reward_mean", "gate_on_fraction", "loss", "rollout_tokens", "expert_tokens",
                    "generated_tokens", "t_generate", "t_reward", "t_update", "t_sync", "tokens_per_s",
                    "generate_tokens_per_s", "update_tokens_per_s", "mfu", "mfu_update", "response_len_mean",
                    "grad_norm", "entropy")
            out.emit(section="step", label=label, params=n_params(trainer), max_new_tokens=new, question_tokens=question,
                     expert_tokens_each=expert, graph_failure=getattr(getattr(trainer.rollout, "decoder", None),
                                                                      "graph_failure", None),
                     **{k: m[k] for k in keep}, peak_gib=peak_gib())
    except Exception as exc:  # noqa: BLE001
        out.emit(section="step", label=label, error=f"{type(exc).__name__}: {str(exc)[:400]}",
                 tb=traceback.format_exc()[-1200:], peak_gib=peak_gib())
    finally:
        if trainer is not None:
            trainer.close()
        del trainer
        reset_peak()


def cuda_paths(out: Out, root: Path) -> None:
    """LUFFY's first step and an exact resume, on the device (both failed on CUDA before)."""
    for algorithm in ("luffy", "ahpo"):
        try:
            cfg = config(None, prompts_per_step=4, rollout={"n_on": 3, "max_new_tokens": 16},
                         algo={"algorithm": algorithm}, optim={"lr": 1e-3})
            a = Trainer(cfg, prompts=prompts(6, 40, 30), device=DEV)
            a.step()
            ckpt = a.save(root / f"ckpt-{algorithm}", hf_export=True)
            want = a.step()
            b = Trainer(cfg.model_copy(update={"resume_from": str(ckpt)}), prompts=prompts(6, 40, 30), device=DEV)
            got = b.step()
            same = all(torch.equal(x, y) for x, y in zip(a.module.state_dict().values(), b.module.state_dict().values()))
            out.emit(section="cuda", algorithm=algorithm, resumed_step=got["step"], loss_equal=want["loss"] == got["loss"],
                     weights_identical_after_resumed_step=same)
            a.close()
            b.close()
        except Exception as exc:  # noqa: BLE001
            out.emit(section="cuda", algorithm=algorithm, error=f"{type(exc).__name__}: {str(exc)[:400]}",
                     tb=traceback.format_exc()[-1200:])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("sections", nargs="*", default=["env", "rollout", "update", "step", "cuda", "7b"])
    ap.add_argument("--out", default=os.environ.get("OUT", "bench/gpu_out"))
    ap.add_argument("--models", default="/tmp/helix-gpu-models")
    ap.add_argument("--deadline-s", type=float, default=1e9, help="skip what starts after this")
    args = ap.parse_args()
    out = Out(Path(args.out))
    root = Path(args.models)
    root.mkdir(parents=True, exist_ok=True)

    def time_left(section: str) -> bool:
        if time.time() - START > args.deadline_s:
            out.emit(section=section, skipped="deadline")
            return False
        return True

    import importlib.util

    import transformers

    if "env" in args.sections:
        out.emit(section="env", device=DEV, torch=torch.__version__, transformers=transformers.__version__,
                 gpu=torch.cuda.get_device_name(0) if DEV == "cuda" else None,
                 flash_attn=importlib.util.find_spec("flash_attn") is not None, vocab=VOCAB)
    s = SMALL
    if "rollout" in args.sections and time_left("rollout"):
        path = model_folder(root, "0.5B")
        rollout_speed(out, path, [8] if s else [8, 32, 128], [True, False] if not s else [False], 8 if s else 128,
                      32 if s else 512)
    if "update" in args.sections and time_left("update"):
        path = model_folder(root, "1.5B")
        for label, n_seq, pl, rl, over in (
                [("small", 6, 16, 16, {})] if s else [
                    ("1.5B default", 64, 1024, 2048, {}),
                    ("1.5B default", 160, 1024, 2048, {}),
                    ("1.5B no checkpointing", 64, 1024, 2048, {"policy": {"gradient_checkpointing": False}}),
                    ("1.5B 32K micro-batches", 64, 1024, 2048, {"optim": {"micro_batch_tokens": 32768}}),
                    ("1.5B 8K micro-batches", 64, 1024, 2048, {"optim": {"micro_batch_tokens": 8192}}),
                ]):
            if time_left("update"):
                update_only(out, label, path, n_seq, pl, rl, **over)
    if "profile" in args.sections and time_left("profile"):
        try:
            profile(out, model_folder(root, "1.5B"), 6 if s else 32, 16 if s else 1024, 16 if s else 2048)
        except Exception as exc:  # noqa: BLE001
            out.emit(section="profile", error=f"{type(exc).__name__}: {str(exc)[:400]}", tb=traceback.format_exc()[-800:])
    if "update2" in args.sections and time_left("update2"):
        path = model_folder(root, "1.5B")
        n, pl, rl = (6, 16, 16) if s else (160, 1024, 2048)
        for label, over in [("1.5B default", {}),
                            ("1.5B no checkpointing", {"policy": {"gradient_checkpointing": False}}),
                            ("1.5B FSDP2 one rank (bf16 params)", {"parallel": {"strategy": "fsdp"}})]:
            if not time_left("update2"):
                break
            if "fsdp" in json.dumps(over):
                init_single_process_group()
            update_only(out, label, path, n, pl, rl, **over)
    if "step" in args.sections and time_left("step"):
        path = model_folder(root, "1.5B")
        if s:
            full_step(out, "small", path, 4, 8, 20, 40)
        else:
            full_step(out, "1.5B 128x5, 1024 new, 4096-token traces", path, 128, 1024, 500, 4096)
    if "cuda" in args.sections and time_left("cuda"):
        cuda_paths(out, root)
    if "compile" in args.sections and time_left("compile"):
        n, pl, rl = (6, 16, 16) if s else (160, 1024, 2048)
        update_only(out, "1.5B compiled blocks (first call: includes compilation)", model_folder(root, "1.5B"),
                    n, pl, rl, policy={"compile": True})
    if "7b" in args.sections and time_left("7b"):
        path = model_folder(root, "7B")
        update_only(out, "7B LoRA r16", path, 8 if s else 32, 16 if s else 1024, 16 if s else 2048,
                    lora={"rank": 16, "alpha": 32})
    out.emit(section="done")
    return 0


if __name__ == "__main__":
    sys.exit(main())
