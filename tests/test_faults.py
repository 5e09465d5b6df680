"""Faults a production build meets, injected for real: a Ray worker SIGKILLed mid-build, the
whole flow process tree SIGKILLed and rerun, shards truncated and bit-flipped on disk, and an
LLM endpoint that disappears (connection refused) and comes back."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from pipelines.build import BuildConfig
from cli.main import main
from storage.catalog import query
from storage.check import check_store, list_quarantine
from storage.schema import Image, InstanceRow
from storage.ledger import folder_files
from storage.shards import table_files, write_shard

REPO = Path(__file__).resolve().parents[1]


# -- helpers ---------------------------------------------------------------------------------

def _proc_tree() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                stat = Path(f"/proc/{entry.name}/stat").read_text()
                tree.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(entry.name))
            except (OSError, IndexError, ValueError):
                pass
    return tree


def descendants(pid: int) -> list[int]:
    tree, out, todo = _proc_tree(), [], [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def shard_digests(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every visible instance and trace shard."""
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for table in ("instances", "traces") for p in table_files(root, table)}


def raw_ids(root: Path, table: str) -> list[str]:
    """Every id in every visible shard, duplicates included (no reader de-duplication)."""
    return [i for p in table_files(root, table) for i in pq.read_table(p, columns=["id"])["id"].to_pylist()]


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# -- shard damage: helix check, quarantine, regeneration -------------------------------------

def _generate(root: Path, per_level: int = 4) -> None:
    argv = ["generate", "--tasks", "trapping_rain_water", "sudoku", "--levels", "1", "2",
            "--per-level", str(per_level), "--seed", "5", "--data-root", str(root)]
    assert main(argv) == 0


def test_check_finds_damage_quarantines_it_and_the_rebuild_regenerates_identical_shards(tmp_path, capsys):
    root = tmp_path / "data"
    _generate(root)
    before = shard_digests(root)
    ids_before = sorted(set(raw_ids(root, "instances")))
    assert main(["check", "--data-root", str(root)]) == 0
    assert "all sound" in capsys.readouterr().out

    instances = sorted(root.glob("instances/task=sudoku/level=*/*.parquet"))
    traces = sorted(root.glob("traces/task=trapping_rain_water/level=*/*.parquet"))
    truncated, flipped = instances[0], traces[0]
    truncated.write_bytes(truncated.read_bytes()[: truncated.stat().st_size // 2])
    data = bytearray(flipped.read_bytes())
    data[len(data) // 3] ^= 0x04  # one bit, in the middle of the data pages
    flipped.write_bytes(bytes(data))
    # a shard that is valid Parquet with a valid schema but a damaged picture (a bad writer)
    good = pq.read_table(instances[1]).to_pylist()
    png = good[0]["images"][0]["bytes"]
    good[0]["images"] = [Image(bytes=png[:-20] + bytes(20), path="x.png")]
    bad_picture = write_shard(root, "instances", [InstanceRow(**good[0])], task=good[0]["task"],
                              level=good[0]["level"], run_id="injected", part=0)

    # queries keep working: the unreadable shard is skipped with a warning, never a crash
    with pytest.warns(RuntimeWarning, match="unreadable shard"):
        _, rows = query(root, "select count(distinct id) from instances")
    assert 0 < rows[0][0] < len(ids_before)
    code = main(["sql", "select count(*) from traces", "--data-root", str(root)])
    assert code in (0, 2)  # a bit flip in a page may surface as a clean error, never a crash
    capsys.readouterr()

    assert main(["check", "--data-root", str(root), "--no-quarantine"]) == 1
    out = capsys.readouterr().out
    assert str(truncated.relative_to(root)) in out and str(flipped.relative_to(root)) in out
    assert bad_picture.path in out and "picture" in out and "checksum" in out
    assert truncated.exists()  # --no-quarantine moves nothing

    report = check_store(root)
    assert sorted(report.quarantined) == sorted([str(truncated.relative_to(root)),
                                                 str(flipped.relative_to(root)), bad_picture.path])
    assert len(list_quarantine(root)) == 3 and (Path(report.quarantine_dir) / "report.json").exists()
    assert main(["check", "--data-root", str(root)]) == 0
    capsys.readouterr()
    _, rows = query(root, "select count(*) from traces")  # no warning, no error any more
    assert rows[0][0] == len(ids_before) - 4  # the flipped trace shard held one chunk (4 rows)

    _generate(root)  # the rebuild regenerates exactly the quarantined rows
    assert shard_digests(root) == before  # same names, same bytes
    assert sorted(raw_ids(root, "instances")) == ids_before
    _, rows = query(root, "select count(*), count(distinct instance_id), bool_and(accepted) from traces")
    assert rows == [(len(ids_before), len(ids_before), True)]


def test_lost_trace_shard_alone_is_rebuilt(tmp_path):
    """The build writes an instance shard, then its trace shard: losing only the second (a kill
    between the writes, a quarantine) must still make the planner rebuild that chunk."""
    root = tmp_path / "data"
    _generate(root, per_level=2)
    before = shard_digests(root)
    victim = sorted(root.glob("traces/task=sudoku/level=2/*.parquet"))[0]
    victim.unlink()
    _generate(root, per_level=2)
    assert shard_digests(root) == before


# -- Ray and the whole flow killed ------------------------------------------------------------

@pytest.fixture(scope="module")
def prefect_server():
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield PREFECT_API_URL.value()


# slow enough per chunk that a kill lands mid-build on a loaded 2-core machine, small overall
FAULT_TASKS = ["sudoku", "trapping_rain_water"]


def fault_config(root: Path, **kw) -> BuildConfig:
    values = dict(tasks=FAULT_TASKS, levels=[4, 5], per_level=12, chunk_size=2, seed=42,
                  data_root=str(root), workers=2)
    values.update(kw)
    return BuildConfig(**values)


@pytest.mark.slow
def test_sigkilled_ray_worker_loses_and_duplicates_nothing(prefect_server, tmp_path):
    from flows.dataset import build_dataset

    root = tmp_path / "data"
    config = fault_config(root)
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and len(killed) < 2:
            if folder_files(root, "instances"):  # the build is under way (written, not yet committed)
                for pid in descendants(os.getpid()):
                    if cmdline(pid).startswith("ray::build_chunk"):
                        os.kill(pid, signal.SIGKILL)
                        killed.append(pid)
                        time.sleep(0.5)  # let Ray notice, retry; then kill a second one
                        break
            time.sleep(0.02)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    result = build_dataset(config)
    thread.join(timeout=5)
    assert killed, "no build_chunk worker was found to kill"
    expected = len(FAULT_TASKS) * 2 * 12
    assert result["instances"] == expected and result["verifier_errors"] == 0
    ids = raw_ids(root, "instances")
    assert len(ids) == len(set(ids)) == expected  # nothing lost, nothing stored twice
    traces = raw_ids(root, "traces")
    assert len(traces) == len(set(traces)) == expected
    assert check_store(root, quarantine=False).ok


@pytest.mark.slow
def test_flow_killed_midway_resumes_to_the_bytes_of_an_uninterrupted_build(prefect_server, tmp_path):
    from flows.dataset import build_dataset

    killed_root, clean_root = tmp_path / "killed", tmp_path / "clean"
    script = ("import sys; from pipelines.build import BuildConfig; from flows.dataset import build_dataset; "
              "build_dataset(BuildConfig.model_validate_json(sys.argv[1]))")
    env = {**os.environ, "PREFECT_API_URL": prefect_server, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen([sys.executable, "-c", script, fault_config(killed_root).model_dump_json()],
                             cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: len(folder_files(killed_root, "instances")) >= 3 or child.poll() is not None,
                 180, "the first shards")
        assert child.poll() is None, "the build finished before it could be killed"
        tree = [child.pid] + descendants(child.pid)  # driver, Ray's GCS, raylet, workers
        for pid in tree:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    partial = len(folder_files(killed_root, "instances"))  # on disk; committed or not
    assert 0 < partial < 24 and not (killed_root / "_manifests").exists()

    resumed = build_dataset(fault_config(killed_root))
    assert 0 < resumed["planned"] < 48  # only what the killed run had not finished
    build_dataset(fault_config(clean_root))
    assert shard_digests(killed_root) == shard_digests(clean_root)  # same files, same bytes
    ids = raw_ids(killed_root, "instances")
    assert len(ids) == len(set(ids)) == 48
    assert build_dataset(fault_config(killed_root))["planned"] == 0


# -- the LLM endpoint disappears mid-run -------------------------------------------------------

class VanishingDouble:
    """The OpenAI double whose server can go away (listening socket closed: connection refused;
    open keep-alive connections reset) and come back on the same port."""

    def __init__(self, policy):
        from tests.openai_double import OpenAIDouble, Reply

        self.down = False
        self.double = OpenAIDouble(lambda user, attempt: Reply(kind="reset") if self.down
                                   else policy(user, attempt))
        self.port = self.double._server.server_address[1]

    def __enter__(self):
        self.double.__enter__()
        return self

    def __exit__(self, *exc):
        if not self.down:
            self.double.__exit__(*exc)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def go_down(self) -> None:
        self.down = True
        self.double._server.shutdown()
        self.double._server.server_close()

    def come_back(self) -> None:
        from tests.openai_double import _Server

        self.double._server = _Server(("127.0.0.1", self.port), self.double._handler())
        self.double._thread = threading.Thread(target=self.double._server.serve_forever, daemon=True)
        self.double._thread.start()
        self.down = False


def _serg_store(root: Path) -> None:
    from pipelines.build import build_chunk, plan_chunks

    config = BuildConfig(tasks=["trapping_rain_water"], levels=[1], per_level=8, chunk_size=8, seed=9,
                         data_root=str(root))
    for chunk in plan_chunks(config):
        build_chunk(chunk, config, config.run_id(), root)


def _answer(user: str, attempt: int):
    from tests.openai_double import Reply

    final = user.split("Final Answer: \\boxed{")[1].split("}")[0]
    return Reply(text=f"Let me check each bar again... Final Answer: \\boxed{{{final}}}", delay=0.1)


def _serg(root: Path, url: str, budget: float):
    from serg.elaborate import Endpoint
    from serg.pipeline import SergConfig, plan, run_chunk, run_id

    endpoint = Endpoint(base_url=url, model="double-7b", max_in_flight=2, timeout_s=2.0, max_retries=50,
                        backoff_base_s=0.05, backoff_max_s=0.25, retry_budget_s=budget)
    config = SergConfig(endpoint=endpoint, data_root=str(root))
    chunks = plan(config, root)
    run = run_id(config, chunks)
    return [s for c in chunks for s in run_chunk(c, config, run, root, 2).stats]


def _outage(vanishing: VanishingDouble, after_requests: int, seconds: float | None) -> threading.Thread:
    def act():
        wait_for(lambda: vanishing.double.requests >= after_requests, 60, "requests before the outage")
        vanishing.go_down()
        if seconds is not None:
            time.sleep(seconds)
            vanishing.come_back()

    thread = threading.Thread(target=act, daemon=True)
    thread.start()
    return thread


def test_endpoint_outage_within_the_budget_is_waited_out(tmp_path):
    root = tmp_path / "data"
    _serg_store(root)
    with VanishingDouble(_answer) as vanishing:
        outage = _outage(vanishing, after_requests=3, seconds=1.5)
        stats = _serg(root, vanishing.base_url, budget=30.0)
        outage.join(timeout=10)
    assert len(stats) == 8 and all(s.accepted for s in stats)
    _, rows = query(root, "select count(*), max(attempts), sum(error != '') from traces "
                          "where source = 'elaborated'")
    count, max_attempts, errors = rows[0]
    assert count == 8 and max_attempts > 1 and errors == 0  # some waited and retried, none failed


def _gone_past_budget(root: Path, vanishing: VanishingDouble) -> tuple[int, int]:
    outage = _outage(vanishing, after_requests=3, seconds=None)
    started = time.perf_counter()
    stats = _serg(root, vanishing.base_url, budget=1.0)
    outage.join(timeout=10)
    assert time.perf_counter() - started < 20  # the budget bounds the wait
    accepted = [s for s in stats if s.accepted]
    failed = [s for s in stats if s.failed]
    assert accepted and failed and len(accepted) + len(failed) == 8
    return len(accepted), len(failed)


def test_endpoint_gone_past_the_budget_records_failures_and_keeps_what_was_accepted(tmp_path):
    root = tmp_path / "data"
    _serg_store(root)
    with VanishingDouble(_answer) as vanishing:
        accepted, failed = _gone_past_budget(root, vanishing)
    _, rows = query(root, "select distinct error like '%budget%' or error like '%Connection%' from traces "
                          "where source = 'elaborated' and not accepted")
    assert rows == [(True,)]  # every failure recorded, with why
    _, rows = query(root, "select count(*) from serg_cache")
    assert rows[0][0] == accepted  # every answer received is cached: a rerun never pays twice
    _, rows = query(root, "select count(distinct instance_id) from traces where source = 'elaborated' "
                          "and accepted")
    assert rows == [(accepted,)]  # nothing accepted was lost


def test_rerun_after_the_outage_completes_the_failed_instances(tmp_path):
    """A transport failure does not use up the sample: the rerun re-asks exactly the failed
    instances, serves nothing twice, and the answered trace wins over the failed row."""
    root = tmp_path / "data"
    _serg_store(root)
    with VanishingDouble(_answer) as vanishing:
        accepted, failed = _gone_past_budget(root, vanishing)
        vanishing.come_back()
        served_before = vanishing.double.requests
        _serg(root, vanishing.base_url, budget=30.0)
        assert vanishing.double.requests - served_before == failed  # only the failed ones re-asked
    _, rows = query(root, "select count(distinct instance_id) from traces where source = 'elaborated' "
                          "and accepted")
    assert rows == [(8,)]
