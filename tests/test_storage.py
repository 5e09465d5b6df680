"""Shards, manifests and the DuckDB catalog, with real Parquet files and a real killed writer."""

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pipelines.build import BuildConfig, build_chunk, plan_chunks
from storage.catalog import ReadOnlyError, check_read_only, connect, query
from storage.schema import InstanceRow, TraceRow, arrow_schema
from storage.shards import SchemaError, table_files, to_arrow, write_manifest, write_shard

TASK = "trapping_rain_water"


def build(root: Path, per_level=3, chunk_size=3, seed=0, levels=(1, 2)):
    config = BuildConfig(tasks=[TASK], levels=list(levels), per_level=per_level,
                         chunk_size=chunk_size, seed=seed, data_root=str(root))
    results = [build_chunk(c, config, config.run_id(), root) for c in plan_chunks(config)]
    write_manifest(root, config.run_id(), config=config.model_dump(),
                   shards=[s for r in results for s in r.shards])
    return config, results


def test_schema_matches_models():
    assert arrow_schema(InstanceRow).names == list(InstanceRow.model_fields)
    assert arrow_schema(TraceRow).field("accepted").type == "bool"


def test_row_breaking_schema_is_refused(tmp_path):
    good = {"id": "x", "instance_id": "i", "task": TASK, "level": 1, "split": "train",
            "source": "skeleton", "model": "m", "prompt_version": "v", "sample": 0, "text": "t",
            "final_answer": None, "accepted": True, "status": "ok", "reason": "", "n_chars": 1}
    to_arrow("traces", [good])
    with pytest.raises(SchemaError, match=r"traces row 1: field level"):
        to_arrow("traces", [good, {**good, "level": "one"}])
    with pytest.raises(SchemaError, match=r"field surprise"):
        to_arrow("traces", [{**good, "surprise": 1}])
    with pytest.raises(SchemaError, match=r"field source"):
        write_shard(tmp_path, "traces", [{**good, "source": "made-up"}], task=TASK, level=1,
                    run_id="r", part=0)
    assert table_files(tmp_path, "traces") == []


def test_build_writes_readable_shards_and_manifest(tmp_path):
    config, results = build(tmp_path)
    assert sum(r.instances for r in results) == 6
    assert all(r.traces_accepted == r.instances for r in results)
    columns, rows = query(tmp_path, "select level, count(*), count(distinct id) from instances "
                                    "group by level order by level")
    assert rows == [(1, 3, 3), (2, 3, 3)]
    _, rows = query(tmp_path, "select count(*) from traces where accepted and source = 'skeleton'")
    assert rows == [(6,)]
    manifest = (tmp_path / "_manifests" / f"{config.run_id()}.json").read_text()
    for shard in results[0].shards:
        data = (tmp_path / shard.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == shard.sha256 and shard.path in manifest


def test_same_seed_gives_byte_identical_shards(tmp_path):
    build(tmp_path / "a")
    build(tmp_path / "b")
    a = {p.relative_to(tmp_path / "a"): p.read_bytes() for p in (tmp_path / "a").rglob("*.parquet")}
    b = {p.relative_to(tmp_path / "b"): p.read_bytes() for p in (tmp_path / "b").rglob("*.parquet")}
    assert a and a == b


def test_rerun_and_overlapping_runs_add_no_duplicate_ids(tmp_path):
    build(tmp_path)
    build(tmp_path)  # same run: same shard names, same bytes
    build(tmp_path, chunk_size=2)  # another run id over the same instances
    files = table_files(tmp_path, "instances")
    assert len(files) > 4
    _, rows = query(tmp_path, "select count(*), count(distinct id) from instances")
    assert rows == [(6, 6)]


def test_writer_killed_mid_shard_leaves_nothing_visible(tmp_path):
    """A real process is SIGKILLed while pyarrow is writing; readers must see no shard."""
    script = textwrap.dedent(f"""
        import os, signal, pyarrow.parquet as pq
        from pipelines.build import BuildConfig, instance_rows
        from storage import shards
        real = pq.write_table
        def dying_write(table, where, **kw):
            with open(where, "wb") as handle:
                handle.write(b"PAR1" + b"x" * 1000)  # a torn, half-written file
                handle.flush()
            os.kill(os.getpid(), signal.SIGKILL)
        shards.pq.write_table = dying_write
        rows, _, _ = instance_rows({TASK!r}, 1, range(2), "train", 0)
        shards.write_shard(__import__("pathlib").Path({str(tmp_path)!r}), "instances", rows,
                           task={TASK!r}, level=1, run_id="killed", part=0)
    """)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-500:]
    assert list((tmp_path / "_tmp").iterdir()), "the torn temporary file is there ..."
    assert table_files(tmp_path, "instances") == []  # ... but not where readers look
    _, rows = query(tmp_path, "select count(*) from instances")
    assert rows == [(0,)]
    build(tmp_path)  # and the next run works over the debris
    assert query(tmp_path, "select count(*) from instances")[1] == [(6,)]


def test_empty_root_has_typed_empty_views(tmp_path):
    con = connect(tmp_path)
    assert con.execute("select count(*) from instances").fetchone() == (0,)
    assert "images" in [d[0] for d in con.execute("select * from instances").description]


@pytest.mark.parametrize("sql", [
    "create table t(a int)", "insert into instances select * from instances",
    "copy (select 1) to '/tmp/helix-x.csv'", "attach 'x.db'", "select 1; drop view instances",
    "set threads = 1", "",
])
def test_sql_is_read_only(sql):
    with pytest.raises(ReadOnlyError):
        check_read_only(sql)


def test_sql_allows_select_and_explain():
    check_read_only("select 1")
    check_read_only("explain select 1")
