"""Evaluation end to end: a hand-made table in the published layout scored from a predictions file,
and the `evaluate` flow (real Prefect, in-process executor) against a real HTTP server speaking the
OpenAI API with a scripted model; every reported number is checked."""

import base64
import csv
import io
import json
import threading

import pytest
from PIL import Image as PILImage
from prefect.testing.utilities import prefect_test_harness

from cli.main import main
from pipelines.eval_report import report, score_predictions
from serg.elaborate import Endpoint
from serg.prompting import data_url
from storage.catalog import query
from storage.exchange import ExchangeError, load_benchmark, read_instances
from tests.openai_double import OpenAIDouble, Reply
from tests.test_exchange import build_store


@pytest.fixture(scope="module")
def prefect():
    with prefect_test_harness(server_startup_timeout=120):
        yield


def png() -> str:
    buffer = io.BytesIO()
    PILImage.new("RGB", (3, 3), (0, 90, 200)).save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def iso(g1, g2, n=4):
    return json.dumps({"graph1": {"nodes": n, "edges": g1}, "graph2": {"nodes": n, "edges": g2}})


TRIANGLE_TAIL = [[0, 1], [1, 2], [2, 0], [2, 3]]
STAR = [[0, 1], [0, 2], [0, 3]]
# (index, official category, difficulty, initial_state, answer); isomorphism states carry no pair_id,
# as published files may not: consecutive rows of the task form the pairs
HAND_TABLE = [
    (0, "trapping_rain_water", 1, json.dumps({"height": [3, 0, 2, 0, 4]}), "7"),
    (1, "trapping_rain_water", 2, json.dumps({"height": [4, 2, 0, 3, 2, 5]}), "9"),
    (2, "HIndex", 1, json.dumps({"citations": [3, 0, 6, 1, 5]}), "3"),
    (3, "HIndex", 1, json.dumps({"citations": [10, 8, 5, 4, 3]}), "4"),
    (4, "graph_isomorphism", 1, iso(TRIANGLE_TAIL, [[3, 2], [2, 1], [1, 3], [1, 0]]), "Yes"),
    (5, "graph_isomorphism", 1, iso(TRIANGLE_TAIL, [[0, 1], [1, 2], [2, 3], [3, 0]]), "No"),
    (6, "graph_isomorphism", 1, iso(STAR, [[3, 0], [3, 1], [3, 2]]), "Yes"),
    (7, "graph_isomorphism", 1, iso(STAR, [[0, 1], [1, 2], [2, 3]]), "No"),
]
# one answer style per row: boxed, answer tags, Final Answer line, nothing parsable, ...
PREDICTIONS = [
    (0, "The pools hold 3 + 1 + 3.\n\\boxed{7}"),                   # right
    (1, "Summing the pools.\n<answer>9</answer>"),                    # right
    (2, "Three papers have at least two citations...\nFinal Answer: 2"),  # wrong
    (3, "I think it is about four."),                                 # unparsable
    (4, "Same degree sequence and a relabelling works: \\boxed{Yes}"),  # right
    (5, "<answer>\\boxed{No}</answer>"),                              # right: pair 4-5 right
    (6, "Answer: Yes"),                                               # right
    (7, "Both are trees on four nodes, so \\boxed{Yes}"),             # wrong: pair 6-7 wrong
]


def write_hand_table(path):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t")
        writer.writerow(["index", "category", "question", "question_text", "answer", "difficulty",
                         "initial_state", "metric_info", "image"])
        for index, category, level, state, answer in HAND_TABLE:
            image = json.dumps([png(), png()]) if category == "graph_isomorphism" else png()
            writer.writerow([index, category, f"Question {index} (see the picture).",
                             f"Question {index}: {state}", answer, level, state,
                             json.dumps({"score_function": "exact_match"}), image])


def test_hand_made_published_table_scored_from_a_predictions_file(tmp_path, capsys):
    root = tmp_path / "root"
    table = tmp_path / "published.tsv"
    write_hand_table(table)
    assert main(["benchmark", "import", str(table), "--name", "hand", "--data-root", str(root)]) == 0
    assert "imported 8 rows (8 distinct instances, 3 tasks)" in capsys.readouterr().out
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"index": i, "response": r}) + "\n" for i, r in PREDICTIONS))

    rows, shards = score_predictions(root, preds, "hand", "other-harness", "image")
    verdicts = {r.index: (r.correct, r.status, r.parsed) for r in rows}
    assert verdicts == {0: (True, "ok", "7"), 1: (True, "ok", "9"), 2: (False, "wrong", "2"),
                        3: (False, "unparsable", None), 4: (True, "ok", "Yes"), 5: (True, "ok", "No"),
                        6: (True, "ok", "Yes"), 7: (False, "wrong", "Yes")}
    assert len(shards) == 4  # one per task and level
    [r] = report(root, "hand")
    assert (r.model, r.mode, r.rows) == ("other-harness", "image", 8)
    assert r.tasks["trapping_rain_water"].accuracy == 1.0
    assert r.tasks["h_index"].accuracy == 0.0
    iso_score = r.tasks["isomorphism"]
    assert (iso_score.units, iso_score.units_correct, iso_score.correct, iso_score.accuracy) == (2, 1, 3, 0.5)
    assert r.by_category == {"algorithms": 0.5, "graphs": 0.5}
    assert r.overall == 0.5  # mean of the three task accuracies 1, 0, 0.5
    assert r.by_level == {1: 0.5, 2: 1.0}
    assert r.statuses == {"ok": 5, "wrong": 2, "unparsable": 1}

    # the CLI: same numbers, no second copy stored, verdicts written per line
    out = tmp_path / "verdicts.jsonl"
    assert main(["eval", "score", str(preds), "--benchmark", "hand", "--model", "other-harness",
                 "--data-root", str(root), "--json", "--out", str(out), "--no-store"]) == 0
    scored = json.loads(capsys.readouterr().out)
    assert scored["overall"] == 0.5 and scored["by_level"] == {"1": 0.5, "2": 1.0}
    assert [json.loads(line)["correct"] for line in out.read_text().splitlines()] == \
        [True, True, False, False, True, True, True, False]
    _, [(n,)] = query(root, "select count(*) from evals")
    assert n == 8

    # bad predictions: the line is named
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"index": 0, "response": "x"}\n{"index": 99, "response": "y"}\n')
    with pytest.raises(ExchangeError, match="index 99 is not in benchmark 'hand'"):
        score_predictions(root, bad, "hand", "m", "image")
    bad.write_text('{"index": 0, "response": "x"}\n{"response": "y"}\n')
    assert main(["eval", "score", str(bad), "--data-root", str(root)]) == 2
    assert "bad.jsonl line 2: missing 'index'" in capsys.readouterr().err


# -- the evaluate flow against the scripted model ---------------------------------------------

# benchmark order: trapping_rain_water L1 (0, 1), L2 (2, 3); isomorphism pairs L1 (4, 5), L2 (6, 7)
SCRIPT = {  # (index, mode) -> behaviour; anything not listed is answered right
    (2, "text"): "wrong", (7, "text"): "wrong",
    (1, "image"): "unparsable", (3, "image"): "always_500", (0, "image"): "429_then_right",
}


_request = threading.local()


class RecordingBodies(list):
    """The double appends each request body in the thread that then asks the policy: keeping it
    thread-locally lets the scripted model see the pictures (the policy gets only the text)."""

    def append(self, body):
        _request.body = body
        super().append(body)


class Model:
    """The scripted model: recognises the instance by the text-only question or by the pictures."""

    def __init__(self, root):
        bench = load_benchmark(root, "small")
        rows = read_instances(root, bench.ids(), ["id", "question_text", "answer", "images"])
        self.by_text = {rows[m.id]["question_text"]: (m.index, rows[m.id]["answer"]) for m in bench.members}
        self.by_image = {tuple(data_url(im["bytes"]) for im in rows[m.id]["images"]):
                         (m.index, rows[m.id]["answer"]) for m in bench.members}
        self.attempts: dict[tuple[int, str], int] = {}
        self.lock = threading.Lock()

    def __call__(self, user: str, attempt: int) -> Reply:
        content = _request.body["messages"][-1]["content"]
        if isinstance(content, list):
            urls = tuple(part["image_url"]["url"] for part in content if part["type"] == "image_url")
            (index, answer), mode = self.by_image[urls], "image"
        else:
            (index, answer), mode = next(v for q, v in self.by_text.items() if q in user), "text"
        with self.lock:  # the double counts attempts by text; image prompts of a task share theirs
            attempt = self.attempts.get((index, mode), 0)
            self.attempts[(index, mode)] = attempt + 1
        kind = SCRIPT.get((index, mode), "right")
        if kind == "always_500":
            return Reply(kind="status", status=500)
        if kind == "429_then_right" and attempt == 0:
            return Reply(kind="status", status=429, headers={"Retry-After": "0.05"})
        if kind == "unparsable":
            return Reply(text="Let me think about the bars... I am not sure.")
        if kind == "wrong":
            answer = {"Yes": "No", "No": "Yes"}.get(answer) or str(int(answer) + 1)
        return Reply(text=f"Working through it step by step.\n\\boxed{{{answer}}}")


def test_evaluate_flow_scripted_model_report_number_by_number(prefect, tmp_path, capsys):
    from flows.evaluate import evaluate
    from pipelines.evaluate import ANSWER_SUFFIX, EvalConfig

    root = tmp_path / "root"
    members = build_store(root, tasks=("trapping_rain_water", "isomorphism"), levels=(1, 2), per_level=2)
    assert [(m.task, m.level) for m in members] == [("trapping_rain_water", 1)] * 2 + \
        [("trapping_rain_water", 2)] * 2 + [("isomorphism", 1)] * 2 + [("isomorphism", 2)] * 2
    with OpenAIDouble(Model(root), models=("double-7b", "double-b")) as double:
        double.seen_bodies = RecordingBodies()
        endpoint = Endpoint(base_url=double.base_url, model="double-7b", max_in_flight=4,
                            timeout_s=5, max_retries=1, backoff_base_s=0.01, backoff_max_s=0.05)
        config = EvalConfig(endpoint=endpoint, data_root=str(root), executor="local")
        result = evaluate(config)
        assert (result["answers"], result["correct"], result["failed_requests"]) == (16, 12, 1)
        # 16 answers + one 429 retry + two tries of the always-500
        assert double.requests == 18 and double.max_in_flight <= 4
        first = double.seen_bodies[0]
        assert first["temperature"] == 0.0 and first["max_tokens"] == 8192  # the standard preset
        image = next(b for b in double.seen_bodies if isinstance(b["messages"][-1]["content"], list))
        parts = image["messages"][-1]["content"]
        assert parts[0]["image_url"]["url"].startswith("data:image/png;base64,")
        assert parts[-1]["text"].endswith(ANSWER_SUFFIX)

        text, img = (next(r for r in result["reports"] if r["mode"] == m) for m in ("text", "image"))
        assert text["tasks"]["trapping_rain_water"]["accuracy"] == 0.75
        assert text["tasks"]["trapping_rain_water"]["by_level"] == {1: 1.0, 2: 0.5}
        assert (text["tasks"]["isomorphism"]["units"], text["tasks"]["isomorphism"]["units_correct"]) == (2, 1)
        assert text["by_category"] == {"algorithms": 0.75, "graphs": 0.5}
        assert text["overall"] == 0.625 and text["by_level"] == {1: 1.0, 2: 0.25}
        assert img["tasks"]["trapping_rain_water"]["accuracy"] == 0.5
        assert img["tasks"]["isomorphism"]["accuracy"] == 1.0
        assert img["overall"] == 0.75 and img["by_level"] == {1: 0.75, 2: 0.75}
        assert img["statuses"] == {"ok": 6, "unparsable": 2} and img["failed_requests"] == 1
        assert "| double-7b | 75.0 | 50.0 | 50.0 | 100.0 | - | - | - | - | 62.5 | 75.0 |" in result["markdown"]
        assert all(p.endswith(".png") and (root / "reports").exists() for p in result["plots"])
        _, rows = query(root, "select mode, count(*), sum(tokens_out) > 0, bool_and(latency_s >= 0) "
                              "from evals group by mode order by mode")
        assert rows == [("image", 8, True, True), ("text", 8, True, True)]

        # a rerun asks only for the failed request (the rest is answered; the cache holds it)
        again = evaluate(config)
        assert again["answers"] == 1 and double.requests == 20
        _, [(n,)] = query(root, "select count(*) from evals")
        assert n == 16  # the same failure again: the same row id, stored once

        # a second model from the CLI (text only), then both side by side from the store
        assert main(["eval", "run", "--local", "--base-url", double.base_url, "--model", "double-b",
                     "--modes", "text", "--preset", "thinking", "--data-root", str(root)]) == 0
        assert double.seen_bodies[-1]["temperature"] == 0.6
        assert double.seen_bodies[-1]["max_tokens"] == 32768
        capsys.readouterr()
        assert main(["eval", "report", "--models", "double-7b,double-b", "--data-root", str(root)]) == 0
        out = capsys.readouterr().out
        assert "| double-7b | 75.0 | 50.0 | 50.0 | 100.0 | - | - | - | - | 62.5 | 75.0 |" in out
        assert "| double-b | 75.0 | - | 50.0 | - | - | - | - | - | 62.5 | - |" in out
        assert list((root / "reports").glob("compare-*-gap.png"))
        assert main(["eval", "report", "--models", "nobody", "--data-root", str(root)]) == 2
        assert "no evaluation rows for model 'nobody'" in capsys.readouterr().err


def test_score_reports_verifier_errors_apart_from_wrong_answers(tmp_path, capsys, monkeypatch):
    import verifiers.registry as registry

    root = tmp_path / "root"
    table = tmp_path / "published.tsv"
    write_hand_table(table)
    assert main(["benchmark", "import", str(table), "--name", "hand", "--data-root", str(root)]) == 0
    preds = tmp_path / "preds.jsonl"
    preds.write_text("".join(json.dumps({"index": i, "response": r}) + "\n" for i, r in PREDICTIONS))
    registry._load()
    real = registry._CHECKERS["h_index"]

    def broken(state, answer):  # a verifier bug, as a state shape it does not expect would cause
        raise KeyError("citations")

    monkeypatch.setitem(registry._CHECKERS, "h_index", broken)
    capsys.readouterr()
    assert main(["eval", "score", str(preds), "--benchmark", "hand", "--model", "m",
                 "--data-root", str(root), "--no-store"]) == 0
    captured = capsys.readouterr()
    assert "5 right, 1 wrong, 1 without a readable answer, 1 verifier errors" in captured.out
    assert "1 responses could not be judged (verifier error" in captured.err and "KeyError" in captured.err
    monkeypatch.setitem(registry._CHECKERS, "h_index", real)
