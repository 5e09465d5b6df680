"""Issue 16's goal end to end, through the CLI as an operator runs it: a store with a benchmark and
several nightly builds of a level smaller than asked. No id is shared between splits (and `helix
check` agrees), every count a run reports equals the SQL count of distinct ids, and re-importing
the benchmark leaves every row count as it was."""

from __future__ import annotations

import json
import re

import pytest

from cli.main import main
from storage.catalog import connect, query

pytestmark = pytest.mark.slow


def _raw(root, sql: str):
    con = connect(root, dedupe=False)  # every stored row, duplicates included
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_benchmark_then_nightly_builds_keep_splits_apart_and_counts_true(tmp_path, capsys):
    root = str(tmp_path / "data")
    common = ["--tasks", "hanoi", "h_index", "--levels", "1", "--data-root", root, "--workers", "1"]
    assert main(["benchmark", "build", *common, "--per-level", "6", "--name", "b"]) == 0
    capsys.readouterr()
    # hanoi level 1 holds ~44 puzzles: the benchmark took 6, two nightlies ask for 20 and then 50
    for per_level in ("20", "50"):
        assert main(["run", *common, "--per-level", per_level]) == 0
        out = capsys.readouterr().out
        runs = [p for p in (tmp_path / "data" / "_manifests").glob("*.json") if "-" not in p.stem]
        manifest = json.loads(max(runs, key=lambda p: p.stat().st_mtime).read_text())
        stored = dict(_raw(root, "select task, count(distinct id) from instances where split = 'train' "
                                 "group by task"))
        # the run's table: one row per task, its instance count equal to SQL's distinct count
        table = {m.group(1): int(m.group(2)) for m in re.finditer(r"^(hanoi|h_index)\s+\S+\s+(\d+)", out, re.M)}
        assert table == stored, (table, stored)
        built = sum(s["instances"] for s in manifest["summary"])
        assert manifest["instances"] == built
    assert stored["h_index"] == 50 and 30 < stored["hanoi"] < 50
    assert "hanoi level 1:" in out and "indices not stored" in out  # the level ran out, and said so
    assert _raw(root, "select count(*) from (select id from instances group by id "
                      "having count(distinct split) > 1)") == [(0,)]
    assert _raw(root, "select count(*) - count(distinct id) from instances") == [(0,)]  # one row per puzzle
    assert main(["check", "--data-root", root]) == 0
    capsys.readouterr()

    before = (_raw(root, "select split, count(*) from instances group by split order by split"),
              query(root, "select count(*), min(effort) from instances where split = 'benchmark'")[1])
    export = tmp_path / "b.tsv"
    assert main(["benchmark", "export", str(export), "--name", "b", "--data-root", root]) == 0
    assert main(["benchmark", "import", str(export), "--name", "b", "--replace", "--data-root", root]) == 0
    after = (_raw(root, "select split, count(*) from instances group by split order by split"),
             query(root, "select count(*), min(effort) from instances where split = 'benchmark'")[1])
    assert after == before
