"""`helix eval run|report|score`: evaluate a model on a stored benchmark, compare models from the
store, and judge predictions made by other harnesses with helix's verifiers."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from pydantic import ValidationError

from cli.util import Parser, UsageError, first_error, level
from flows.prefect_api import prefect_api


def _models(text: str) -> list[str]:
    models = [m.strip() for m in text.split(",") if m.strip()]
    if not models:
        raise argparse.ArgumentTypeError("give model names separated by commas")
    return models


def _print_reports(reports, root: Path, stem: str, out: str | None) -> None:
    from pipelines.eval_report import markdown, plots

    text = markdown(reports)
    print(text)
    folder = Path(out) if out else root / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{stem}.md").write_text(text)
    (folder / f"{stem}.json").write_text(json.dumps([r.model_dump() for r in reports], indent=1))
    paths = plots(reports, folder, stem)
    print(f"report: {folder / f'{stem}.md'} (+ .json)")
    for p in paths:
        print(f"plot:   {p}")


def cmd_run(args) -> int:
    from pipelines.evaluate import EvalConfig
    from serg.elaborate import Endpoint, EndpointError, Sampling, preflight
    from storage.exchange import ExchangeError, load_benchmark
    from storage.shards import DataRootError, ensure_writable, resolve_root

    try:
        endpoint = Endpoint(base_url=args.base_url, model=args.model, api_key_env=args.api_key_env,
                            api_key_block=args.api_key_block, multimodal="image" in args.modes,
                            max_in_flight=args.max_in_flight, timeout_s=args.timeout)
        sampling = None
        if args.temperature is not None or args.max_tokens is not None or args.top_p is not None:
            from pipelines.evaluate import PRESETS

            base = PRESETS[args.preset]
            sampling = Sampling(
                temperature=base.temperature if args.temperature is None else args.temperature,
                top_p=base.top_p if args.top_p is None else args.top_p,
                max_tokens=base.max_tokens if args.max_tokens is None else args.max_tokens)
        config = EvalConfig(
            endpoint=endpoint, benchmark=args.benchmark, modes=args.modes, preset=args.preset,
            sampling=sampling, tasks=args.tasks or [], levels=args.levels or [1, 2, 3, 4, 5],
            limit=args.limit, data_root=str(resolve_root(args.data_root)),
            executor="local" if args.local else "ray", workers=args.workers,
            ray_address=args.ray_address)
    except ValidationError as error:
        raise UsageError(first_error(error)) from None
    root = resolve_root(config.data_root)
    try:
        ensure_writable(root)
        load_benchmark(root, config.benchmark)
    except (DataRootError, ExchangeError) as error:
        raise UsageError(str(error)) from None
    try:
        preflight(config.endpoint)
    except EndpointError as error:
        raise UsageError(str(error)) from None
    from flows.evaluate import evaluate

    started = time.perf_counter()
    with prefect_api():
        result = evaluate(config)
    print()
    print(result["markdown"])
    print(f"evaluate {result['run_id']}: {result['answers']} answers ({result['correct']} correct, "
          f"{result['failed_requests']} failed requests, {result['cache_hits']} from the cache) "
          f"in {time.perf_counter() - started:.1f} s")
    print(f"report: {result['report']}")
    for p in result["plots"]:
        print(f"plot:   {p}")
    return 0


def cmd_report(args) -> int:
    from pipelines.eval_report import report
    from storage.exchange import ExchangeError
    from storage.shards import resolve_root

    root = resolve_root(args.data_root)
    try:
        reports = report(root, args.benchmark, args.models)
    except ExchangeError as error:
        raise UsageError(str(error)) from None
    if not reports:
        raise UsageError(f"no evaluation rows under {root}: run `helix eval run` or `helix eval score`")
    if args.json:
        print(json.dumps([r.model_dump() for r in reports]))
        return 0
    stem = "compare-" + "-".join(dict.fromkeys(r.model.replace("/", "_") for r in reports))[:80]
    _print_reports(reports, root, stem, args.out)
    return 0


def cmd_score(args) -> int:
    from pipelines.eval_report import rows_as_dicts, score_mode, score_predictions
    from storage.exchange import ExchangeError, load_benchmark
    from storage.shards import DataRootError, ensure_writable, resolve_root

    root = resolve_root(args.data_root)
    model = args.model or Path(args.file).stem
    started = time.perf_counter()
    try:
        if not args.no_store:
            ensure_writable(root)
        bench = load_benchmark(root, args.benchmark)
        rows, _ = score_predictions(root, Path(args.file), bench.name, model, args.mode,
                                    store=not args.no_store)
    except (ExchangeError, DataRootError) as error:
        raise UsageError(str(error)) from None
    from pipelines.eval_report import benchmark_pairs

    result = score_mode(rows_as_dicts(rows), model=model, mode=args.mode, benchmark=bench,
                        pair_members=benchmark_pairs(root, bench))
    seconds = time.perf_counter() - started
    if args.out:
        with open(args.out, "w", encoding="utf-8") as handle:
            for r in rows:
                handle.write(json.dumps({"index": r.index, "task": r.task, "level": r.level,
                                         "correct": r.correct, "status": r.status, "parsed": r.parsed,
                                         "reason": r.reason}, ensure_ascii=False) + "\n")
    if args.json:
        print(json.dumps(result.model_dump()))
    else:
        _print_reports([result], root, f"score-{model.replace('/', '_')}-{args.mode}", None)
        counts = {s: sum(r.status == s for r in rows) for s in ("ok", "wrong", "unparsable", "verifier_error")}
        print(f"scored {len(rows)} responses in {seconds:.2f} s: {counts['ok']} right, {counts['wrong']} "
              f"wrong, {counts['unparsable']} without a readable answer, {counts['verifier_error']} "
              "verifier errors" + ("" if args.no_store else " (stored in the evals table)"))
    errors = [r for r in rows if r.status == "verifier_error"]
    if errors:  # helix's fault, not the model's: never folded into "wrong"
        print(f"helix: warning: {len(errors)} responses could not be judged (verifier error, counted as "
              f"not correct; first: index {errors[0].index}, {errors[0].task}: {errors[0].reason[:200]})",
              file=sys.stderr)
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    ev = sub.add_parser("eval", help="evaluate models on a benchmark and report")
    commands = ev.add_subparsers(dest="eval_command", required=True, parser_class=Parser)

    run = commands.add_parser("run", help="evaluate flow: a model behind an OpenAI-compatible endpoint")
    run.add_argument("--base-url", required=True, help="e.g. http://127.0.0.1:8000/v1 (vllm serve)")
    run.add_argument("--model", required=True, help="served model name")
    run.add_argument("--benchmark", help="benchmark name (default: the only one stored)")
    run.add_argument("--modes", nargs="+", choices=["image", "text"], default=["image", "text"])
    run.add_argument("--preset", choices=["thinking", "standard"], default="standard",
                     help="thinking: 32,768 new tokens at T=0.6; standard: 8,192 at T=0 (the paper's)")
    run.add_argument("--temperature", type=float, help="override the preset")
    run.add_argument("--top-p", type=float, help="override the preset")
    run.add_argument("--max-tokens", type=int, help="override the preset")
    run.add_argument("--api-key-env", default="OPENAI_API_KEY")
    run.add_argument("--api-key-block", help="Prefect Secret block with the key")
    run.add_argument("--max-in-flight", type=int, default=32, help="requests in flight in total")
    run.add_argument("--timeout", type=float, default=1800.0, help="per-request timeout, seconds")
    run.add_argument("--tasks", nargs="+", metavar="TASK")
    run.add_argument("--levels", nargs="+", type=level, metavar="L")
    run.add_argument("--limit", type=int, help="at most this many instances per task and level")
    run.add_argument("--workers", type=int, default=2, help="chunks in flight (Ray)")
    run.add_argument("--local", action="store_true", help="run in this process (no Ray)")
    run.add_argument("--ray-address")
    run.add_argument("--data-root")
    run.set_defaults(func=cmd_run)

    rep = commands.add_parser("report", help="accuracy tables and plots from the store, models side by side")
    rep.add_argument("--models", type=_models, help="comma-separated model names (default: all)")
    rep.add_argument("--benchmark", help="benchmark name (default: the only one stored)")
    rep.add_argument("--out", help="folder for the .md, .json and PNGs (default <data root>/reports)")
    rep.add_argument("--json", action="store_true", help="the reports as JSON on stdout")
    rep.add_argument("--data-root")
    rep.set_defaults(func=cmd_report)

    score = commands.add_parser("score", help="judge a JSONL of {index, response} made elsewhere")
    score.add_argument("file", help="JSONL, one {\"index\": ..., \"response\": ...} per line")
    score.add_argument("--benchmark", help="benchmark the indices refer to (default: the only one)")
    score.add_argument("--model", help="name to store the rows under (default: the file name)")
    score.add_argument("--mode", choices=["image", "text"], default="image")
    score.add_argument("--out", help="write one verdict per line (JSONL)")
    score.add_argument("--no-store", action="store_true", help="do not store the rows")
    score.add_argument("--json", action="store_true", help="the report as JSON on stdout")
    score.add_argument("--data-root")
    score.set_defaults(func=cmd_score)
