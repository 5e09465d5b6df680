"""`helix benchmark build`: the real build-benchmark Prefect flow over a real local Ray, with a
training row planted on purpose where the benchmark would draw, so disjointness must replace it."""

import json

import pytest
from prefect.testing.utilities import prefect_test_harness

from pipelines.benchmark import BenchChunkResult, BenchmarkConfig, cross_chunk_repeats, plan
from pipelines.build import instance_rows
from cli.main import main
from storage.catalog import query
from storage.exchange import load_benchmark, read_instances
from storage.shards import ShardInfo, read_manifest, write_shard

pytestmark = pytest.mark.slow
TASKS = ["trapping_rain_water", "isomorphism", "sudoku"]


@pytest.fixture(scope="module")
def prefect():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_build_benchmark_flow_is_disjoint_paired_and_counted(prefect, tmp_path, capsys):
    import ray

    # a training instance whose state is exactly what the benchmark draws first for this cell
    [planted], _, _ = instance_rows("trapping_rain_water", 2, range(0, 1), "benchmark", 0)
    write_shard(tmp_path, "instances", [planted.model_copy(update={"split": "train"})],
                task="trapping_rain_water", level=2, run_id="planted", part=0)
    argv = ["benchmark", "build", "--tasks", *TASKS, "--levels", "1", "2", "--per-level", "3",
            "--name", "mini", "--data-root", str(tmp_path)]
    assert main(argv) == 0
    assert not ray.is_initialized(), "the flow shuts down the Ray it started"
    out = capsys.readouterr().out
    assert "benchmark mini: 20 instances of 3 tasks" in out  # 3 + 3 + 4 (whole pairs) + ... per level
    assert "disjoint from train/val: yes (0 overlaps, 1 draws replaced)" in out

    bench = load_benchmark(tmp_path, "mini")
    ids = bench.ids()
    assert planted.id not in ids and len(set(ids)) == 20
    assert [m.index for m in bench.members] == list(range(20))
    assert [(m.task, m.level) for m in bench.members][:6] == \
        [("trapping_rain_water", 1)] * 3 + [("trapping_rain_water", 2)] * 3
    # isomorphism: rounded up to whole pairs, members 2k and 2k+1 share G1 and differ in the answer
    iso = [m for m in bench.members if m.task == "isomorphism"]
    rows = read_instances(tmp_path, [m.id for m in iso], ["id", "initial_state", "answer"])
    assert len(iso) == 8
    for a, b in zip(iso[::2], iso[1::2]):
        sa, sb = (json.loads(rows[m.id]["initial_state"]) for m in (a, b))
        assert sa["pair_id"] == sb["pair_id"] and sa["graph1"] == sb["graph1"]
        assert (rows[a.id]["answer"], rows[b.id]["answer"]) == ("Yes", "No")

    manifest = read_manifest(tmp_path, f"benchmark-{bench.extra['run_id']}")
    check = manifest["disjointness"]
    assert check["disjoint"] and check["overlap"] == 0 and check["checked_against"] == ["train", "val"]
    assert manifest["replaced"] == 1 and manifest["skeleton_accepted"] == 20
    assert manifest["counts"]["category"] == {"algorithms": 6, "graphs": 8, "puzzles": 6}
    assert manifest["counts"]["level"] == {"1": 10, "2": 10}
    assert manifest["counts"]["task_level"]["isomorphism/1"] == 4
    _, [(n, splits)] = query(tmp_path, "select count(*), list(distinct split order by split) from instances")
    assert (n, splits) == (21, ["benchmark", "train"])

    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as client:
        keys = {a.key for a in client.read_artifacts()}
    assert {"build-benchmark-counts", "build-benchmark-run"} <= keys

    assert main(["benchmark", "build", "--tasks", "nope", "--data-root", str(tmp_path)]) == 2

    # the evaluate flow over Ray on the built benchmark (text mode, one task, level 1)
    from tests.openai_double import OpenAIDouble, Reply

    with OpenAIDouble(lambda user, attempt: Reply(text="\\boxed{0}")) as double:
        assert main(["eval", "run", "--base-url", double.base_url, "--model", "double-7b",
                     "--modes", "text", "--tasks", "trapping_rain_water", "--levels", "1",
                     "--data-root", str(tmp_path), "--workers", "2"]) == 0
        assert double.requests == 3 and not ray.is_initialized()
    _, [(n, modes)] = query(tmp_path, "select count(*), list(distinct mode) from evals where benchmark = 'mini'")
    assert (n, modes) == (3, ["text"])


def test_levels_of_one_task_drawing_the_same_state_are_redrawn():
    shard = ShardInfo(table="instances", path="x", rows=1, bytes=1, sha256="0")
    r = [BenchChunkResult(task="h_index", level=lv, part=0, members=[(0, id_)], replaced=0,
                          skeleton_accepted=1, effort=1, seconds=0.0, shard=shard)
         for lv, id_ in [(2, "same"), (1, "same"), (1, "other")]]
    redo = cross_chunk_repeats(r)
    assert list(redo) == [0] and "same" in redo[0]  # level 2 (later in published order) redraws
    chunks = plan(BenchmarkConfig(tasks=["isomorphism"], per_level=3, chunk_size=3, levels=[1]))
    assert [(c.start, c.stop) for c in chunks] == [(0, 4)]  # whole pairs per chunk
