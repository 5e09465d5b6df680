"""The prompt mixture: store instances with their best accepted trace (the expert data), plus
user-supplied QA sets without traces (judged by exact match), in a seeded order with a cursor
that a checkpoint saves, so a resumed run sees exactly the prompts it would have seen.

Store prompts come in the text-only variant (`question_text`) or the image variant (`question`
plus the instance's pictures, `data.variant: image`), as the paper trains and evaluates both.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Literal

import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict

from training.config import DataConfig, ExternalDataset

Judge = Literal["verifier", "exact_match"]

_STORE_SQL = """
SELECT i.id, i.task, i.category, i.level, i.question_text, i.question, i.images, i.answer, i.initial_state,
       t.text AS trace, t.final_answer, t.source AS trace_source
FROM instances i
LEFT JOIN (
  SELECT * FROM traces WHERE accepted AND source IN (SELECT unnest(?))
  QUALIFY row_number() OVER (PARTITION BY instance_id
                             ORDER BY list_position(?, source), sample, id) = 1
) t ON t.instance_id = i.id
WHERE i.split = ? AND i.level IN (SELECT unnest(?)) AND (len(?) = 0 OR i.task IN (SELECT unnest(?)))
ORDER BY i.task, i.level, i.id
"""


class Prompt(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    source: str  # "helix" or the external dataset's name
    task: str
    category: str
    level: int
    question: str
    judge: Judge
    initial_state: str = ""  # verifier input (JSON text)
    answer: str = ""  # exact-match reference
    expert: str | None = None  # the assistant reply to imitate; None = never off-policy
    images: tuple[bytes, ...] = ()  # PNG pictures shown before the question (image variant)


def expert_reply(trace: str, final_answer: str, fmt: str) -> str:
    """The assistant turn in the same shape `helix sft-export` writes (think, then boxed answer)."""
    if fmt == "answer_only":
        return f"\\boxed{{{final_answer}}}"
    return f"<think>\n{trace.strip()}\n</think>\n\n\\boxed{{{final_answer}}}"


def load_store_prompts(cfg: DataConfig) -> list[Prompt]:
    from storage.catalog import connect
    from storage.shards import resolve_root

    sources = list(cfg.expert_sources)
    con = connect(resolve_root(cfg.data_root), release=cfg.release)
    try:
        cur = con.execute(_STORE_SQL, [sources, sources, cfg.split, cfg.levels, cfg.tasks, cfg.tasks])
        cols = [d[0] for d in cur.description]
        rows = [dict(zip(cols, r)) for r in cur.fetchall()]
    finally:
        con.close()
    if cfg.max_prompts is not None:
        # a fixed, task-balanced subset: round-robin over tasks in id order
        by_task: dict[str, list[dict]] = {}
        for r in rows:
            by_task.setdefault(r["task"], []).append(r)
        rows = _round_robin(list(by_task.values()))[: cfg.max_prompts]
    image = cfg.variant == "image"
    return [Prompt(id=r["id"], source="helix", task=r["task"], category=r["category"],
                   level=r["level"], question=_question(r, cfg),
                   judge="verifier", initial_state=r["initial_state"], answer=r["answer"],
                   expert=None if r["trace"] is None else
                   expert_reply(r["trace"], r["final_answer"], cfg.expert_format),
                   images=tuple(i["bytes"] for i in r["images"]) if image else ())
            for r in rows]


def state_prompt(task: str, initial_state: str) -> str:
    """The compact prompt: the task's name and its state as compact JSON (every fact of the
    instance, no rules text)."""
    return f"{task} {json.dumps(json.loads(initial_state), separators=(',', ':'), ensure_ascii=False)}"


def _question(row: dict, cfg: DataConfig) -> str:
    if cfg.prompt_format == "state":
        return state_prompt(row["task"], row["initial_state"])
    return row["question"] if cfg.variant == "image" else row["question_text"]


def _round_robin(groups: list[list[dict]]) -> list[dict]:
    out, i = [], 0
    while any(i < len(g) for g in groups):
        out += [g[i] for g in groups if i < len(g)]
        i += 1
    return out


def load_external(ds: ExternalDataset) -> list[Prompt]:
    path = Path(ds.path)
    if path.suffix == ".jsonl":
        records = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    elif path.suffix == ".parquet":
        records = pq.read_table(path).to_pylist()
    else:
        raise ValueError(f"external dataset must be .jsonl or .parquet, got {path.name!r}")
    out = []
    for k, rec in enumerate(records[: ds.limit]):
        if ds.question_field not in rec or ds.answer_field not in rec:
            raise ValueError(f"{path.name} record {k} lacks {ds.question_field!r} or {ds.answer_field!r}")
        out.append(Prompt(id=str(rec.get("id", f"{ds.name}-{k}")), source=ds.name, task=ds.name,
                          category="external", level=0, question=str(rec[ds.question_field]),
                          judge="exact_match", answer=str(rec[ds.answer_field])))
    return out


def load_prompts(cfg: DataConfig) -> list[Prompt]:
    prompts = load_store_prompts(cfg) + [p for ds in cfg.external for p in load_external(ds)]
    if not prompts:
        raise ValueError(f"no prompts: the store under {cfg.data_root!r} has no matching instances "
                         "and no external dataset was given")
    return prompts


class Cursor(BaseModel):
    """Where the sampler is: epoch and position within that epoch's permutation."""

    epoch: int = 0
    position: int = 0


class Mixture:
    """Seeded epochs over the prompts; `take` is a pure function of (cursor, n)."""

    def __init__(self, prompts: list[Prompt], seed: int):
        self.prompts = prompts
        self.seed = seed

    def _order(self, epoch: int) -> list[int]:
        order = list(range(len(self.prompts)))
        random.Random(f"{self.seed}-{epoch}").shuffle(order)
        return order

    def take(self, cursor: Cursor, n: int) -> tuple[list[Prompt], Cursor]:
        out: list[Prompt] = []
        epoch, pos = cursor.epoch, cursor.position
        while len(out) < n:
            order = self._order(epoch)
            chunk = order[pos: pos + n - len(out)]
            out += [self.prompts[i] for i in chunk]
            pos += len(chunk)
            if pos >= len(order):
                epoch, pos = epoch + 1, 0
        return out, Cursor(epoch=epoch, position=pos)


def chat_prompt(tokenizer, question: str) -> str:
    return tokenizer.apply_chat_template([{"role": "user", "content": question}],
                                         add_generation_prompt=True, tokenize=False)


def encode_prompt(tokenizer, prompt: Prompt, max_tokens: int, side: str = "middle") -> list[int]:
    """Chat-formatted prompt ids, cut to `max_tokens`: `middle` keeps the head (rules) and the
    generation prompt; `left` keeps the question text's tail (where the instance's data is)."""
    ids = tokenizer(chat_prompt(tokenizer, prompt.question), add_special_tokens=False).input_ids
    if len(ids) <= max_tokens:
        return ids
    if side == "left":
        head = tokenizer(chat_prompt(tokenizer, ""), add_special_tokens=False).input_ids
        cut = tokenizer(prompt.question, add_special_tokens=False).input_ids
        keep = max_tokens - len(head)
        q = tokenizer.decode(cut[-keep:]) if keep > 0 else ""
        return tokenizer(chat_prompt(tokenizer, q), add_special_tokens=False).input_ids[-max_tokens:]
    return ids[: max_tokens - 8] + ids[-8:]


def encode_image_prompt(tokenizer, processor, image_token_id: int, prompt: Prompt, max_tokens: int,
                        side: str = "middle"):
    """(ids, Vision) of a prompt with pictures: the pictures, then the question, in one user turn
    (Qwen's layout). Each picture's single pad token is expanded to its number of visual tokens
    (patches / merge^2), as Qwen's processor does. Truncation never cuts into the pictures: it
    cuts the question text after them (`middle`: keep its head and the generation prompt;
    `left`: keep its tail)."""
    import io

    from PIL import Image

    from training.rollout.base import Vision

    pictures = [Image.open(io.BytesIO(b)).convert("RGB") for b in prompt.images]
    inputs = processor(images=pictures, return_tensors="pt")
    grid = inputs["image_grid_thw"]
    counts = (grid.prod(-1) // processor.merge_size ** 2).tolist()
    content = [{"type": "image"} for _ in pictures] + [{"type": "text", "text": prompt.question}]
    text = tokenizer.apply_chat_template([{"role": "user", "content": content}],
                                         add_generation_prompt=True, tokenize=False)
    compact = tokenizer(text, add_special_tokens=False).input_ids
    pads = [k for k, t in enumerate(compact) if t == image_token_id]
    if len(pads) != len(pictures):
        raise ValueError(f"prompt {prompt.id}: the chat template wrote {len(pads)} picture "
                         f"placeholders for {len(pictures)} pictures")
    ids: list[int] = []
    for k, t in enumerate(compact):
        ids += [t] * counts[pads.index(k)] if t == image_token_id else [t]
    if len(ids) > max_tokens:
        fixed = max(k for k, t in enumerate(ids) if t == image_token_id) + 2  # through vision_end
        budget = max_tokens - fixed
        if budget < 16:
            raise ValueError(f"prompt {prompt.id}: its pictures take {fixed} tokens of "
                             f"data.max_prompt_tokens = {max_tokens}; lower data.image_max_pixels "
                             "or raise max_prompt_tokens")
        rest = ids[fixed:]
        ids = ids[:fixed] + (rest[-budget:] if side == "left" else rest[: budget - 8] + rest[-8:])
    return ids, Vision(pixel_values=inputs["pixel_values"], grid_thw=grid, pngs=prompt.images)


def encode_reply(tokenizer, text: str) -> list[int]:
    """The assistant reply's tokens, ending with the end-of-turn token the model must learn."""
    ids = tokenizer(text, add_special_tokens=False).input_ids
    return ids + [tokenizer.convert_tokens_to_ids("<|im_end|>")
                  if "<|im_end|>" in tokenizer.get_vocab() else tokenizer.eos_token_id]
