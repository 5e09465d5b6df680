"""`helix release export-hf NAME DIR`: a frozen release as a Hugging Face dataset folder.

`datasets.load_dataset(DIR)` reads it: one Parquet file per split under `data/` (written by the
`datasets` library, so the pictures are `Image` features), and a dataset card (`README.md`: the
YAML header that maps the files to splits, then what is in it, how it was made, and the release's
shard hashes so anyone can check the folder came from that release). Rows are the release's
instances as its readers see them: one per puzzle.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from generators import registry as generators
from storage.catalog import connect
from storage.shards import release_root

COLUMNS = ["id", "task", "category", "official_name", "level", "index", "question", "question_text",
           "answer", "initial_state", "score_function", "num_solutions", "effort", "images"]
WORDS_LICENCE = "CC BY-SA 4.0 (the word list of wordladder and wordsearch; verifiers/puzzles/WORDS_NOTICE.md)"


def export_hf(root: Path, name: str, out: Path) -> dict[str, int]:
    """Write the folder (atomically: staged beside it, renamed into place); rows per split."""
    import datasets

    datasets.disable_progress_bars()
    folder = release_root(root, name)
    manifest = json.loads((folder / "release.json").read_text())
    con = connect(root, release=name)
    try:
        splits = [s for (s,) in con.execute("SELECT DISTINCT split FROM instances ORDER BY split").fetchall()]
        tables = {s: con.sql(f"SELECT {', '.join(COLUMNS)} FROM instances WHERE split = $split "
                             "ORDER BY task, level, index, id", params={"split": s}).to_arrow_table()
                  for s in splits}
    finally:
        con.close()
    if not splits:
        raise ValueError(f"release {name!r} holds no instances")
    features = datasets.Features({
        "id": datasets.Value("string"), "task": datasets.Value("string"),
        "category": datasets.Value("string"), "official_name": datasets.Value("string"),
        "level": datasets.Value("int64"), "index": datasets.Value("int64"),
        "question": datasets.Value("string"), "question_text": datasets.Value("string"),
        "answer": datasets.Value("string"), "initial_state": datasets.Value("string"),
        "score_function": datasets.Value("string"), "num_solutions": datasets.Value("int64"),
        "effort": datasets.Value("int64"), "images": datasets.List(datasets.Image())})
    splits_data = {split: datasets.Dataset(table.cast(features.arrow_schema)).cast(features)
                   for split, table in tables.items()}
    counts = {split: table.num_rows for split, table in tables.items()}
    write_dataset_folder(Path(out), splits_data, card(name, manifest, tables, counts))
    return counts


def write_dataset_folder(out: Path, splits: dict, card_text: str | None = None) -> None:
    """A folder `datasets.load_dataset` reads: `data/<split>-00000-of-00001.parquet` per split
    (written by `datasets`, so the features travel with it) and an optional card, staged beside
    `out` and renamed into place (a reader never sees half a folder)."""
    staging = out.with_name(f".{out.name}.tmp")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "data").mkdir(parents=True)
    for split, data in splits.items():
        data.to_parquet(str(staging / "data" / f"{split}-00000-of-00001.parquet"))
    if card_text is not None:
        (staging / "README.md").write_text(card_text)
    if out.exists():
        shutil.rmtree(out)
    staging.replace(out)


def card(name: str, manifest: dict, tables: dict, counts: dict[str, int]) -> str:
    """The dataset card: the header `datasets` reads, then the facts a user of the data needs."""
    header = ["---", "license: apache-2.0", "pretty_name: helix " + name, "task_categories:",
              "- visual-question-answering", "- text-generation", "configs:", "- config_name: default",
              "  data_files:"]
    for split in counts:
        header += [f"  - split: {split}", f"    path: data/{split}-*.parquet"]
    header.append("---")
    per_task: dict[str, dict[int, int]] = {}
    for table in tables.values():
        for task, level in zip(table["task"].to_pylist(), table["level"].to_pylist()):
            per_task.setdefault(task, {}).setdefault(level, 0)
            per_task[task][level] += 1
    levels = sorted({lv for cells in per_task.values() for lv in cells})
    lines = ["", f"# helix release `{name}`", "",
             f"{sum(counts.values())} procedurally generated reasoning puzzles "
             f"({', '.join(f'{n} {s}' for s, n in counts.items())}) from helix, an implementation of the "
             "MM-HELIX recipe (arXiv 2510.08540): each with a question that refers to its pictures, a "
             "text-only question, the pictures (PNG), a reference answer, and the initial state the "
             "task's verifier reads. Many tasks accept several answers: judge with the verifier "
             "(`helix eval score`, or `verifiers.registry.verify(task, initial_state, response)`), "
             "not by string match.", "",
             f"Release note: {manifest.get('note') or '-'}. Created {manifest.get('created_at', '?')}.", "",
             "| task | category | " + " | ".join(f"L{lv}" for lv in levels) + " |",
             "|---|---|" + "---:|" * len(levels)]
    order = {n: i for i, n in enumerate(generators.names())}
    for task in sorted(per_task, key=lambda t: order.get(t, 999)):
        category = generators.get(task).category if task in order else "?"
        lines.append(f"| {task} | {category} | "
                     + " | ".join(str(per_task[task].get(lv, 0)) for lv in levels) + " |")
    seen: dict[str, int] = {}
    for table in tables.values():
        for id_ in set(table["id"].to_pylist()):
            seen[id_] = seen.get(id_, 0) + 1
    shared = sum(1 for n in seen.values() if n > 1)
    lines += ["", "## How it was made", "",
              "Every instance is drawn from a seeded generator, solved by a search that records its "
              "steps, and checked by an independent verifier; one row per distinct puzzle. Puzzles "
              f"in more than one split: {shared}. Columns: `id` (a hash of the task and its initial state), "
              "`task`, `category`, `official_name` (the MM-HELIX category), `level` (1-5), `index`, "
              "`question`, `question_text`, `answer`, `initial_state` (JSON), `score_function`, "
              "`num_solutions`, `effort` (solver search nodes), `images`.", "",
              "## Licence", "",
              f"Apache-2.0, except {WORDS_LICENCE}.", "",
              "## Release shards (sha256)", "",
              "| shard | rows | sha256 |", "|---|---:|---|"]
    lines += [f"| {s['path']} | {s['rows']} | {s['sha256']} |" for s in manifest["shards"]
              if s.get("table") == "instances"]
    return "\n".join(header + lines) + "\n"
