"""`helix serve` against a real Prefect server on 127.0.0.1: deployments registered with their
schedule, a run started through the API completes and its rows appear in DuckDB, a second run
has nothing to do, and the Prefect UI (headless Chromium) lists the helix deployments."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from storage.catalog import query

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent
OUT = Path(os.environ.get("HELIX_TEST_ARTIFACTS", "/tmp/helix-test-artifacts"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.5)
    raise TimeoutError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    home = tmp_path_factory.mktemp("prefect-home")
    port = free_port()
    env = {**os.environ, "PREFECT_HOME": str(home), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api", "PREFECT_RUNNER_POLL_FREQUENCY": "1",
           "PREFECT_LOGGING_LEVEL": "WARNING"}
    log = open(home / "server.log", "w")
    proc = subprocess.Popen([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port",
                             str(port)], env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def healthy():
        try:
            return httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(healthy, 120, "the Prefect server")
        yield {"env": env, "api": env["PREFECT_API_URL"], "port": port, "home": home}
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
        log.close()


def flow_run_state(api: str, run_id: str) -> str:
    return httpx.get(f"{api}/flow_runs/{run_id}", timeout=10).json()["state"]["type"]


def test_serve_registers_schedules_and_runs_deployments(server, tmp_path):
    api, root = server["api"], tmp_path / "data"
    serve = subprocess.Popen(
        [str(BIN / "helix"), "serve", "--tasks", "trapping_rain_water", "maze", "--per-level", "2",
         "--cron", "30 3 * * *", "--timezone", "Europe/Berlin", "--data-root", str(root)],
        env=server["env"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        import importlib.util

        from flows.deployments import FLOWS

        expected = sum(importlib.util.find_spec(m) is not None for m in FLOWS)

        def deployments():  # serve registers them one by one
            body = httpx.post(f"{api}/deployments/filter", json={}, timeout=10).json()
            return body if len(body) >= expected else None

        registered = wait_for(deployments, 120, "deployments")
        flows = {f["id"]: f["name"] for f in httpx.post(f"{api}/flows/filter", json={}, timeout=10).json()}
        by_name = {flows[d["flow_id"]] + "/" + d["name"]: d for d in registered}
        assert {"build-dataset/nightly", "serg/on-demand"} <= set(by_name), by_name.keys()
        assert len(by_name) == expected
        nightly = by_name["build-dataset/nightly"]
        (schedule,) = nightly["schedules"]
        assert schedule["schedule"]["cron"] == "30 3 * * *"
        assert schedule["schedule"]["timezone"] == "Europe/Berlin"
        form = nightly["parameter_openapi_schema"]  # a field per setting, typed, in the UI
        assert {"tasks", "levels", "per_level", "data_root", "workers"} <= set(form["properties"])
        assert nightly["parameters"]["per_level"] == 2 and nightly["parameters"]["data_root"] == str(root)
        assert "Europe/Berlin" in nightly["description"]
        for name in ("evaluate/on-demand", "serg/on-demand", "build-benchmark/on-demand"):
            if name in by_name:  # flat forms there too (the endpoint is one typed block)
                fields = by_name[name]["parameter_openapi_schema"]["properties"]
                assert {"tasks", "levels", "data_root"} <= set(fields), (name, fields.keys())
        refused = httpx.post(f"{api}/deployments/{nightly['id']}/create_flow_run",
                             json={"parameters": {"levels": [9]}}, timeout=30)
        assert 400 <= refused.status_code < 500, refused.text[:500]  # refused when created
        refused = httpx.post(f"{api}/deployments/{nightly['id']}/create_flow_run",
                             json={"parameters": {"tasks": ["not_a_task"]}}, timeout=30)
        assert 400 <= refused.status_code < 500, refused.text[:500]

        def run_once() -> tuple[str, float]:
            for _ in range(5):  # a loaded SQLite-backed server may answer 5xx (database busy)
                response = httpx.post(f"{api}/deployments/{nightly['id']}/create_flow_run", json={}, timeout=30)
                if response.status_code < 500:
                    break
                time.sleep(2)
            assert response.status_code < 300, response.text[:2000]
            run = response.json()
            wait_for(lambda: flow_run_state(api, run["id"]) in ("COMPLETED", "FAILED", "CRASHED"), 300,
                     "the flow run")
            info = httpx.get(f"{api}/flow_runs/{run['id']}", timeout=10).json()
            return info["state"]["type"], info["total_run_time"], run["id"]

        state, seconds, run_id = run_once()
        assert state == "COMPLETED"
        artifacts = httpx.post(f"{api}/artifacts/filter", timeout=10, json={
            "artifacts": {"flow_run_id": {"any_": [run_id]}}}).json()
        report = next(a for a in artifacts if a["key"] == "build-dataset-report")
        assert "file://" in report["data"] and (root / "reports").is_dir()  # served runs draw it too
        names = [t["name"] for t in httpx.post(f"{api}/task_runs/filter", timeout=10, json={
            "flow_runs": {"id": {"any_": [run_id]}}}).json()]
        assert names and all(n.startswith("build-") and "instances)" in n for n in names), names
        _, rows = query(root, "select task, count(*) from instances group by task order by task")
        assert rows == [("maze", 10), ("trapping_rain_water", 10)]
        files = sorted(p.name for p in root.rglob("*.parquet"))
        state, empty_seconds, _ = run_once()  # nothing new: the plan is empty, nothing is written
        assert state == "COMPLETED"
        assert sorted(p.name for p in root.rglob("*.parquet")) == files
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / "empty_nightly_seconds.txt").write_text(f"first {seconds:.2f} s, empty {empty_seconds:.2f} s\n")
        assert empty_seconds < seconds

        chromium = shutil.which("chromium") or shutil.which("chromium-browser")
        if chromium is None:
            if os.environ.get("CI"):
                pytest.fail("CI installs Debian's chromium; it is missing")
            pytest.skip("chromium is not installed (CI installs it)")
        flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--virtual-time-budget=10000", "--window-size=1400,900",
                 f"--user-data-dir={tmp_path / 'chromium'}"]
        url = f"http://127.0.0.1:{server['port']}/deployments"
        dom = subprocess.run([chromium, *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120)
        assert "nightly" in dom.stdout and "build-dataset" in dom.stdout, dom.stdout[-2000:]
        shot = OUT / "prefect-deployments.png"
        subprocess.run([chromium, *flags, f"--screenshot={shot}", url], capture_output=True, timeout=120)
        assert shot.exists() and shot.stat().st_size > 10_000
    finally:
        os.killpg(serve.pid, signal.SIGTERM)  # serve before the server (STACK.md)
        serve.wait(timeout=60)
