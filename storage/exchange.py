"""Benchmark files in the published MM-HELIX row layout, and named benchmarks in the store.

The published layout has one row per instance: `index`, `category` (the task's official name),
`question` (image variant), `question_text` (text-only variant), `answer`, `difficulty` (the level),
`initial_state` (the task's state as the official generator keeps it: JSON text for most tasks, raw
text for some, empty for a few whose facts are only in the question), `metric_info` (JSON text
`{"score_function": ...}`) and the pictures. `verifiers/official` converts each task's official state
to helix's and back; a file may also carry helix's own state shapes (`state_format="helix"`).
Pictures travel as base64 PNG in an `image` column in TSV and JSONL (a JSON list of base64 strings
when a row has more than one picture, as multi-image benchmark TSVs do), and as an `images` column
of `{bytes, path}` structs in Parquet (the layout Hugging Face `datasets` reads as Image features).
Import accepts every one of those picture encodings in every format.

A named benchmark is a list of instance ids in published order, kept as
`<root>/_benchmarks/<name>.json`; the instances themselves are ordinary `instances` rows with
split "benchmark". Export and import go through that list, so `export -> import -> export` gives
the same rows, and an imported published file is scored by helix's own verifiers.
"""

from __future__ import annotations

import ast
import base64
import binascii
import csv
import io
import json
import re
import sys
from pathlib import Path
from typing import Any, Iterable, Literal

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError

from generators import registry as generators
from common.hashing import canonical_json, stable_hash
from generators.base import instance_id
from storage.errors import StoreError
from storage.objects import arrow_dataset
from storage.schema import Image, InstanceRow
from storage.shards import ShardInfo, table_files, write_json_atomic, write_shard
from verifiers import official

BENCHMARK_DIR = "_benchmarks"
PUBLISHED_COLUMNS = ("index", "category", "question", "question_text", "answer", "difficulty",
                     "initial_state", "metric_info")
IMPORTED_SEED = -1  # global_seed of imported rows: they were not drawn from a helix seed
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_DIFFICULTY = re.compile(r"^\s*(?:level|lvl|l)?[\s_-]*([1-5])\s*$", re.IGNORECASE)


class ExchangeError(StoreError, ValueError):
    """A benchmark file or name that cannot be used; the message names the row."""


class PublishedRow(BaseModel):
    """One row of the published layout, pictures as PNG bytes."""

    model_config = ConfigDict(extra="forbid")
    index: int
    category: str
    question: str
    question_text: str
    answer: str
    difficulty: int = Field(ge=1, le=5)
    initial_state: str = Field(description="the state text, official or helix shape")
    metric_info: str = Field(description='JSON text, {"score_function": ...}')
    images: list[bytes] = Field(default_factory=list)
    _where: str = PrivateAttr(default="")  # the file and row, for error messages


class Member(BaseModel):
    index: int
    id: str
    task: str
    level: int


class Benchmark(BaseModel):
    """A named benchmark: its members in published order and where it came from."""

    name: str
    source: str = Field(description="'build' (helix seed namespace) or 'import:<file name>'")
    members: list[Member]
    counts: dict[str, Any] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)

    def ids(self) -> list[str]:
        return [m.id for m in self.members]


class ImportResult(BaseModel):
    benchmark: str
    rows: int
    instances: int
    per_task: dict[str, int]
    # the file's own answer judged by helix's verifier: every official reference answer passes
    # except those the official rules reject themselves (docs/official-differences.md)
    reference_accepted: dict[str, int]
    shards: list[ShardInfo]
    already_stored: int = 0  # distinct instances the store held already (not written again)
    replaced: bool = False  # an existing benchmark of this name was replaced (--replace)


# -- named benchmarks ------------------------------------------------------------------------

def check_name(name: str) -> str:
    if not _NAME.match(name or ""):
        raise ExchangeError(f"benchmark name {name!r} must be 1-64 letters, digits, '.', '_' or '-'")
    return name


def benchmark_path(root: Path, name: str) -> Path:
    return root / BENCHMARK_DIR / f"{check_name(name)}.json"


def save_benchmark(root: Path, benchmark: Benchmark) -> Path:
    path = benchmark_path(root, benchmark.name)
    write_json_atomic(path, benchmark.model_dump())
    return path


def list_benchmarks(root: Path) -> list[str]:
    folder = root / BENCHMARK_DIR
    return sorted(p.stem for p in folder.glob("*.json")) if folder.is_dir() else []


def load_benchmark(root: Path, name: str | None) -> Benchmark:
    """The named benchmark; with no name, the only one in the store."""
    known = list_benchmarks(root)
    if name is None:
        if len(known) != 1:
            raise ExchangeError(
                f"no benchmark under {root}: run `helix benchmark build` or `helix benchmark import`"
                if not known else f"several benchmarks under {root} ({', '.join(known)}): pick one")
        name = known[0]
    path = benchmark_path(root, name)
    if not path.exists():
        raise ExchangeError(f"no benchmark named {name!r} under {root}"
                            + (f" (known: {', '.join(known)})" if known else ""))
    try:
        return Benchmark.model_validate_json(path.read_bytes())
    except (ValidationError, OSError) as error:
        why = error.errors()[0]["msg"] if isinstance(error, ValidationError) else str(error)
        raise ExchangeError(f"benchmark file {path} is damaged ({why}); rebuild it with "
                            "`helix benchmark build` or `helix benchmark import`") from None


def counts(members: Iterable[Member]) -> dict[str, Any]:
    """Instances per task, per level and per category (for manifests and artifacts)."""
    by_task: dict[str, int] = {}
    by_level: dict[str, int] = {}
    by_category: dict[str, int] = {}
    by_task_level: dict[str, int] = {}
    for m in members:
        category = generators.get(m.task).category
        by_task[m.task] = by_task.get(m.task, 0) + 1
        by_level[str(m.level)] = by_level.get(str(m.level), 0) + 1
        by_category[category] = by_category.get(category, 0) + 1
        key = f"{m.task}/{m.level}"
        by_task_level[key] = by_task_level.get(key, 0) + 1
    return {"total": sum(by_task.values()), "task": by_task, "level": by_level,
            "category": by_category, "task_level": by_task_level}


def read_instances(root: Path, ids: list[str], columns: list[str] | None = None) -> dict[str, dict]:
    """Instance rows by id, straight from the shards (pictures included when asked for)."""
    files = table_files(root, "instances")
    if not files or not ids:
        return {}
    table = arrow_dataset(files).to_table(
        columns=columns, filter=ds.field("id").isin(sorted(set(ids))))
    out: dict[str, dict] = {}
    for row in table.to_pylist():
        held = out.get(row["id"])
        # an id stored twice holds the same puzzle; keep the complete copy (an older import
        # stored rows without solver facts: effort 0, num_solutions unknown)
        if held is None or (held.get("num_solutions") is None and row.get("num_solutions") is not None):
            out[row["id"]] = row
    return out


# -- export ----------------------------------------------------------------------------------

StateFormat = Literal["official", "helix"]
STATE_FORMATS: tuple[StateFormat, ...] = ("official", "helix")


def published_rows(root: Path, benchmark: Benchmark,
                   state_format: StateFormat = "official") -> list[PublishedRow]:
    """The benchmark's rows. `official`: each state in the official generator's shape and the
    official score function name, so the official evaluator judges the rows as helix does;
    `helix`: the states as helix stores them."""
    rows = read_instances(root, benchmark.ids())
    missing = [m for m in benchmark.members if m.id not in rows]
    if missing:
        raise ExchangeError(f"benchmark {benchmark.name!r}: {len(missing)} instances are not in the "
                            f"store (e.g. index {missing[0].index}, id {missing[0].id})")
    out = []
    for m in benchmark.members:
        r = rows[m.id]
        if state_format == "official":
            task = generators.get(r["task"])
            initial_state = official.to_official(r["task"], r["initial_state"], r["answer"])
            metric_info = json.dumps({"score_function": task.score_function})
        else:
            initial_state = r["initial_state"]
            metric_info = canonical_json({"score_function": r["score_function"]})
        out.append(PublishedRow(
            index=m.index, category=r["official_name"], question=r["question"],
            question_text=r["question_text"], answer=r["answer"], difficulty=r["level"],
            initial_state=initial_state, metric_info=metric_info,
            images=[im["bytes"] for im in r["images"] if im and im.get("bytes") is not None]))
    return out


def _b64(png: bytes) -> str:
    return base64.b64encode(png).decode("ascii")


def _image_cell(images: list[bytes]) -> str:
    if len(images) == 1:
        return _b64(images[0])
    return json.dumps([_b64(png) for png in images]) if images else ""


def write_tsv(rows: list[PublishedRow], path: Path) -> None:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow([*PUBLISHED_COLUMNS, "image"])
        for r in rows:
            writer.writerow([r.index, r.category, r.question, r.question_text, r.answer, r.difficulty,
                             r.initial_state, r.metric_info, _image_cell(r.images)])


def write_jsonl(rows: list[PublishedRow], path: Path) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        for r in rows:
            record = r.model_dump(exclude={"images"})
            record["image"] = _image_cell(r.images)
            handle.write(json.dumps(record, ensure_ascii=False) + "\n")


def write_parquet(rows: list[PublishedRow], path: Path) -> None:
    schema = pa.schema([
        ("index", pa.int64()), ("category", pa.string()), ("question", pa.string()),
        ("question_text", pa.string()), ("answer", pa.string()), ("difficulty", pa.int64()),
        ("initial_state", pa.string()), ("metric_info", pa.string()),
        ("images", pa.list_(pa.struct([("bytes", pa.binary()), ("path", pa.string())]))),
    ])
    records = []
    for r in rows:
        record = r.model_dump(exclude={"images"})
        record["images"] = [{"bytes": png, "path": f"{r.index}-{k}.png"} for k, png in enumerate(r.images)]
        records.append(record)
    pq.write_table(pa.Table.from_pylist(records, schema=schema), path, compression="zstd")


Format = Literal["tsv", "parquet", "jsonl"]


def file_format(path: Path) -> Format:
    suffix = path.suffix.lower()
    formats: dict[str, Format] = {".tsv": "tsv", ".parquet": "parquet", ".jsonl": "jsonl"}
    if suffix not in formats:
        raise ExchangeError(f"{path.name}: unknown file type {suffix or '(none)'}; "
                            "use .tsv, .parquet or .jsonl")
    return formats[suffix]


def export_benchmark(root: Path, name: str | None, path: Path,
                     state_format: StateFormat = "official") -> int:
    """Write a benchmark as a published-layout file (file type from the suffix); the row count."""
    fmt = file_format(path)
    rows = published_rows(root, load_benchmark(root, name), state_format)
    path.parent.mkdir(parents=True, exist_ok=True)
    {"tsv": write_tsv, "parquet": write_parquet, "jsonl": write_jsonl}[fmt](rows, path)
    return len(rows)


# -- import ----------------------------------------------------------------------------------

def jsonl_objects(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """(line number, object) per non-blank line of a JSONL file; a line that is not a JSON
    object is an ExchangeError naming it."""
    out = []
    with open(path, encoding="utf-8") as handle:
        for n, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise ExchangeError(f"{path.name} line {n}: not JSON: {error.msg}") from None
            if not isinstance(record, dict):
                raise ExchangeError(f"{path.name} line {n}: expected a JSON object")
            out.append((n, record))
    return out


def _raw_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """(where, record) per row; `where` names the row for error messages."""
    if not path.exists():
        raise ExchangeError(f"{path}: no such file")
    fmt = file_format(path)
    if fmt == "parquet":
        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as error:
            raise ExchangeError(f"{path.name}: not a readable Parquet file: {error}") from None
        return [(f"{path.name} row {i}", r) for i, r in enumerate(table.to_pylist())]
    if fmt == "jsonl":
        return [(f"{path.name} line {n}", record) for n, record in jsonl_objects(path)]
    csv.field_size_limit(sys.maxsize)  # base64 pictures are far beyond csv's 128 KiB default
    with open(path, newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        # line numbers count the header as line 1; fields with newlines are quoted by writers
        return [(f"{path.name} row {i}", r) for i, r in enumerate(reader)]


def _decode_b64(text: str, where: str) -> bytes:
    try:
        png = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as error:
        raise ExchangeError(f"{where}: image: broken base64 ({error})") from None
    if not png.startswith(b"\x89PNG") and not png.startswith(b"\xff\xd8"):
        raise ExchangeError(f"{where}: image: the base64 text is not a PNG or JPEG picture")
    return png


def _images(record: dict[str, Any], where: str) -> list[bytes]:
    value = record.get("images", record.get("image"))
    if value is None or value == "":
        return []
    if isinstance(value, (dict, bytes, bytearray)):
        value = [value]
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            try:
                value = json.loads(text)
            except json.JSONDecodeError:
                try:  # some TSV writers store the list as a Python literal (single quotes)
                    value = ast.literal_eval(text)
                except (ValueError, SyntaxError):
                    raise ExchangeError(f"{where}: image: a list that is neither JSON nor a "
                                        "list literal") from None
                if not isinstance(value, list):
                    raise ExchangeError(f"{where}: image: expected a list of base64 strings")
        else:
            value = [text]
    if not isinstance(value, (list, tuple)):
        raise ExchangeError(f"{where}: image: expected pictures, got {type(value).__name__}")
    out = []
    for item in value:
        if isinstance(item, dict):
            if item.get("bytes") is None:
                raise ExchangeError(f"{where}: image: a picture without bytes")
            out.append(bytes(item["bytes"]))
        elif isinstance(item, (bytes, bytearray)):
            out.append(bytes(item))
        elif isinstance(item, str):
            out.append(_decode_b64(item, where))
        else:
            raise ExchangeError(f"{where}: image: unsupported picture value {type(item).__name__}")
    for k, picture in enumerate(out):
        _check_picture(picture, f"{where}: image {k}")
    return out


MAX_PICTURE_BYTES = 16 << 20  # published pictures are well under 1 MiB
MAX_PICTURE_PIXELS = 40_000_000  # a tiny file may declare a huge canvas (decompression bomb)


def _check_picture(data: bytes, where: str) -> None:
    """Every picture, whatever its encoding in the file: PNG or JPEG, bounded size, readable header."""
    if len(data) > MAX_PICTURE_BYTES:
        raise ExchangeError(f"{where}: {len(data)} bytes, over the {MAX_PICTURE_BYTES >> 20} MiB limit")
    if not data.startswith(b"\x89PNG\r\n\x1a\n") and not data.startswith(b"\xff\xd8"):
        raise ExchangeError(f"{where}: not a PNG or JPEG picture")
    from PIL import Image as PILImage

    try:
        with PILImage.open(io.BytesIO(data)) as picture:
            width, height = picture.size
    except Exception as error:  # Pillow raises many kinds on damaged headers
        raise ExchangeError(f"{where}: unreadable picture ({type(error).__name__})") from None
    if width * height > MAX_PICTURE_PIXELS:
        raise ExchangeError(f"{where}: {width}x{height} pixels, over the {MAX_PICTURE_PIXELS} limit")


def _difficulty(value: Any, where: str) -> int:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value in (1, 2, 3, 4, 5):
        return int(value)
    match = _DIFFICULTY.match(str(value))
    if not match:
        raise ExchangeError(f"{where}: difficulty {value!r} is not a level 1..5")
    return int(match.group(1))


def _json_text(value: Any, where: str, column: str) -> str:
    """JSON columns arrive as text (TSV, published Parquet) or already parsed (JSONL)."""
    if isinstance(value, str):
        try:
            json.loads(value)
        except json.JSONDecodeError as error:
            raise ExchangeError(f"{where}: {column} is not valid JSON: {error.msg}") from None
        return value
    return json.dumps(value, ensure_ascii=False)


def _state_text(value: Any) -> str:
    """The state cell as text: raw text (maze drawings, sudoku lines) stays as it is; a JSON
    reader (JSONL) may have parsed a JSON state already."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def read_published(path: Path) -> list[PublishedRow]:
    """Rows of a published-layout file, checked; errors name the row."""
    records = _raw_records(path)
    if not records:
        raise ExchangeError(f"{path.name}: no rows")
    rows, seen = [], {}
    for where, record in records:
        missing = [c for c in PUBLISHED_COLUMNS if record.get(c) is None]
        if missing:
            raise ExchangeError(f"{where}: missing column{'s' if len(missing) > 1 else ''} "
                                f"{', '.join(missing)}")
        try:
            index = int(record["index"])
        except (TypeError, ValueError):
            raise ExchangeError(f"{where}: index {record['index']!r} is not an integer") from None
        where = f"{where} (index {index})"
        if index in seen:
            raise ExchangeError(f"{where}: index {index} also used by {seen[index]}")
        seen[index] = where
        rows.append(published := PublishedRow(
            index=index, category=str(record["category"]), question=str(record["question"]),
            question_text=str(record["question_text"]), answer=str(record["answer"]),
            difficulty=_difficulty(record["difficulty"], where),
            initial_state=_state_text(record["initial_state"]),
            metric_info=_json_text(record["metric_info"], where, "metric_info"),
            images=_images(record, where)))
        published._where = where
    return rows


def official_names() -> dict[str, str]:
    """Official category label -> helix task name (every registered task joins automatically)."""
    return {generators.get(n).official_name: n for n in generators.names()}


def helix_state(row: PublishedRow, task_name: str, state_format: StateFormat, where: str) -> dict:
    """helix's state for a row: through the task's official adapter (the state may be text, or
    empty with the facts in the question), or as stored when the file holds helix's shapes."""
    try:
        if state_format == "official":
            return official.to_helix(task_name, row.initial_state, row.question, row.answer,
                                     row.question_text)
        state = json.loads(row.initial_state)
    except official.AdapterError as error:
        raise ExchangeError(f"{where}: {task_name}: {error}") from None
    except json.JSONDecodeError as error:
        raise ExchangeError(f"{where}: initial_state is not helix's JSON state: {error.msg} "
                            "(an official file imports with --format official)") from None
    if not isinstance(state, dict):
        raise ExchangeError(f"{where}: initial_state is a JSON {type(state).__name__}, not helix's "
                            "state object (an official file imports with --format official)")
    return state


def instance_row(row: PublishedRow, task_name: str, state: dict) -> InstanceRow:
    task = generators.get(task_name)
    id_ = instance_id(task_name, state)
    try:
        score_function = str(json.loads(row.metric_info).get("score_function") or task.score_function)
    except AttributeError:
        score_function = task.score_function
    return InstanceRow(
        id=id_, task=task_name, category=task.category, official_name=task.official_name,
        task_version=task.version, level=row.difficulty, split="benchmark", index=row.index,
        global_seed=IMPORTED_SEED, seed=0, question=row.question, question_text=row.question_text,
        answer=row.answer, initial_state=canonical_json(state), score_function=score_function,
        num_solutions=None, effort=0, n_steps=0,
        images=[Image(bytes=png, path=f"{id_}-{k}.png") for k, png in enumerate(row.images)])


def _stored_splits(root: Path) -> dict[str, set[str]]:
    """Instance id -> the splits it is stored in."""
    files = table_files(root, "instances")
    if not files:
        return {}
    table = arrow_dataset(files).to_table(columns=["id", "split"])
    out: dict[str, set[str]] = {}
    for id_, split in zip(table["id"].to_pylist(), table["split"].to_pylist()):
        out.setdefault(id_, set()).add(split)
    return out


def import_benchmark(root: Path, path: Path, name: str, replace: bool = False,
                     state_format: StateFormat = "official") -> ImportResult:
    """Store a published-layout file as instances (split 'benchmark') and a named benchmark.
    An existing name is refused unless `replace` (the definition is swapped in one rename;
    instances stay). Puzzles the store already holds as benchmark instances are not written
    again (no second, poorer copy); a puzzle stored as a train or val instance refuses the
    import: the benchmark would judge a model on what it trained on. Call under the writer lock."""
    from verifiers.registry import verify_answer

    check_name(name)
    existing = benchmark_path(root, name)
    if existing.exists() and not replace:
        raise ExchangeError(f"benchmark {name!r} exists already; `--replace` replaces it "
                            "(or import under another --name)")
    rows = read_published(Path(path))
    by_official = official_names()
    instances: list[InstanceRow] = []
    for row in rows:
        task = by_official.get(row.category)
        if task is None:
            raise ExchangeError(f"{Path(path).name} index {row.index}: unknown category "
                                f"{row.category!r} (known: {', '.join(sorted(by_official))})")
        where = row._where or f"{Path(path).name} index {row.index}"
        instances.append(instance_row(row, task, helix_state(row, task, state_format, where)))
    accepted: dict[str, int] = {}
    groups: dict[tuple[str, int], list[InstanceRow]] = {}
    for inst in instances:
        groups.setdefault((inst.task, inst.level), []).append(inst)
        verdict = verify_answer(inst.task, inst.initial_state, inst.answer)
        accepted[inst.task] = accepted.get(inst.task, 0) + int(verdict.correct)
    stored = _stored_splits(root)
    leaked = sorted({i.id for i in instances if stored.get(i.id, set()) & {"train", "val"}})
    if leaked:
        raise ExchangeError(
            f"{len(leaked)} puzzles of {Path(path).name} are stored as train/val instances "
            f"(e.g. {', '.join(leaked[:3])}): as a benchmark they would judge a model on what it "
            "trained on. Import into a store without them (train builds made after the import "
            "redraw benchmark puzzles)")
    run = stable_hash("import", name, [i.id for i in instances], digest_size=6)
    shards = []
    written: set[str] = set()
    for part, ((task, level), group) in enumerate(sorted(groups.items())):
        fresh = []
        for inst in group:  # one row per puzzle, and none for a puzzle stored already
            if inst.id not in stored and inst.id not in written:
                fresh.append(inst)
                written.add(inst.id)
        if fresh:
            shards.append(write_shard(root, "instances", fresh, task=task, level=level,
                                      run_id=f"import-{run}", part=part))
    members = [Member(index=i.index, id=i.id, task=i.task, level=i.level)
               for i in sorted(instances, key=lambda i: i.index)]
    save_benchmark(root, Benchmark(name=name, source=f"import:{Path(path).name}", members=members,
                                   counts=counts(members), extra={"reference_accepted": accepted}))
    per_task = counts(members)["task"]
    distinct = {i.id for i in instances}
    return ImportResult(benchmark=name, rows=len(rows), instances=len(distinct),
                        per_task=per_task, reference_accepted=accepted, shards=shards,
                        already_stored=len(distinct & set(stored)), replaced=existing.exists() and replace)
