"""The published benchmark layout: real files (TSV with base64 pictures, Parquet, JSONL) exported
from a real store, imported back, and bad files refused with the row named."""

import base64
import csv
import io
import json

import pyarrow.parquet as pq
import pytest
from PIL import Image as PILImage

from pipelines.benchmark import BenchmarkConfig, build_chunk, order_members, plan
from cli.main import main
from storage.catalog import query
from storage.exchange import (PUBLISHED_COLUMNS, Benchmark, ExchangeError, counts, export_benchmark,
                              import_benchmark, load_benchmark, read_instances, read_published,
                              save_benchmark)


def build_store(root, tasks=("trapping_rain_water", "isomorphism", "sudoku"), levels=(1, 2), per_level=2):
    """A small helix benchmark, built in-process (the Ray flow is tested in test_benchmark.py)."""
    config = BenchmarkConfig(tasks=list(tasks), levels=list(levels), per_level=per_level, seed=7,
                             data_root=str(root), name="small")
    results = [build_chunk(c, config, config.run_id(), root, frozenset()) for c in plan(config)]
    members = order_members(results)
    save_benchmark(root, Benchmark(name="small", source="build", members=members, counts=counts(members)))
    return members


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("exchange")
    build_store(root)
    return root


def png(colour=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (4, 3), colour).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("suffix", ["tsv", "parquet", "jsonl"])
def test_export_import_round_trip(store, tmp_path, suffix):
    out = tmp_path / f"bench.{suffix}"
    assert export_benchmark(store, "small", out) == 12
    rows = read_published(out)
    assert [r.index for r in rows] == list(range(12))
    assert {r.category for r in rows} == {"trapping_rain_water", "graph_isomorphism", "sudoku"}
    # the official score function names (the official evaluator's `metrics` keys)
    assert {r.category: json.loads(r.metric_info)["score_function"] for r in rows} == {
        "trapping_rain_water": "simple_str_match", "graph_isomorphism": "simple_str_match",
        "sudoku": "sudoku_evaluator"}
    sudoku = next(r for r in rows if r.category == "sudoku")
    assert len(sudoku.initial_state.splitlines()) == 9  # the official state: 9 lines of text
    iso = [r for r in rows if r.category == "graph_isomorphism"]
    assert all(len(r.images) == 2 for r in iso) and all(len(r.images) == 1 for r in rows if r not in iso)

    root = tmp_path / "other"
    result = import_benchmark(root, out, "again")
    assert result.rows == 12 and result.instances == 12
    assert result.reference_accepted == result.per_task  # helix's verifier accepts the answers
    original, imported = load_benchmark(store, "small"), load_benchmark(root, "again")
    assert imported.ids() == original.ids()  # same content hashes, same order
    before = read_instances(store, original.ids())
    after = read_instances(root, imported.ids())
    for id_ in original.ids():
        for column in ("task", "level", "question", "question_text", "answer", "initial_state",
                       "official_name", "score_function", "split"):
            assert before[id_][column] == after[id_][column], column
        assert [i["bytes"] for i in before[id_]["images"]] == [i["bytes"] for i in after[id_]["images"]]
    again = tmp_path / f"again.{suffix}"
    export_benchmark(root, "again", again)
    if suffix == "parquet":
        assert pq.read_table(again).equals(pq.read_table(out))
    else:
        assert again.read_bytes() == out.read_bytes()
    _, [(n,)] = query(root, "select count(*) from instances where split = 'benchmark'")
    assert n == 12


def test_tsv_is_readable_as_plain_tsv_with_base64_pictures(store, tmp_path):
    out = tmp_path / "bench.tsv"
    export_benchmark(store, None, out)  # the only benchmark: no name needed
    csv.field_size_limit(1 << 30)
    with open(out, newline="") as handle:
        records = list(csv.DictReader(handle, delimiter="\t"))
    assert list(records[0]) == [*PUBLISHED_COLUMNS, "image"]
    first = records[0]
    assert base64.b64decode(first["image"]).startswith(b"\x89PNG")
    assert json.loads(first["initial_state"]) and first["difficulty"] == "1"
    iso = next(r for r in records if r["category"] == "graph_isomorphism")
    assert len(json.loads(iso["image"])) == 2  # several pictures: a JSON list of base64 strings


def write_tsv(path, records):
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(records[0]), delimiter="\t")
        writer.writeheader()
        writer.writerows(records)


def record(index, **overrides):
    base = {"index": index, "category": "trapping_rain_water", "question": "Q", "question_text": "Q text",
            "answer": "7", "difficulty": "Level 1", "initial_state": json.dumps({"height": [3, 0, 2, 0, 4]}),
            "metric_info": json.dumps({"score_function": "exact_match"}),
            "image": base64.b64encode(png()).decode()}
    base.update(overrides)
    return base


@pytest.mark.parametrize("case, expected", [
    ("missing", "bad.tsv row 0: missing columns answer, metric_info"),
    ("category", "bad.tsv index 1: unknown category 'Trapping Rain Water'"),
    ("base64", "bad.tsv row 2 (index 12): image: broken base64"),
    ("json", "bad.tsv row 1 (index 1): trapping_rain_water: initial_state is not valid JSON"),
    ("difficulty", "bad.tsv row 1 (index 1): difficulty 'hard' is not a level 1..5"),
    ("duplicate", "bad.tsv row 1 (index 0): index 0 also used by bad.tsv row 0"),
])
def test_bad_input_names_the_row(tmp_path, capsys, case, expected):
    records = [record(0), record(1), record(12)]
    if case == "missing":
        records = [{k: v for k, v in r.items() if k not in ("answer", "metric_info")} for r in records]
    elif case == "category":
        records[1]["category"] = "Trapping Rain Water"
    elif case == "base64":
        records[2]["image"] = "iVBORw0KGgo!!!not-base64"
    elif case == "json":
        records[1]["initial_state"] = "{height: [1, 2"
    elif case == "difficulty":
        records[1]["difficulty"] = "hard"
    elif case == "duplicate":
        records[1]["index"] = 0
    path = tmp_path / "bad.tsv"
    write_tsv(path, records)
    with pytest.raises(ExchangeError, match="^" + expected.replace("(", r"\(").replace(")", r"\)")):
        import_benchmark(tmp_path / "root", path, "bad")
    assert main(["benchmark", "import", str(path), "--data-root", str(tmp_path / "root")]) == 2
    assert expected in capsys.readouterr().err
    assert not (tmp_path / "root" / "_benchmarks").exists()  # nothing registered from a bad file


def test_import_accepts_parquet_and_jsonl_picture_encodings(tmp_path):
    jsonl = tmp_path / "rows.jsonl"
    rows = [record(0), record(1, image=json.dumps([base64.b64encode(png()).decode()] * 2),
                           initial_state=json.dumps({"height": [3, 0, 2, 0, 5]})),
            {**record(2), "initial_state": {"height": [1, 0, 1]}, "answer": "1", "difficulty": 2,
             "image": str([base64.b64encode(png()).decode()])}]  # a Python list literal
    jsonl.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    result = import_benchmark(tmp_path / "root", jsonl, "rows")
    assert result.rows == 3 and result.reference_accepted == {"trapping_rain_water": 3}
    images = read_instances(tmp_path / "root", load_benchmark(tmp_path / "root", "rows").ids())
    assert sorted(len(r["images"]) for r in images.values()) == [1, 1, 2]
    assert main(["benchmark", "export", str(tmp_path / "x.csv"), "--data-root", str(tmp_path / "root")]) == 2
    assert main(["benchmark", "export", str(tmp_path / "x.parquet"), "--name", "nope",
                 "--data-root", str(tmp_path / "root")]) == 2


def _raw_rows(root) -> int:
    from storage.catalog import connect

    con = connect(root, dedupe=False)  # every stored row, duplicates included
    try:
        return con.execute("select count(*) from instances").fetchall()[0][0]
    finally:
        con.close()


def test_reimport_into_the_same_store_adds_no_rows_and_needs_replace(store, tmp_path, capsys):
    """The probe: re-importing wrote a second, poorer copy of every row (effort 0, no solution
    count) that the view then preferred, and a second import did it again without a word."""
    import shutil

    root = tmp_path / "root"
    shutil.copytree(store, root, ignore=shutil.ignore_patterns("journal", "*.lock", "_lock"))
    out = tmp_path / "bench.tsv"
    export_benchmark(root, "small", out)
    count = "select count(*), count(distinct id), min(effort), count(num_solutions) from instances"
    before = query(root, count)[1]
    raw_before = _raw_rows(root)
    argv = ["benchmark", "import", str(out), "--name", "small", "--data-root", str(root)]
    assert main(argv) == 2
    assert "exists already; `--replace`" in capsys.readouterr().err
    assert main(argv + ["--replace"]) == 0
    assert "0 instances stored, 12 already in the store" in capsys.readouterr().out
    assert query(root, count)[1] == before and _raw_rows(root) == raw_before  # nothing degraded or added
    assert load_benchmark(root, "small").source == "import:bench.tsv"


def test_import_of_puzzles_stored_for_training_is_refused(store, tmp_path):
    from storage.shards import write_shard

    root = tmp_path / "root"
    out = tmp_path / "bench.jsonl"
    export_benchmark(store, "small", out)
    member = load_benchmark(store, "small").members[0]
    row = read_instances(store, [member.id])[member.id]
    write_shard(root, "instances", [{**row, "split": "train"}], task=row["task"], level=row["level"],
                run_id="train", part=0)
    with pytest.raises(ExchangeError, match="1 puzzles of bench.jsonl are stored as train/val"):
        import_benchmark(root, out, "leaky")
    assert not (root / "_benchmarks" / "leaky.json").exists()
