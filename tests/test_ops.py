"""Incremental rebuilds, version bumps, concurrent writers, compaction and releases, on real
Parquet shards, DuckDB and real processes."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.build import BuildConfig, build_chunk, plan_chunks, present_rows
from cli.main import main
from generators import registry
from storage.catalog import connect, query
from storage.maintenance import (ReleaseError, compact, create_release, purge_trash, verify_release,
                                 writer_lock)
from storage.shards import table_files

TASKS = ["trapping_rain_water", "h_index"]
BIN = Path(sys.executable).parent / "helix"


def config(root, per_level=4, **kw):
    return BuildConfig(tasks=TASKS, levels=[1, 2], per_level=per_level, chunk_size=2,
                       data_root=str(root), **kw)


def build(root, cfg):
    chunks = plan_chunks(cfg, present_rows(cfg, root))
    for chunk in chunks:
        build_chunk(chunk, cfg, cfg.run_id(), root)
    return chunks


def counts(root, release=None):
    return query(root, "select task, count(*), count(distinct id) from instances group by task order by task",
                 release=release)[1]


def test_plan_is_empty_after_a_build_and_grows_with_the_size(tmp_path):
    cfg = config(tmp_path)
    assert sum(len(c.indices) for c in build(tmp_path, cfg)) == 16
    assert plan_chunks(cfg, present_rows(cfg, tmp_path)) == []
    bigger = config(tmp_path, per_level=6)
    planned = plan_chunks(bigger, present_rows(bigger, tmp_path))
    assert sorted(i for c in planned for i in c.indices) == [4] * 4 + [5] * 4  # only the new indices


def test_a_level_with_fewer_puzzles_than_asked_stores_each_once_and_says_so(tmp_path, capsys):
    # hanoi level 1 holds 44 or so distinct puzzles: 60 indices in chunks of 7 (so chunks repeat
    # each other too) store each puzzle once, report the rest, and count only what is stored
    argv = ["generate", "--tasks", "hanoi", "--levels", "1", "--per-level", "60", "--chunk-size", "7",
            "--data-root", str(tmp_path)]
    assert main(argv) == 0
    out = capsys.readouterr().out
    _, [(rows, distinct)] = query(tmp_path, "select count(*), count(distinct id) from instances")
    con = connect(tmp_path, dedupe=False)
    raw = con.execute("select count(*), count(distinct id) from instances").fetchall()[0]
    con.close()
    assert raw == (rows, distinct) and 30 < distinct < 60  # no duplicate row stored at all
    assert f"hanoi level 1: {60 - distinct} indices not stored" in out
    manifest = json.loads(next((tmp_path / "_manifests").glob("*.json")).read_text())
    assert manifest["instances"] == sum(s["instances"] for s in manifest["summary"]) == distinct
    assert len(manifest["exhausted"]) == 60 - distinct
    with writer_lock(tmp_path):
        compact(tmp_path, current_versions={"hanoi": registry.get("hanoi").version}, min_files=2)
    assert query(tmp_path, "select count(*), count(distinct id) from instances")[1] == [(distinct, distinct)]


def test_an_index_that_cannot_be_generated_fails_alone_and_is_named(tmp_path, monkeypatch, capsys):
    import pipelines.build
    from generators.base import GenerationError

    real = pipelines.build.make_instance

    def fails_on_index_1(task, level, split, index, seed, **kw):  # fault injection: budget exhausted
        if index == 1:
            raise GenerationError(f"{task.name} level {level}: all 128 attempts rejected: {{}}")
        return real(task, level, split, index, seed, **kw)

    monkeypatch.setattr(pipelines.build, "make_instance", fails_on_index_1)
    argv = ["generate", "--tasks", "h_index", "--levels", "1", "--per-level", "3", "--data-root", str(tmp_path)]
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert "1 instance(s) could not be generated (h_index level 1 index 1)" in err
    assert query(tmp_path, "select index from instances order by index")[1] == [(0,), (2,)]
    cfg = BuildConfig(tasks=["h_index"], levels=[1], per_level=3, data_root=str(tmp_path))
    assert [c.indices for c in plan_chunks(cfg, present_rows(cfg, tmp_path))] == [[1]]
    monkeypatch.setattr(pipelines.build, "make_instance", real)
    assert main(argv) == 0
    assert query(tmp_path, "select count(*) from instances")[1] == [(3,)]


def test_version_bump_rebuilds_only_that_task_and_compaction_drops_the_old(tmp_path, monkeypatch):
    cfg = config(tmp_path)
    build(tmp_path, cfg)
    task = registry.get("h_index")
    monkeypatch.setattr(type(task), "version", task.version + 1)
    planned = plan_chunks(cfg, present_rows(cfg, tmp_path))
    assert {c.task for c in planned} == {"h_index"} and sum(len(c.indices) for c in planned) == 8
    build(tmp_path, cfg)
    with writer_lock(tmp_path):
        done = compact(tmp_path, current_versions={t: registry.get(t).version for t in TASKS})
    assert done["rows_in"] - done["rows_out"] >= 8
    _, rows = query(tmp_path, "select task, task_version, count(*) from instances group by all order by all")
    assert rows == [("h_index", task.version, 8), ("trapping_rain_water", 1, 8)]
    _, [(orphans,)] = query(tmp_path, "select count(*) from traces t anti join instances i on i.id = t.instance_id")
    assert orphans == 0
    assert plan_chunks(cfg, present_rows(cfg, tmp_path)) == []


def test_rerun_of_generate_does_nothing(tmp_path, capsys):
    argv = ["generate", "--tasks", *TASKS, "--levels", "1", "--per-level", "3", "--data-root", str(tmp_path)]
    assert main(argv) == 0
    files = sorted(p.name for p in tmp_path.rglob("*.parquet"))
    capsys.readouterr()
    assert main(argv) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.rglob("*.parquet")) == files


def test_two_concurrent_rebuilds_neither_lose_nor_duplicate(tmp_path):
    argv = [str(BIN), "generate", "--tasks", *TASKS, "--levels", "1", "2", "3", "--per-level", "12",
            "--data-root", str(tmp_path)]
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    assert any(b"nothing to do" in out for out, _ in outputs)  # the lock serialised them
    assert counts(tmp_path) == [("h_index", 36, 36), ("trapping_rain_water", 36, 36)]
    _, [(n, distinct)] = query(tmp_path, "select count(*), count(distinct instance_id) from traces")
    assert n == distinct == 72


def test_compaction_merges_small_shards_and_keeps_every_row(tmp_path):
    cfg = BuildConfig(tasks=TASKS, levels=[1], per_level=10, chunk_size=1, data_root=str(tmp_path))
    build(tmp_path, cfg)
    before = counts(tmp_path)
    assert len(table_files(tmp_path, "instances")) == 20
    with writer_lock(tmp_path):
        done = compact(tmp_path)
    assert done["files_in"] == 40 and done["files_out"] == 4
    assert len(table_files(tmp_path, "instances")) == 2
    assert counts(tmp_path) == before
    assert list((tmp_path / "_trash").rglob("*.parquet"))  # kept for readers, not deleted
    assert purge_trash(tmp_path, older_than_s=0) == 1


def test_release_survives_compaction_and_purge(tmp_path, capsys):
    cfg = BuildConfig(tasks=TASKS, levels=[1], per_level=8, chunk_size=1, data_root=str(tmp_path))
    build(tmp_path, cfg)
    assert main(["release", "create", "v1", "--note", "first", "--data-root", str(tmp_path)]) == 0
    assert "16 instances, 16 traces (distinct ids" in capsys.readouterr().out
    frozen = counts(tmp_path, release="v1")
    more = BuildConfig(tasks=TASKS, levels=[1], per_level=12, chunk_size=1, data_root=str(tmp_path))
    build(tmp_path, more)
    with writer_lock(tmp_path):
        compact(tmp_path)
    purge_trash(tmp_path, older_than_s=0)
    assert counts(tmp_path) == [("h_index", 12, 12), ("trapping_rain_water", 12, 12)]
    assert counts(tmp_path, release="v1") == frozen == [("h_index", 8, 8), ("trapping_rain_water", 8, 8)]
    assert verify_release(tmp_path, "v1") == []
    assert main(["release", "verify", "v1", "--data-root", str(tmp_path)]) == 0
    capsys.readouterr()
    assert main(["release", "create", "v1", "--data-root", str(tmp_path)]) == 2
    assert "immutable" in capsys.readouterr().err
    assert main(["release", "create", "../x", "--data-root", str(tmp_path)]) == 2
    assert main(["sql", "select 1", "--release", "nope", "--data-root", str(tmp_path)]) == 2
    assert "no release 'nope'" in capsys.readouterr().err
    with pytest.raises(ReleaseError):
        create_release(tmp_path, "")


def test_serve_needs_an_api_url(monkeypatch, capsys):
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    assert main(["serve"]) == 2
    assert "PREFECT_API_URL" in capsys.readouterr().err
    monkeypatch.setenv("PREFECT_API_URL", "http://127.0.0.1:9/api")
    assert main(["serve", "--cron", "not a cron"]) == 2
    assert "schedule" in capsys.readouterr().err


def test_training_data_can_pin_a_release(tmp_path):
    from training.config import DataConfig
    from training.data import load_store_prompts

    build(tmp_path, BuildConfig(tasks=TASKS, levels=[1], per_level=3, chunk_size=1, data_root=str(tmp_path)))
    with writer_lock(tmp_path):
        create_release(tmp_path, "train-v1")
    build(tmp_path, BuildConfig(tasks=TASKS, levels=[1], per_level=5, chunk_size=1, data_root=str(tmp_path)))
    latest = load_store_prompts(DataConfig(data_root=str(tmp_path), tasks=TASKS, levels=[1]))
    pinned = load_store_prompts(DataConfig(data_root=str(tmp_path), tasks=TASKS, levels=[1], release="train-v1"))
    assert (len(latest), len(pinned)) == (10, 6)
    assert {p.id for p in pinned} < {p.id for p in latest}


@pytest.mark.parametrize("first", ["train", "val"])
def test_splits_never_share_a_puzzle_whichever_is_built_first(tmp_path, first):
    """hanoi level 1 has ~44 puzzles: 30 train and 30 val indices drawn independently would share
    about 20. Built in either order, they share none, and `helix check` agrees."""
    from storage.check import check_store

    second = "val" if first == "train" else "train"
    for split in (first, second):
        argv = ["generate", "--tasks", "hanoi", "--levels", "1", "--per-level", "20", "--split", split,
                "--data-root", str(tmp_path)]
        assert main(argv) == 0
    con = connect(tmp_path, dedupe=False)
    shared = con.execute("select count(*) from (select id from instances group by id "
                         "having count(distinct split) > 1)").fetchall()
    per_split = dict(con.execute("select split, count(distinct id) from instances group by split").fetchall())
    con.close()
    assert shared == [(0,)] and per_split[first] == 20 and 0 < per_split[second] <= 20
    assert check_store(tmp_path, quarantine=False).ok
    from storage.maintenance import refresh_stats

    assert refresh_stats(tmp_path)["tables"]["instances"]["by_split"] == per_split


def test_train_build_redraws_benchmark_puzzles_and_check_reports_a_leak(tmp_path, capsys):
    from pipelines.build import instance_rows
    from storage.check import check_store
    from storage.shards import write_shard

    # a benchmark holding exactly the puzzles a train build would draw first
    drawn, _, _ = instance_rows("hanoi", 1, range(10), "train", 0)
    bench = [r.model_copy(update={"split": "benchmark"}) for r in drawn]
    write_shard(tmp_path, "instances", bench, task="hanoi", level=1, run_id="bench", part=0)
    assert main(["generate", "--tasks", "hanoi", "--levels", "1", "--per-level", "10",
                 "--data-root", str(tmp_path)]) == 0
    con = connect(tmp_path, dedupe=False)
    assert con.execute("select count(distinct id), count(*) filter (where id in (select id from instances "
                       "where split = 'benchmark')) from instances where split = 'train'").fetchall() == [(10, 0)]
    con.close()
    assert check_store(tmp_path, quarantine=False).ok
    # a store where a leak happened anyway (an older helix, a hand-made shard): check names it
    write_shard(tmp_path, "instances", drawn[:2], task="hanoi", level=1, run_id="leak", part=0)
    report = check_store(tmp_path, quarantine=False)
    assert [(p.kind, p.detail.split(" (")[0]) for p in report.problems] == \
        [("overlap", "2 instance ids stored in both benchmark and train")]
    assert main(["check", "--data-root", str(tmp_path)]) == 1
    assert "overlap" in capsys.readouterr().out
