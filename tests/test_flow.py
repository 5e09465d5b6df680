"""A real Prefect flow run (ephemeral test server) fanning out over a real local Ray."""

import pytest
from prefect.testing.utilities import prefect_test_harness

from pipelines.build import BuildConfig
from storage.catalog import query
from storage.shards import read_manifest

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prefect():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def test_build_dataset_flow_with_ray_writes_shards_duckdb_reads_them(prefect, tmp_path):
    import ray

    from flows.dataset import build_dataset

    config = BuildConfig(tasks=["trapping_rain_water"], levels=[1, 2, 5], per_level=5,
                         chunk_size=2, seed=3, data_root=str(tmp_path), workers=2)
    result = build_dataset(config)
    assert not ray.is_initialized(), "the flow shuts down the Ray it started"
    assert result["instances"] == 15 and result["accepted"] == 15
    assert result["verifier_errors"] == 0
    assert result["shards"] == 2 * 9  # 3 chunks per level, one shard per table each
    _, rows = query(tmp_path, "select level, count(*), count(distinct id) from instances "
                              "group by level order by level")
    assert rows == [(1, 5, 5), (2, 5, 5), (5, 5, 5)]
    _, rows = query(tmp_path, "select count(*) from traces t join instances i on t.instance_id = i.id "
                              "where t.accepted")
    assert rows == [(15,)]
    manifest = read_manifest(tmp_path, result["run_id"])
    assert manifest["rows"] == {"instances": 15, "traces": 15}
    assert {(s["task"], s["level"]) for s in manifest["summary"]} == {
        ("trapping_rain_water", 1), ("trapping_rain_water", 2), ("trapping_rain_water", 5)}


def test_helix_serg_runs_the_flow_over_ray_against_an_endpoint(prefect, tmp_path, capsys):
    """`helix serg` end to end: preflight, Prefect flow, Ray workers calling a real HTTP server."""
    from pipelines.build import BuildConfig as Build, build_chunk, plan_chunks
    from cli.main import main
    from tests.openai_double import OpenAIDouble, Reply

    config = Build(tasks=["trapping_rain_water"], levels=[1, 2], per_level=6, seed=5,
                   data_root=str(tmp_path))
    for chunk in plan_chunks(config):
        build_chunk(chunk, config, config.run_id(), tmp_path)

    def answer(user: str, attempt: int) -> Reply:
        final = user.split("Final Answer: \\boxed{")[1].split("}")[0]
        return Reply(text=f"Let me check each bar... wait, recount. Final Answer: \\boxed{{{final}}}",
                     delay=0.05)

    with OpenAIDouble(answer) as double:
        argv = ["serg", "--base-url", double.base_url, "--model", "double-7b", "--data-root",
                str(tmp_path), "--max-in-flight", "4", "--workers", "2"]
        assert main(argv) == 0
        out = capsys.readouterr().out
        assert "12 accepted" in out, out
        assert double.max_in_flight <= 4 and double.requests == 12
        assert main(argv) == 0  # nothing left to do: no new requests
        assert double.requests == 12
        assert main(argv[:4] + ["no-such-model"] + argv[5:]) == 2
        assert "does not serve model 'no-such-model'" in capsys.readouterr().err
    _, rows = query(tmp_path, "select source, count(*), bool_and(accepted) from traces group by all order by all")
    assert rows == [("elaborated", 12, True), ("skeleton", 12, True)]
    assert list((tmp_path / "reports").glob("serg-*-lengths.png"))
