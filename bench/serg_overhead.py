"""SERG pipeline overhead against a local OpenAI-compatible server that answers instantly.

The server (tests/openai_double.py, a test double) runs in its own process so its CPU is not
charged to the pipeline. Per in-flight level we elaborate the same N instances (cache cleared)
and report requests/s and the pipeline's CPU time per trace (prompt building, request and
response handling in the client, parsing, verification, writing), measured as this process's
CPU time over the run divided by the number of traces.

    .venv/bin/python bench/serg_overhead.py [--instances 512]
"""

from __future__ import annotations

import argparse
import multiprocessing
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.build import BuildConfig, build_chunk, plan_chunks  # noqa: E402
from serg.elaborate import Endpoint  # noqa: E402
from serg.pipeline import SergConfig, plan, run_chunk, run_id  # noqa: E402


def serve(port_queue, stop_event):
    from tests.openai_double import OpenAIDouble, Reply

    def instant(user: str, attempt: int) -> Reply:
        final = user.split("Final Answer: \\boxed{")[1].split("}")[0]
        return Reply(text=f"I check every bar once more.\nFinal Answer: \\boxed{{{final}}}")

    with OpenAIDouble(instant) as double:
        port_queue.put(double.base_url)
        stop_event.wait()


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--instances", type=int, default=512)
    p.add_argument("--levels", nargs="+", type=int, default=[8, 32, 64, 128])
    args = p.parse_args()
    store = Path(tempfile.mkdtemp(prefix="helix-serg-bench-"))
    per_level = args.instances // 2
    config = BuildConfig(tasks=["trapping_rain_water"], levels=[1, 2], per_level=per_level,
                         chunk_size=per_level, data_root=str(store))
    for chunk in plan_chunks(config):
        build_chunk(chunk, config, config.run_id(), store)

    queue, stop = multiprocessing.Queue(), multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(queue, stop), daemon=True)
    server.start()
    base_url = queue.get(timeout=30)
    rows = []
    try:
        for in_flight in args.levels:
            root = Path(tempfile.mkdtemp(prefix="helix-serg-run-"))
            shutil.copytree(store, root, dirs_exist_ok=True)
            serg = SergConfig(endpoint=Endpoint(base_url=base_url, model="double-7b",
                                                max_in_flight=in_flight, max_retries=0),
                              data_root=str(root), chunk_size=args.instances)
            chunks = plan(serg, root)
            run = run_id(serg, chunks)
            wall0, cpu0 = time.perf_counter(), time.process_time()
            results = [run_chunk(c, serg, run, root, in_flight) for c in chunks]
            wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
            traces = sum(len(r.stats) for r in results)
            accepted = sum(s.accepted for r in results for s in r.stats)
            assert accepted == traces == args.instances, (accepted, traces)
            rows.append((in_flight, traces, wall, traces / wall, 1000 * cpu / traces))
            print(f"in flight {in_flight:>4}: {traces} traces in {wall:.2f} s = {traces / wall:7.1f} req/s, "
                  f"pipeline CPU {1000 * cpu / traces:.2f} ms/trace", flush=True)
            shutil.rmtree(root)
    finally:
        stop.set()
        server.join(timeout=10)
        shutil.rmtree(store)
    out = ROOT / "bench" / "RESULTS_serg.md"
    lines = ["## SERG pipeline overhead", "",
             f"Command: `.venv/bin/python bench/serg_overhead.py --instances {args.instances}`. "
             "Server: the OpenAI-compatible test double in its own process, answering instantly "
             "(a Python ThreadingHTTPServer, itself the bottleneck at high request rates). Pipeline CPU "
             "per trace = this process's CPU time / traces (prompt build, HTTP client, parse, verify, "
             "Parquet write).", "",
             "| in flight | traces | wall s | requests/s | pipeline CPU ms / trace |", "|---|---|---|---|---|"]
    lines += [f"| {a} | {b} | {c:.2f} | {d:.1f} | {e:.2f} |" for a, b, c, d, e in rows]
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
