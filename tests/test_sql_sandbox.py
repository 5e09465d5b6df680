"""`helix sql` cannot write, reach outside the store, or outlive its limits: every escape an
outside probe found (EXPLAIN ANALYZE of a COPY, INSTALL/LOAD/SET/CREATE/ATTACH, reading any file,
the environment of the process) is refused and leaves every file as it was; the queries the
README shows still work; a runaway query stops at its time limit or on Ctrl-C."""

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from storage.catalog import QueryTimeout, ReadOnlyError, query

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    from pipelines.build import BuildConfig, build_chunk, plan_chunks

    root = tmp_path_factory.mktemp("store")
    cfg = BuildConfig(tasks=["h_index", "maze"], levels=[1, 2], per_level=2, data_root=str(root))
    for chunk in plan_chunks(cfg):
        build_chunk(chunk, cfg, cfg.run_id(), root)
    return root


def _tree(root: Path) -> dict[str, str]:
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


ESCAPES = [
    # writes, through EXPLAIN ANALYZE (which runs its statement) and directly
    "EXPLAIN ANALYZE COPY (SELECT 'x') TO '{root}/instances/evil.csv'",
    "EXPLAIN ANALYZE COPY (SELECT 'import os') TO '{site}/sitecustomize.py' (HEADER false)",
    "COPY (SELECT 'x') TO '{shard}' (FORMAT parquet)",
    "EXPLAIN ANALYZE CREATE TABLE t AS SELECT 1",
    "CREATE TABLE t AS SELECT 1",
    "INSERT INTO instances SELECT * FROM instances",
    "ATTACH '{root}/evil.db' AS evil",
    "INSTALL httpfs",
    "LOAD httpfs",
    "SET enable_external_access = true",
    "SET memory_limit = '100GB'",
    "PRAGMA memory_limit = '100GB'",
    "CALL duckdb_settings()",
    "SELECT 1; SELECT 2",
    "DROP VIEW instances",
]
READS = [  # reading outside (or around) the store
    "SELECT * FROM read_text('/etc/passwd')",
    "SELECT * FROM read_csv('/proc/self/environ')",
    "SELECT * FROM glob('/**')",
    "SELECT * FROM glob('{root}/**')",
    "SELECT * FROM read_parquet('{shard}')",
    "SELECT * FROM read_blob('{root}/../../../etc/hostname')",
    "EXPLAIN ANALYZE SELECT * FROM read_text('/etc/passwd')",
]


@pytest.mark.parametrize("sql", ESCAPES + READS)
def test_every_escape_is_refused_and_changes_nothing(store, tmp_path, sql):
    shard = next(store.glob("instances/task=*/level=*/*.parquet"))
    before = _tree(store)
    text = sql.format(root=store, shard=shard, site=tmp_path)
    with pytest.raises(Exception) as caught:  # noqa: PT011 (refused either before or by DuckDB)
        query(store, text)
    assert isinstance(caught.value, ReadOnlyError) or "disabled" in str(caught.value) \
        or "Permission" in type(caught.value).__name__, caught.value
    assert _tree(store) == before
    assert not (tmp_path / "sitecustomize.py").exists()


def test_the_readmes_queries_work(store):
    _, rows = query(store, "select task, level, count(*) from instances group by all order by all")
    assert rows == [("h_index", 1, 2), ("h_index", 2, 2), ("maze", 1, 2), ("maze", 2, 2)]
    _, rows = query(store, "select task, avg(n_chars) from traces where accepted group by task order by task")
    assert [r[0] for r in rows] == ["h_index", "maze"]
    cols, rows = query(store, "EXPLAIN ANALYZE SELECT count(*) FROM instances")
    assert rows and cols
    _, rows = query(store, "select count(*) from train_steps")  # empty tables have views too
    assert rows == [(0,)]
    _, rows = query(store, "select current_setting('memory_limit'), current_setting('enable_external_access')")
    assert rows[0][1] is False


def test_a_runaway_query_stops_at_its_time_limit(store):
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="longer than 1 s"):
        query(store, "select count(*) from range(1000000000000)", timeout_s=1)
    assert time.monotonic() - started < 10


def _cpu_seconds(pid: int) -> float:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _sigint_default() -> None:
    """The child's Ctrl-C as a terminal gives it. A test run started in the background by a shell
    without job control inherits SIGINT ignored, and a Python started that way never turns it into
    KeyboardInterrupt (the query would run on, whatever helix does)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_a_query_within_seconds(store):
    proc = subprocess.Popen([sys.executable, "-m", "cli.main", "sql", "--data-root", str(store),
                             "select count(*) from range(1000000000000)"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)}, preexec_fn=_sigint_default)
    # the query is running once the process has used more CPU than its imports take (~2 s):
    # wall time says nothing on a loaded machine, where a signal during an import is lost
    deadline = time.monotonic() + 60
    while _cpu_seconds(proc.pid) < 4.0 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.2)
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    started = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - started < 10
    assert proc.returncode == 130
    assert err.strip().splitlines() == ["helix: interrupted"]


_RACE = """
import os, signal, sys, threading, time
from pathlib import Path
from storage.catalog import query
delay = float(sys.argv[2])
started = time.monotonic()
try:
    threading.Timer(delay, lambda: os.kill(os.getpid(), signal.SIGINT)).start()
    query(Path(sys.argv[1]), "select count(*) from range(1000000000000)")
    print("returned")
except KeyboardInterrupt:
    left = [t.name for t in threading.enumerate() if t.name == "helix-sql"]
    print(f"interrupted {time.monotonic() - started:.1f} {left}")
"""


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.3])
def test_ctrl_c_at_any_moment_of_a_query_stops_it(store, delay):
    """The race behind a flaky Ctrl-C: a signal that arrived before DuckDB's C++ code watched
    for it was lost and the query ran on. The main thread now waits on the query's thread and
    interrupts the connection itself, whenever the signal comes; no query thread is left, and
    the process exits normally (a query thread alive at exit aborted it)."""
    out = subprocess.run([sys.executable, "-c", _RACE, str(store), str(delay)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, preexec_fn=_sigint_default,
                         env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-500:]
    words = out.stdout.split()
    assert words[0] == "interrupted" and float(words[1]) < 10 and words[2] == "[]", out.stdout
