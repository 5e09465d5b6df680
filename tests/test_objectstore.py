"""Object-store data roots (s3://) against a real S3-compatible server: moto's server mode on
127.0.0.1 (tests/s3server.py), spoken to over HTTP by the clients production uses (pyarrow.fs
for data, boto3 for the conditional writes). Nothing here patches a client.

Covered: every step of a build on an object store equals the same step on a folder (shard bytes,
ids); readers see committed shards only, whatever a killed writer left; concurrent commits
from several processes lose nothing; the writer lock is exclusive, names its holder and is taken
over once a killed holder's lease runs out; releases are sealed copies; bad roots fail in one
line. The slow tests build on a real two-node Ray cluster (`ray start --head` + `ray start
--address`) into the server and compare with a single-node local build, and run the benchmark,
evaluation and SERG flows on an object-store root.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import pytest

from cli.main import main
from storage import ledger
from storage.catalog import query
from storage.maintenance import LockTimeout, compact, create_release, verify_release, writer_lock
from storage.objects import ObjectPath
from storage.shards import DataRootError, ensure_writable, write_shard
from tests.s3server import make_bucket, moto_server

REPO = Path(__file__).resolve().parent.parent
TASKS = ["trapping_rain_water", "maze"]


@pytest.fixture(scope="module")
def server():
    with moto_server() as env:
        yield env


@pytest.fixture
def s3(server, monkeypatch):
    """A fresh bucket on the server, with the AWS environment pointing at it: the data root."""
    for key, value in server.items():
        monkeypatch.setenv(key, value)
    return f"s3://{make_bucket(server)}/data"


def snapshot_files(root) -> set[tuple[str, str]]:
    return {(e.path, e.sha256) for e in ledger.current(root).shards}


def generate(root, *extra: str) -> int:
    return main(["generate", "--tasks", *TASKS, "--levels", "1", "2", "--per-level", "4",
                 "--chunk-size", "2", "--data-root", str(root), *extra])


def test_a_build_on_an_object_store_equals_the_same_build_in_a_folder(s3, tmp_path, capsys):
    assert generate(s3) == 0
    assert generate(tmp_path) == 0
    remote = ObjectPath(s3)
    assert snapshot_files(remote) == snapshot_files(tmp_path)  # same shards, byte for byte
    sql = "select id, task, level, answer from instances order by id"
    assert query(remote, sql) == query(tmp_path, sql)
    capsys.readouterr()
    assert generate(s3) == 0  # a rerun finds everything built
    assert "nothing to do" in capsys.readouterr().out
    assert main(["check", "--data-root", s3]) == 0
    assert "all sound" in capsys.readouterr().out
    # every shard sits at its final key; nothing else is under the table prefixes
    listed = {p for p, _ in snapshot_files(remote)}
    stored = {str(p.relative_to(remote)) for t in ("instances", "traces")
              for p in ledger.folder_files(remote, t)}
    assert stored == listed


def test_compaction_and_releases_on_an_object_store(s3, monkeypatch, capsys):
    root = ObjectPath(s3)
    for seed in ("1", "2", "3", "4"):  # four builds: four small shards per partition
        assert generate(s3, "--seed", seed) == 0
    before = query(root, "select count(*) from instances")[1]
    time.sleep(1.1)  # object times have 1 s resolution: compaction comes after the writes
    monkeypatch.setattr(ledger, "OBJECT_GRACE_S", 3600.0)
    with writer_lock(root):
        done = compact(root, min_files=2)
    assert done["files_out"] < done["files_in"]
    assert query(root, "select count(*) from instances")[1] == before
    listed = {e.path for e in ledger.current(root).shards if e.table == "instances"}
    stored = {str(p.relative_to(root)) for p in ledger.folder_files(root, "instances")}
    # within the grace period the replaced shards stay (a reader of the older snapshot may need
    # them); once it has passed, the next commit deletes them and the snapshots that listed them,
    # except a dropped name written again since (a rerun's shard whose intent is on its way)
    dropped = sorted(stored - listed)
    assert dropped
    time.sleep(1.1)  # object mtimes have one-second resolution
    again = root / dropped[0]
    again.write_bytes(again.read_bytes())
    monkeypatch.setattr(ledger, "OBJECT_GRACE_S", 0.0)
    ledger.commit(root, "retire", add=[])
    with writer_lock(root):
        pass
    assert {str(p.relative_to(root)) for p in ledger.folder_files(root, "instances")} == listed | {dropped[0]}
    assert len(list((root / ledger.SNAPSHOT_DIR).glob("*.json"))) == 1

    with writer_lock(root):
        manifest = create_release(root, "r1", note="test")
    assert manifest["distinct"]["instances"] == before[0][0]
    assert verify_release(root, "r1") == []
    assert query(root, "select count(*) from instances", release="r1")[1] == before
    with pytest.raises(Exception, match="exists already"):
        with writer_lock(root):
            create_release(root, "r1")
    # a change to a frozen object is found
    shard = root / "_releases" / "r1" / manifest["shards"][0]["path"]
    shard.write_bytes(shard.read_bytes() + b"x")
    assert any("checksum differs" in p for p in verify_release(root, "r1"))


WRITER = textwrap.dedent("""
    import glob, sys, tempfile
    from pathlib import Path
    import pyarrow.parquet as pq
    from pipelines.build import BuildConfig, build_chunk, plan_chunks
    from storage.objects import ObjectPath
    from storage.shards import write_shard
    # one real instance row (built in a scratch folder), repeated under new ids
    scratch = tempfile.mkdtemp()
    cfg = BuildConfig(tasks=["trapping_rain_water"], levels=[1], per_level=1, chunk_size=1, data_root=scratch)
    build_chunk(plan_chunks(cfg)[0], cfg, cfg.run_id(), Path(scratch))
    template = pq.read_table(glob.glob(scratch + "/instances/*/*/*.parquet")[0]).to_pylist()[0]
    root, mode, tag = ObjectPath(sys.argv[1]), sys.argv[2], sys.argv[3]
    for part in range(10_000):
        rows = [{**template, "id": f"{tag}-{part}-{i:06d}", "index": i, "question": "q" * 2000}
                for i in range(400)]
        write_shard(root, "instances", rows, task="maze", level=1, run_id=tag, part=part,
                    commit=(mode == "commit"))
        print(part, flush=True)
""")


def test_concurrent_commits_from_several_processes_lose_nothing(s3):
    root = ObjectPath(s3)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER.replace("range(10_000)", "range(6)"),
                                 s3, "commit", f"w{n}"], env=env, stdout=subprocess.PIPE, text=True)
               for n in range(4)]
    for writer in writers:
        out, _ = writer.communicate(timeout=180)
        assert writer.returncode == 0, out
    listed = {e.path for e in ledger.current(root).shards}
    assert len(listed) == 24  # 4 writers x 6 shards, each committed by its own racing commit
    seqs = [seq for seq, _ in ledger._object_seqs(root)]
    assert seqs == sorted(set(seqs))
    _, rows = query(root, "select count(*) from instances")
    assert rows == [(24 * 400,)]
    assert ledger.pending(root) == []


def test_a_killed_writer_leaves_nothing_visible_and_its_complete_shards_are_recovered(s3, capsys):
    root = ObjectPath(s3)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, s3, "journal", "k"], env=env,
                              stdout=subprocess.PIPE, text=True)
    done = [writer.stdout.readline() for _ in range(3)]  # three shards journaled, more on the way
    assert all(line.strip() for line in done)
    time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)  # at whatever point of its next PUT it had reached
    writer.wait(timeout=30)
    # nothing it wrote is visible: it never committed
    assert ledger.current(root) is None or ledger.current(root).shards == []
    _, rows = query(root, "select count(*) from instances")
    assert rows == [(0,)]
    # the next writer's lock recovers what it completed (shard whole and journaled), nothing more
    with writer_lock(root):
        pass
    listed = ledger.current(root).by_path()
    assert len(listed) >= 3
    for path, entry in listed.items():
        assert ledger.file_sha256(root / path) == entry.sha256
    _, rows = query(root, "select count(*), count(distinct id) from instances")
    assert rows[0][0] == 400 * len(listed)
    # an object whose writer died between its PUT and its intent is listed nowhere: readers
    # ignore it, `helix check` reports it as extra and moves it aside
    orphan = root / "instances/task=maze/level=1/part-orphan-00000.parquet"
    orphan.write_bytes((root / next(iter(listed))).read_bytes())
    assert query(root, "select count(*) from instances")[1][0][0] == 400 * len(listed)
    assert main(["check", "--data-root", s3]) == 1
    assert "extra" in capsys.readouterr().out
    assert not orphan.exists()


def test_objects_no_ledger_listed_are_never_adopted_as_data(s3, tmp_path):
    """A writer killed between its PUT and its intent on a fresh store: the next writer does not
    take that object for data (a folder without a ledger adopts its files; an object store has
    no such past)."""
    root = ObjectPath(s3)
    assert main(["generate", "--tasks", "maze", "--levels", "1", "--per-level", "2",
                 "--data-root", str(tmp_path)]) == 0
    shard = ledger.folder_files(tmp_path, "instances")[0]
    (root / shard.relative_to(tmp_path)).write_bytes(shard.read_bytes())
    with writer_lock(root):
        pass
    assert ledger.current(root) is None
    assert query(root, "select count(*) from instances")[1] == [(0,)]


def test_the_writer_lock_is_exclusive_and_taken_over_after_a_killed_holder(s3, monkeypatch):
    root = ObjectPath(s3)
    lines: list[str] = []
    with writer_lock(root):
        with pytest.raises(LockTimeout, match="pid .* has held the writer lock"):
            with writer_lock(root, timeout_s=1.0, poll_s=0.2, announce=lines.append):
                pass
    assert lines and "waiting for the writer lock" in lines[0]
    with writer_lock(root, timeout_s=1.0):  # released: free again at once
        pass
    # a holder killed -9 stops renewing its lease; a waiter takes the lock once it has expired
    monkeypatch.setenv("HELIX_OBJECT_LOCK_TTL_S", "2")
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent("""
        import sys, time
        from storage.objects import ObjectPath
        from storage.maintenance import writer_lock
        with writer_lock(ObjectPath(sys.argv[1])):
            print("held", flush=True)
            time.sleep(600)
    """), s3], env={**os.environ, "PYTHONPATH": str(REPO)}, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    time.sleep(2.5)  # renewed meanwhile: still held
    with pytest.raises(LockTimeout):
        with writer_lock(root, timeout_s=0.5, poll_s=0.2, announce=lines.append):
            pass
    holder.send_signal(signal.SIGKILL)
    holder.wait(timeout=30)
    started = time.monotonic()
    with writer_lock(root, timeout_s=30, poll_s=0.2, announce=lines.append):
        waited = time.monotonic() - started
    assert waited < 10


def test_bad_object_roots_fail_in_one_line(s3, server, monkeypatch, capsys):
    missing = "s3://no-such-bucket-here/data"
    with pytest.raises(DataRootError, match="no-such-bucket-here.*does not exist"):
        ensure_writable(ObjectPath(missing))
    assert main(["generate", "--tasks", "maze", "--levels", "1", "--per-level", "1",
                 "--data-root", missing]) != 0
    err = capsys.readouterr().err
    assert "does not exist" in err and "Traceback" not in err and len(err.strip().splitlines()) == 1
    with pytest.raises(Exception, match="needs a bucket"):
        ObjectPath("s3:///data")
    # nothing listens on the endpoint: a clear error, not a hang
    from tests.s3server import free_port

    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    started = time.monotonic()
    with pytest.raises(DataRootError, match="unreachable|connect"):
        ensure_writable(ObjectPath(s3))
    assert time.monotonic() - started < 60


def test_object_paths_refuse_local_file_calls(s3):
    path = ObjectPath(s3) / "x.json"
    with pytest.raises(TypeError):
        open(path, "rb")  # no __fspath__: never a local file named "s3:"
    with pytest.raises(TypeError):
        os.replace(path, path)
    assert str(path) == s3 + "/x.json" and path.name == "x.json" and path.parent == ObjectPath(s3)
    import pickle

    assert pickle.loads(pickle.dumps(path)) == path
    path.write_text("{}")
    assert json.loads(path.read_text()) == {} and path.exists() and path.stat().st_size == 2
    assert path.create(b"{}") is None  # create-only: exists already
    path.unlink()
    assert not path.exists()
    path.unlink(missing_ok=True)
    with pytest.raises(FileNotFoundError):
        path.read_bytes()
    with pytest.raises(FileNotFoundError):
        path.stat()


def stop_processes_under(folders: list[Path]) -> None:
    """End the processes of these Ray nodes only (`ray stop` would end every Ray on the machine):
    each keeps its logs open under its node's temp folder."""
    prefixes = [str(f.resolve()) + "/" for f in folders]

    def holders() -> set[int]:
        found = set()
        for pid in filter(str.isdigit, os.listdir("/proc")):
            try:
                for fd in os.listdir(f"/proc/{pid}/fd"):
                    if os.readlink(f"/proc/{pid}/fd/{fd}").startswith(tuple(prefixes)):
                        found.add(int(pid))
                        break
            except OSError:
                continue
        return found - {os.getpid()}

    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in holders():
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        deadline = time.monotonic() + 10
        while holders() and time.monotonic() < deadline:
            time.sleep(0.2)


@pytest.mark.slow
def test_a_two_node_ray_cluster_builds_into_the_object_store_as_one_local_node_does(s3, tmp_path):
    """`ray start --head` and a second node (`ray start --address`), each with its own temp dir,
    on this machine; `helix run --ray-address` builds into the S3 server; the shards (paths and
    sha256) and ids equal those of a single-node build into a folder, and both nodes ran chunks."""
    from tests.s3server import free_port

    ray = str(Path(sys.executable).parent / "ray")
    port = free_port()
    env = {**os.environ, "RAY_AUTH_MODE": "disabled", "RAY_USAGE_STATS_ENABLED": "0"}
    # short folders: Ray's socket paths under them must fit the 107 bytes a Unix socket name allows
    temp = {name: Path(tempfile.mkdtemp(prefix=f"hx-{name}-", dir="/tmp")) for name in ("head", "worker")}
    args = ["--tasks", *TASKS, "--levels", "1", "2", "--per-level", "8", "--chunk-size", "2"]
    try:
        subprocess.run([ray, "start", "--head", "--node-ip-address", "127.0.0.1", "--port", str(port),
                        "--num-cpus", "1", "--temp-dir", str(temp["head"]), "--include-dashboard", "false",
                        "--disable-usage-stats"], env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([ray, "start", "--address", f"127.0.0.1:{port}", "--node-ip-address", "127.0.0.1",
                        "--num-cpus", "1", "--temp-dir", str(temp["worker"]), "--disable-usage-stats"],
                       env=env, check=True, capture_output=True, timeout=120)
        helix = str(Path(sys.executable).parent / "helix")
        out = subprocess.run([helix, "run", *args, "--data-root", s3, "--ray-address", f"127.0.0.1:{port}"],
                             env=env, capture_output=True, text=True, timeout=600)
        assert out.returncode == 0, out.stderr[-3000:]
        for node, folder in temp.items():  # each node's workers ran build chunks
            logs = list(folder.glob("session_*/logs/worker-*.out"))
            assert any(":task_name:build_chunk" in p.read_text() for p in logs), node
    finally:
        stop_processes_under(list(temp.values()))
        for folder in temp.values():
            shutil.rmtree(folder, ignore_errors=True)
    local = tmp_path / "local"
    out = subprocess.run([str(Path(sys.executable).parent / "helix"), "run", *args, "--data-root", str(local),
                          "--workers", "1"], env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    remote = ObjectPath(s3)
    assert snapshot_files(remote) == snapshot_files(local)
    sql = "select id, md5(question || answer) from instances order by id"
    assert query(remote, sql) == query(local, sql)
    assert len(query(remote, sql)[1]) > 20


@pytest.mark.slow
def test_benchmark_evaluation_and_serg_flows_on_an_object_store(s3, capsys):
    """The other flows (benchmark build on local Ray, evaluation, SERG) and their reports, on an
    object-store root, against the OpenAI-compatible test double (tests/openai_double.py)."""
    from prefect.testing.utilities import prefect_test_harness

    from tests.openai_double import OpenAIDouble, Reply
    from tests.test_serg import elaboration, skeleton_answer

    root = ObjectPath(s3)
    assert generate(s3) == 0
    assert main(["benchmark", "build", "--tasks", *TASKS, "--levels", "1", "--per-level", "2",
                 "--workers", "1", "--name", "tiny", "--data-root", s3]) == 0
    _, rows = query(root, "select question_text, answer from instances")
    answers = dict(rows)

    def model(user: str, attempt: int) -> Reply:
        if "Solution sketch" in user:  # SERG: elaborate the skeleton, keep its answer
            return Reply(text=elaboration(skeleton_answer(user)))
        answer = next(a for q, a in answers.items() if q in user)
        return Reply(text=f"Step by step.\n\\boxed{{{answer}}}")

    with prefect_test_harness(server_startup_timeout=120), OpenAIDouble(model) as double:
        assert main(["eval", "run", "--local", "--base-url", double.base_url, "--model", "double-7b",
                     "--benchmark", "tiny", "--modes", "text", "--data-root", s3]) == 0
        assert main(["serg", "--base-url", double.base_url, "--model", "double-7b", "--workers", "1",
                     "--tasks", "trapping_rain_water", "--levels", "1", "--data-root", s3]) == 0
    capsys.readouterr()
    _, evals = query(root, "select count(*), sum(correct::int) from evals")
    assert evals == [(4, 4)]
    _, traces = query(root, "select count(*), sum(accepted::int) from traces where source = 'elaborated'")
    assert traces[0][0] == 4 and traces[0][1] == 4
    assert list((root / "reports").glob("*.png"))  # the plots went to the object store too
    assert main(["check", "--data-root", s3]) == 0


def test_object_paths_glob_and_list_as_pathlib_does_on_the_same_tree(s3, tmp_path):
    keys = ["instances/task=a/level=1/part-x-00000.parquet", "instances/task=a/level=2/part-x-00000.parquet",
            "instances/task=b/level=1/part-y-00001.parquet", "instances/task=b/level=1/notes.txt",
            "_releases/r1/release.json", "_releases/r2/release.json", "_releases/r2/instances/x.parquet",
            "top.json"]
    remote = ObjectPath(s3)
    for key in keys:
        (remote / key).write_bytes(b"x")
        (tmp_path / key).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / key).write_bytes(b"x")
    for base, pattern in [("instances", "task=*/level=*/*.parquet"), ("_releases", "*/release.json"),
                          ("", "*.json"), ("instances", "task=b/level=1/*"), ("instances", "task=?/level=2/*"),
                          ("nothing", "*")]:
        local = sorted(str(p.relative_to(tmp_path)) for p in (tmp_path / base).glob(pattern) if p.is_file())
        objects = sorted(str(p.relative_to(remote)) for p in (remote / base).glob(pattern) if p.is_file())
        assert objects == local, (base, pattern)
    assert (remote / "instances").is_dir() and not (remote / "nothing").is_dir()
    assert not (remote / "top.json").is_dir() and (remote / "top.json").is_file()
