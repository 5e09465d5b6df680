"""SERG end to end against a real HTTP server speaking the OpenAI API (tests/openai_double.py):
scripted good, wrong and answerless elaborations, and every injected fault."""

import asyncio
import json
import re
import shutil
import time
import zlib

import pyarrow.parquet as pq
import pytest

from pipelines.build import BuildConfig, build_chunk, plan_chunks
from serg.elaborate import ElaborationClient, Endpoint, Sampling
from serg.export import export_sft
from serg.pipeline import SergConfig, plan, run_chunk, run_id, summarize
from storage.catalog import query
from tests.openai_double import OpenAIDouble, Reply

TASKS = ["trapping_rain_water", "sudoku"]
FINAL = re.compile(r"Final Answer: \\boxed\{(.*)\}", re.DOTALL)


def make_store(root, per_level=4, levels=(1, 2)):
    config = BuildConfig(tasks=TASKS, levels=list(levels), per_level=per_level, chunk_size=per_level,
                         seed=11, data_root=str(root))
    for chunk in plan_chunks(config):
        build_chunk(chunk, config, config.run_id(), root)


def skeleton_answer(user: str) -> str:
    sketch = user.split("Solution sketch", 1)[1]
    return FINAL.search(sketch).group(1).split("}\n")[0]


def elaboration(answer: str) -> str:
    return ("I start by restating the rules to myself.\nLet me walk the steps... wait, let me check "
            f"that step again against the rules. Yes, it holds.\nFinal Answer: \\boxed{{{answer}}}")


def wrong(answer: str) -> str:
    digits = [i for i, ch in enumerate(answer) if ch.isdigit()]
    i = digits[-1]
    return answer[:i] + str((int(answer[i]) % 9) + 1) + answer[i + 1:]


BEHAVIOURS = ["good", "wrong", "no_answer", "429", "500", "malformed", "reset", "slow",
              "always_503", "good"]


class Script:
    """Each instance (recognised by its text-only question in the prompt) gets a behaviour, cycling
    through BEHAVIOURS in id order, so every kind occurs at least once among 16 instances."""

    def __init__(self, root):
        _, rows = query(root, "select question_text from instances order by id")
        self.kind = {q: BEHAVIOURS[i % len(BEHAVIOURS)] for i, (q,) in enumerate(rows)}

    def of(self, user: str) -> str:
        return next(kind for q, kind in self.kind.items() if q in user)

    def __call__(self, user: str, attempt: int) -> Reply:
        answer, kind = skeleton_answer(user), self.of(user)
        if kind == "wrong":
            return Reply(text=elaboration(wrong(answer)))
        if kind == "no_answer":
            return Reply(text="I reasoned a lot but forgot to state the result.")
        if kind == "always_503":
            return Reply(kind="status", status=503)
        if attempt == 0 and kind in ("429", "500", "malformed", "reset", "slow"):
            return {"429": Reply(kind="status", status=429, headers={"Retry-After": "0.05"}),
                    "500": Reply(kind="status", status=500), "malformed": Reply(kind="malformed"),
                    "reset": Reply(kind="reset"),
                    "slow": Reply(text=elaboration(answer), delay=1.5)}[kind]
        return Reply(text=elaboration(answer))


def endpoint(url: str, **kw) -> Endpoint:
    values = dict(base_url=url, model="double-7b", max_in_flight=8, timeout_s=0.75, max_retries=3,
                  backoff_base_s=0.01, backoff_max_s=0.05)
    values.update(kw)
    return Endpoint(**values)


def run_all(config: SergConfig, root):
    chunks = plan(config, root)
    run = run_id(config, chunks)
    return chunks, [run_chunk(c, config, run, root, config.endpoint.max_in_flight) for c in chunks]


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    root = tmp_path_factory.mktemp("serg")
    make_store(root)
    return root


def test_traces_judged_faults_retried_rerun_served_from_cache(store, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(store, root)
    script = Script(root)
    with OpenAIDouble(script) as double:
        config = SergConfig(endpoint=endpoint(double.base_url), data_root=str(root), chunk_size=3)
        chunks, results = run_all(config, root)
        assert sum(len(c.ids) for c in chunks) == 16
        stats = [s for r in results for s in r.stats]
        assert len(stats) == 16 and not any(s.cached for s in stats)
        requests_first = double.requests
        kinds = {user: script.of(user) for user in double.attempts}
        count = {k: sum(v == k for v in kinds.values()) for k in BEHAVIOURS}
        assert all(count[k] >= 1 for k in BEHAVIOURS)

        _, rows = query(root, "select i.question_text, t.accepted, t.status, t.reason, t.error, t.attempts "
                              "from traces t join instances i on i.id = t.instance_id "
                              "where t.source = 'elaborated'")
        kind_of = {r[0]: script.kind[r[0]] for r in rows}
        for text, accepted, status, reason, error, attempts in rows:
            kind = kind_of[text]
            if kind == "wrong":
                assert (accepted, status) == (False, "wrong") and reason
            elif kind == "no_answer":
                assert (accepted, status) == (False, "unparsable") and "no final answer" in reason
            elif kind == "always_503":
                assert not accepted and "503" in error and attempts == 4, (error, attempts)
            elif kind == "good":
                assert accepted and attempts == 1
            else:  # a transient fault: retried once, then accepted
                assert accepted and attempts == 2 and not error, (kind, attempts, error)
        expected_accepted = count["good"] + sum(count[k] for k in ("429", "500", "malformed", "reset", "slow"))
        assert sum(r[1] for r in rows) == expected_accepted
        assert double.max_in_flight <= 8

        summary = summarize(stats, config.endpoint)
        assert sum(c["accepted"] for c in summary) == expected_accepted
        assert all(c["latency_p50_s"] is not None for c in summary)

        # a rerun plans only the requests that got no response; judged samples are used up
        replanned = [i for c in plan(config, root) for i in c.ids]
        assert len(replanned) == count["always_503"]
        # traces lost (kept cache): the rerun pays for nothing new, writes the same trace ids
        ids_before = sorted(r[0] for r in query(root, "select id from traces where source='elaborated'")[1])
        shutil.rmtree(root / "traces")
        shutil.copytree(store / "traces", root / "traces")
        _, results = run_all(config, root)
        again = [s for r in results for s in r.stats]
        assert double.requests - requests_first == 4 * count["always_503"]  # only failures re-asked
        assert sum(s.cached for s in again) == 16 - count["always_503"]
        ids_after = sorted(r[0] for r in query(root, "select id from traces where source='elaborated'")[1])
        assert ids_after == ids_before
        _, [(n, distinct)] = query(root, "select count(*), count(distinct id) from traces")
        assert n == distinct


def test_pass_at_k_resamples_until_accepted(store, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(store, root)

    def first_wrong(user: str, attempt: int) -> Reply:
        answer = skeleton_answer(user)
        return Reply(text=elaboration(wrong(answer) if attempt == 0 else answer))

    with OpenAIDouble(first_wrong) as double:
        config = SergConfig(endpoint=endpoint(double.base_url), data_root=str(root), samples=3,
                            sampling=Sampling(temperature=1.0))
        run_all(config, root)
        _, rows = query(root, "select sample, accepted from traces where source = 'elaborated' order by all")
        assert rows.count((0, False)) == 16 and rows.count((1, True)) == 16 and len(rows) == 32
        assert double.requests == 32


def test_concurrency_never_exceeds_the_limit(store, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(store, root)
    with OpenAIDouble(lambda user, a: Reply(text=elaboration(skeleton_answer(user)), delay=0.1)) as double:
        config = SergConfig(endpoint=endpoint(double.base_url, max_in_flight=3), data_root=str(root))
        run_all(config, root)
        assert double.max_in_flight == 3  # saturated, never above


def test_direct_mode_sends_no_skeleton_and_multimodal_sends_pictures(store, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(store, root)
    with OpenAIDouble(lambda user, a: Reply(text="Final Answer: \\boxed{0}")) as double:
        config = SergConfig(endpoint=endpoint(double.base_url, multimodal=True), data_root=str(root),
                            mode="direct", tasks=["trapping_rain_water"], levels=[1])
        run_all(config, root)
        body = double.seen_bodies[0]
        content = body["messages"][-1]["content"]
        assert content[0]["image_url"]["url"].startswith("data:image/png;base64,")
        assert "Solution sketch" not in content[-1]["text"]
        _, rows = query(root, "select source, prompt_version, count(*) from traces "
                              "where source = 'direct' group by all")
        assert rows == [("direct", "direct-v1", 4)]


def test_unreachable_endpoint_is_recorded_not_raised(store, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(store, root)
    config = SergConfig(endpoint=endpoint("http://127.0.0.1:9/v1", max_retries=1), data_root=str(root),
                        tasks=["trapping_rain_water"], levels=[1])
    _, results = run_all(config, root)
    assert all(s.failed for r in results for s in r.stats)
    _, rows = query(root, "select distinct error like '%Connection%' from traces where source='elaborated'")
    assert rows == [(True,)]


def test_client_honours_retry_after():
    def limited(user, attempt):
        return Reply(kind="status", status=429, headers={"Retry-After": "0.4"}) if attempt == 0 else Reply(text="ok")

    async def go(url):
        async with ElaborationClient(endpoint(url, timeout_s=5)) as client:
            return await client.complete([{"role": "user", "content": "hi"}], Sampling())

    with OpenAIDouble(limited) as double:
        import time
        start = time.perf_counter()
        completion = asyncio.run(go(double.base_url))
        assert completion.text == "ok" and completion.attempts == 2
        assert time.perf_counter() - start >= 0.05  # waited (capped at backoff_max_s = 0.05)


def test_bad_request_is_not_retried():
    with OpenAIDouble(lambda u, a: Reply(kind="status", status=400)) as double:
        async def go():
            async with ElaborationClient(endpoint(double.base_url)) as client:
                return await client.complete([{"role": "user", "content": "x"}], Sampling())
        completion = asyncio.run(go())
        assert completion.text is None and "400" in completion.error and double.requests == 1


def test_sft_export_jsonl_and_parquet(store, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(store, root)
    with OpenAIDouble(lambda user, a: Reply(text=elaboration(skeleton_answer(user)))) as double:
        run_all(SergConfig(endpoint=endpoint(double.base_url), data_root=str(root)), root)
    n = export_sft(root, tmp_path / "sft.jsonl")
    lines = [json.loads(line) for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    assert n == len(lines) == 16
    first = lines[0]
    assert first["messages"][0]["content"][0] == {"type": "image"}
    assert first["messages"][1]["content"][0]["text"].startswith("<think>")
    assert (tmp_path / first["images"][0]).read_bytes()[:4] == b"\x89PNG"
    assert export_sft(root, tmp_path / "sft.parquet") == 16
    table = pq.read_table(tmp_path / "sft.parquet")
    assert table.num_rows == 16 and "messages" in table.column_names
    with pytest.raises(ValueError, match="jsonl or .parquet"):
        export_sft(root, tmp_path / "sft.csv")


def test_api_key_never_written(store, tmp_path, monkeypatch):
    secret = "sk-test-DO-NOT-LEAK-1234567890"
    monkeypatch.setenv("HELIX_TEST_KEY", secret)
    monkeypatch.setenv("HELIX_ALLOWED_KEY_ENVS", "HELIX_TEST_KEY")  # the operator's allow-list
    root = tmp_path / "root"
    shutil.copytree(store, root)
    with OpenAIDouble(lambda user, a: Reply(text=elaboration(skeleton_answer(user)))) as double:
        config = SergConfig(endpoint=endpoint(double.base_url, api_key_env="HELIX_TEST_KEY"),
                            data_root=str(root), tasks=["trapping_rain_water"])
        run_all(config, root)
    for path in root.rglob("*"):
        if path.is_file():
            assert secret.encode() not in path.read_bytes(), path


def test_a_failure_retried_later_reads_as_its_success(store, tmp_path):
    """Same trace id (same instance, model, prompt, sample, sampling) for the failed try and its
    later success: readers and compaction must keep the success."""
    from storage.maintenance import compact, writer_lock

    root = tmp_path / "root"
    shutil.copytree(store, root)
    down = True

    def flaky(user, attempt):
        return Reply(kind="status", status=503) if down else Reply(text=elaboration(skeleton_answer(user)))

    with OpenAIDouble(flaky) as double:
        config = SergConfig(endpoint=endpoint(double.base_url, max_retries=0), data_root=str(root),
                            tasks=["trapping_rain_water"], levels=[1], samples=2)
        run_all(config, root)  # both samples fail
        down = False
        run_all(config, root)  # sample 0 is asked again and accepted
    _, rows = query(root, "select sample, accepted, error = '' from traces where source = 'elaborated' order by all")
    assert rows == [(0, True, True)] * 4 + [(1, False, False)] * 4
    with writer_lock(root):
        compact(root, min_files=1)
    _, after = query(root, "select sample, accepted, error = '' from traces where source = 'elaborated' order by all")
    assert after == rows


# -- a misbehaving endpoint ---------------------------------------------------------------------

def _ask(url, **kw):
    async def go():
        async with ElaborationClient(endpoint(url, **kw)) as client:
            return await client.complete([{"role": "user", "content": "hi"}], Sampling())
    return asyncio.run(go())


@pytest.mark.parametrize("value", ["soon", "nan", "-5", "inf", "1e9", "", "Wed, 99 Foo 2026", "٣"])
def test_odd_retry_after_means_the_default_backoff(value):
    from serg.elaborate import retry_after

    class E:
        response = type("R", (), {"headers": {"retry-after": value}})()

    assert retry_after(E()) is None
    with OpenAIDouble(lambda u, a: Reply(kind="status", status=429, headers={"Retry-After": value})
                      if a == 0 else Reply(text="ok")) as double:
        completion = _ask(double.base_url, timeout_s=5)
    assert completion.text == "ok" and completion.attempts == 2


def test_retry_after_as_seconds_or_http_date_is_honoured_and_bounded():
    import email.utils

    from serg.elaborate import retry_after

    def asked(value):
        class E:
            response = type("R", (), {"headers": {"retry-after": value}})()
        return retry_after(E())

    assert asked("7") == 7.0 and asked("0") == 0.0
    soon = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 25 < asked(soon) <= 30
    assert asked(email.utils.formatdate(time.time() - 30, usegmt=True)) == 0.0
    client = ElaborationClient(endpoint("http://127.0.0.1:9/v1", backoff_max_s=2.0))

    class Later:
        response = type("R", (), {"headers": {"retry-after": "86400"}})()

    assert client._backoff(0, Later()) == 2.0  # a day asked, the operator's bound waited


def test_the_deadline_covers_the_whole_response():
    """A server sending one byte a second passes a per-read timeout forever."""
    with OpenAIDouble(lambda u, a: Reply(kind="trickle", text="x" * 50, delay=0.5)) as double:
        started = time.perf_counter()
        completion = _ask(double.base_url, timeout_s=1.5, max_retries=1)
        took = time.perf_counter() - started
    assert completion.text is None and "within 1.5 s" in completion.error
    assert took < 8


def test_oversized_responses_are_refused_not_stored():
    with OpenAIDouble(lambda u, a: Reply(text="y" * 3_000_000)) as double:
        completion = _ask(double.base_url, timeout_s=30, max_response_chars=1_000_000)
        assert completion.text is None and "refused" in completion.error
        assert double.requests == 1  # the same request would get the same answer: not retried
    with OpenAIDouble(lambda u, a: Reply(text="y" * 5000)) as double:
        completion = _ask(double.base_url, max_response_chars=1000)
        assert completion.text is None and "5,000 characters refused" in completion.error


def test_the_key_never_reaches_an_error_text(monkeypatch):
    secret = "sk-echo-THIS-MUST-NOT-APPEAR-42"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    for status in (500, 400):
        with OpenAIDouble(lambda u, a: Reply(kind="echo_auth", status=status)) as double:
            completion = _ask(double.base_url, max_retries=1)
        assert completion.text is None and "[redacted]" in completion.error
        assert secret not in completion.error


def test_operators_choose_which_keys_go_to_which_endpoints(monkeypatch):
    from serg.elaborate import Endpoint

    with pytest.raises(ValueError, match="not an allowed key variable"):
        Endpoint(base_url="http://127.0.0.1:8000/v1", model="m", api_key_env="AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("HELIX_ALLOWED_ENDPOINTS", "http://127.0.0.1:8000/,https://api.openai.com/")
    Endpoint(base_url="http://127.0.0.1:8000/v1", model="m")
    with pytest.raises(ValueError, match="not an allowed endpoint"):
        Endpoint(base_url="http://evil.example/v1", model="m")
    monkeypatch.setenv("HELIX_ALLOWED_KEY_ENVS", "MY_KEY")
    Endpoint(base_url="https://api.openai.com/v1", model="m", api_key_env="MY_KEY")
    with pytest.raises(ValueError, match="not an allowed key variable"):
        Endpoint(base_url="https://api.openai.com/v1", model="m")


@pytest.mark.parametrize("limit,workers,chunks", [(1, 2, 10), (3, 2, 10), (32, 2, 10), (5, 8, 3), (7, 3, 100)])
def test_in_flight_is_bounded_over_all_workers(limit, workers, chunks):
    from serg.elaborate import share_in_flight

    slots, per = share_in_flight(limit, workers, chunks)
    assert 1 <= slots <= min(workers, chunks) and slots * per <= limit and per >= 1


def test_a_misbehaving_endpoint_loses_no_answer_already_received(store, tmp_path):
    """One instance's requests get `429 Retry-After: soon` (which used to raise out of the client
    and fail the chunk), another's a body that never completes: every other answer is stored."""
    root = tmp_path / "root"
    shutil.copytree(store, root)
    seen = []

    def policy(user, attempt):
        seen.append(user)
        if user == seen[0]:
            return Reply(kind="status", status=429, headers={"Retry-After": "soon"})
        if len(set(seen)) == 2 and user == seen[-1] and seen.count(user) == 1:
            return Reply(kind="trickle", text="x" * 100, delay=1.0)
        return Reply(text=elaboration(skeleton_answer(user)))

    with OpenAIDouble(policy) as double:
        config = SergConfig(endpoint=endpoint(double.base_url, max_retries=1, timeout_s=2.0),
                            data_root=str(root), tasks=["trapping_rain_water"], levels=[1])
        _, results = run_all(config, root)
    _, rows = query(root, "select count(*), count(*) filter (where accepted), count(*) filter (where error <> '') "
                          "from traces where source = 'elaborated'")
    total, accepted, failed = rows[0]
    instances = query(root, "select count(*) from instances where task = 'trapping_rain_water' and level = 1")[1][0][0]
    assert total == instances and failed == 1 and accepted == instances - 1
