"""`helix export rl`: the store's instances as prompts in the layout an RL framework documents, with
what helix's verifier needs to judge each response (verifiers/rl_rewards.py is the reward).

- verl: one Parquet file with `data_source` (`helix/<task>`), `prompt` (chat messages), `ability`
  (the task's category), `reward_model` (`{style: rule, ground_truth}`, the ground truth being the
  JSON text `{"task", "initial_state", "answer"}`) and `extra_info` (id, task, level, split, index);
  the image variant adds `images` (PNG bytes) and one `<image>` placeholder per picture in the
  prompt, as verl's multimodal datasets do.
- TRL: a folder `datasets.load_dataset` reads (`data/train-*.parquet` with its features), with a
  `prompt` column (chat messages, or plain text with `--prompt-format text`) and the columns the
  reward reads (`task`, `initial_state`), plus `answer`, `id`, `level`; the image variant adds
  `images` (Image features).

Prompts end with the same instruction `helix eval` gives (think, then the answer in \\boxed{}).
One row per puzzle (readers' view), from the current store or a frozen release.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pipelines.evaluate import ANSWER_SUFFIX
from pipelines.hf_export import write_dataset_folder
from storage.catalog import connect
from storage.objects import as_path

Format = Literal["verl", "trl"]
Variant = Literal["text", "image"]


class ExportError(ValueError):
    pass


def _rows(root: Path, split: str, tasks: list[str] | None, levels: list[int] | None,
          release: str | None) -> list[dict]:
    con = connect(root, release=release)
    try:
        cursor = con.execute(
            "SELECT id, task, category, level, split, index, question, question_text, answer, "
            "initial_state, images FROM instances WHERE split = ? "
            "AND (len(?::VARCHAR[]) = 0 OR task IN (SELECT unnest(?::VARCHAR[]))) "
            "AND (len(?::INTEGER[]) = 0 OR level IN (SELECT unnest(?::INTEGER[]))) "
            "ORDER BY task, level, index, id",
            [split, tasks or [], tasks or [], levels or [], levels or []])
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, r)) for r in cursor.fetchall()]
    finally:
        con.close()


def _prompt_text(row: dict, variant: Variant) -> str:
    question = row["question"] if variant == "image" else row["question_text"]
    return f"{question}\n\n{ANSWER_SUFFIX}"


def _truth(row: dict) -> str:
    return json.dumps({"task": row["task"], "initial_state": row["initial_state"], "answer": row["answer"]})


def verl_records(rows: list[dict], variant: Variant) -> list[dict]:
    out = []
    for row in rows:
        pictures = [{"bytes": i["bytes"], "path": i["path"]} for i in row["images"] or []] \
            if variant == "image" else []
        text = _prompt_text(row, variant)
        record = {
            "data_source": f"helix/{row['task']}",
            "prompt": [{"role": "user", "content": "<image>" * len(pictures) + text}],
            "ability": row["category"],
            "reward_model": {"style": "rule", "ground_truth": _truth(row)},
            "extra_info": {"id": row["id"], "task": row["task"], "level": row["level"],
                           "split": row["split"], "index": row["index"]},
        }
        if variant == "image":
            record["images"] = pictures
        out.append(record)
    return out


def export_rl(root: Path, out: Path, fmt: Format, *, split: str = "train", tasks: list[str] | None = None,
              levels: list[int] | None = None, variant: Variant = "text",
              prompt_format: Literal["chat", "text"] = "chat", release: str | None = None) -> int:
    """Write the prompts; returns how many rows. Nothing is written when there is nothing to
    export (an error names the filter)."""
    rows = _rows(as_path(root), split, tasks, levels, release)
    if not rows:
        raise ExportError(f"no {split} instances under {root}"
                          + (f" for tasks {', '.join(tasks)}" if tasks else "")
                          + (f" at levels {', '.join(map(str, levels))}" if levels else "")
                          + (f" in release {release}" if release else ""))
    out = Path(out)
    if fmt == "verl":
        import pyarrow as pa
        import pyarrow.parquet as pq

        if out.suffix != ".parquet":
            raise ExportError(f"verl reads Parquet: name the output *.parquet, got {out.name!r}")
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(f".{out.name}.tmp")
        pq.write_table(pa.Table.from_pylist(verl_records(rows, variant)), tmp, compression="zstd")
        tmp.replace(out)  # a reader never sees half a file
        return len(rows)
    return _write_trl(rows, out, variant, prompt_format)


def _write_trl(rows: list[dict], out: Path, variant: Variant, prompt_format: str) -> int:
    import datasets

    datasets.disable_progress_bars()  # a CLI line, not three progress bars

    columns: dict[str, list] = {
        "prompt": [_prompt_text(r, variant) if prompt_format == "text"
                   else [{"role": "user", "content": _prompt_text(r, variant)}] for r in rows],
        "task": [r["task"] for r in rows], "initial_state": [r["initial_state"] for r in rows],
        "answer": [r["answer"] for r in rows], "id": [r["id"] for r in rows],
        "level": [r["level"] for r in rows]}
    features = {"prompt": datasets.Value("string") if prompt_format == "text" else
                datasets.List({"role": datasets.Value("string"), "content": datasets.Value("string")}),
                "task": datasets.Value("string"), "initial_state": datasets.Value("string"),
                "answer": datasets.Value("string"), "id": datasets.Value("string"),
                "level": datasets.Value("int64")}
    if variant == "image":
        columns["images"] = [[{"bytes": i["bytes"], "path": i["path"]} for i in r["images"] or []] for r in rows]
        features["images"] = datasets.List(datasets.Image())
    write_dataset_folder(out, {"train": datasets.Dataset.from_dict(columns, features=datasets.Features(features))})
    return len(rows)
