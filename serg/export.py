"""Accepted traces as an SFT dataset in the common chat format, for Hugging Face `datasets` and
for the training issue's expert data.

Each record: `id`, `task`, `level`, `source`, `images` (picture paths for JSONL, PNG bytes structs
for Parquet), `messages` = [user: image placeholder(s) + question, assistant: `<think>trace</think>`
followed by the final answer in \\boxed{}].
"""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from storage.catalog import connect

SQL = """
SELECT t.id, t.task, t.level, t.source, t.model, t.prompt_version, t.text, t.final_answer,
       i.question, i.question_text, i.answer, i.images
FROM traces t JOIN instances i ON i.id = t.instance_id
WHERE t.accepted AND t.source IN (SELECT unnest(?)) AND (? IS NULL OR t.model = ?)
QUALIFY row_number() OVER (PARTITION BY t.instance_id, t.source ORDER BY t.sample, t.id) = 1
ORDER BY t.task, t.level, t.id
"""


def _messages(row: dict, multimodal: bool) -> list[dict]:
    if multimodal:
        user = [{"type": "image"} for _ in row["images"]] + [{"type": "text", "text": row["question"]}]
    else:
        user = [{"type": "text", "text": row["question_text"]}]
    assistant = f"<think>\n{row['text'].strip()}\n</think>\n\n\\boxed{{{row['final_answer']}}}"
    return [{"role": "user", "content": user},
            {"role": "assistant", "content": [{"type": "text", "text": assistant}]}]


def export_sft(root: Path, out: Path, *, sources=("elaborated",), model: str | None = None,
               multimodal: bool = True) -> int:
    """Write accepted traces to `out` (.jsonl or .parquet); returns the number of records."""
    if out.suffix not in (".jsonl", ".parquet"):
        raise ValueError(f"output must end in .jsonl or .parquet, got {out.name!r}")
    con = connect(root)
    try:
        cursor = con.execute(SQL, [list(sources), model, model])
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r)) for r in cursor.fetchall()]
    finally:
        con.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    records = []
    for row in rows:
        record = {"id": row["id"], "task": row["task"], "level": row["level"], "source": row["source"],
                  "model": row["model"], "answer": row["answer"], "messages": _messages(row, multimodal)}
        if multimodal:
            record["images"] = row["images"]
        records.append(record)
    if out.suffix == ".jsonl":
        pictures = out.parent / f"{out.stem}_images"
        with open(out, "w") as handle:
            for record in records:
                if multimodal:
                    paths = []
                    for k, image in enumerate(record.pop("images")):
                        path = pictures / f"{record['id']}-{k}.png"
                        path.parent.mkdir(parents=True, exist_ok=True)
                        path.write_bytes(image["bytes"])
                        paths.append(str(path.relative_to(out.parent)))
                    record["images"] = paths
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
    else:
        pq.write_table(pa.Table.from_pylist(records), out, compression="zstd")
    return len(records)
