"""Traces: `helix serg` (LLM-elaborated traces through the serg flow, kept when verified) and
`helix sft-export` (accepted traces as an SFT dataset). Not named serg.py: that would shadow the
serg package for `python cli/main.py`, which puts this folder first on sys.path."""

from __future__ import annotations

import argparse
from pathlib import Path

from pydantic import ValidationError

from cli.util import UsageError, default_root, first_error, level, writable_root
from flows.prefect_api import prefect_api


def cmd_serg(args: argparse.Namespace) -> int:
    """Elaborate skeletons with an LLM endpoint (or answer directly), keep verifier-accepted traces."""
    from serg.elaborate import Endpoint, EndpointError, Sampling, preflight
    from serg.pipeline import SergConfig

    try:
        config = SergConfig(
            endpoint=Endpoint(base_url=args.base_url, model=args.model, api_key_env=args.api_key_env,
                              api_key_block=args.api_key_block, multimodal=args.multimodal,
                              max_in_flight=args.max_in_flight, timeout_s=args.timeout,
                              price_in_per_mtok=args.price_in, price_out_per_mtok=args.price_out),
            sampling=Sampling(temperature=args.temperature, top_p=args.top_p,
                              max_tokens=args.max_tokens),
            mode=args.mode, prompt_version=args.prompt_version, samples=args.samples,
            tasks=args.tasks or [], levels=args.levels or [1, 2, 3, 4, 5], split=args.split,
            limit=args.limit, data_root=args.data_root or default_root(), workers=args.workers,
            ray_address=args.ray_address)
    except ValidationError as error:
        raise UsageError(first_error(error)) from None
    from serg.pipeline import has_instances
    from storage.shards import resolve_root

    if not has_instances(resolve_root(config.data_root)):
        raise UsageError(f"no instances under {resolve_root(config.data_root)}: "
                         "run `helix run` or `helix generate` first")
    writable_root(config.data_root)
    try:
        preflight(config.endpoint)
    except EndpointError as error:
        raise UsageError(str(error)) from None
    from flows.elaborate import serg

    with prefect_api():
        result = serg(config)
    for cell in result["summary"]:
        p50 = cell["latency_p50_s"]
        print(f"{cell['task']:<34} L{cell['level']}  {cell['accepted']:>4}/{cell['traces']:<4} accepted  "
              f"{cell['failed_requests']:>3} failed  {cell['cache_hits']:>4} cached  "
              f"tokens {cell['tokens_in']}/{cell['tokens_out']}  p50 {p50 if p50 is None else round(p50, 2)} s")
    print(f"\nserg {result['run_id']}: {result['instances']} instances, {result['traces']} traces, "
          f"{result['accepted']} accepted, {result['failed_requests']} failed requests, "
          f"{result['cache_hits']} cache hits, {result['wall_seconds']:.1f} s")
    print(f"lengths plot: {result['plot']}")
    return 0


def cmd_sft_export(args: argparse.Namespace) -> int:
    from serg.export import export_sft
    from storage.shards import resolve_root

    try:
        n = export_sft(resolve_root(args.data_root), Path(args.out), sources=args.sources,
                       model=args.model, multimodal=not args.text_only)
    except ValueError as error:
        raise UsageError(str(error)) from None
    print(f"wrote {n} accepted traces to {args.out}")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    serg = sub.add_parser("serg", help="LLM-elaborated traces for stored instances (SERG), verified")
    serg.add_argument("--base-url", required=True, help="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8000/v1")
    serg.add_argument("--model", required=True, help="served model name")
    serg.add_argument("--api-key-env", default="OPENAI_API_KEY", help="environment variable with the key")
    serg.add_argument("--api-key-block", help="Prefect Secret block with the key")
    serg.add_argument("--multimodal", action="store_true", help="send pictures (else text-only questions)")
    serg.add_argument("--mode", choices=["elaborate", "direct"], default="elaborate")
    serg.add_argument("--prompt-version", help="template version (default per mode)")
    serg.add_argument("--samples", type=int, default=1, help="pass@k: samples until one is accepted")
    serg.add_argument("--max-in-flight", type=int, default=32, help="requests in flight in total")
    serg.add_argument("--timeout", type=float, default=600.0, help="per-request timeout, seconds")
    serg.add_argument("--temperature", type=float, default=0.7)
    serg.add_argument("--top-p", type=float, default=0.95)
    serg.add_argument("--max-tokens", type=int, default=8192)
    serg.add_argument("--price-in", type=float, help="USD per million prompt tokens (cost estimate)")
    serg.add_argument("--price-out", type=float, help="USD per million completion tokens")
    serg.add_argument("--tasks", nargs="+", metavar="TASK")
    serg.add_argument("--levels", nargs="+", type=level, metavar="L")
    serg.add_argument("--split", default="train")
    serg.add_argument("--limit", type=int, help="at most this many instances per task and level")
    serg.add_argument("--data-root")
    serg.add_argument("--workers", type=int, default=2, help="chunks in flight (Ray)")
    serg.add_argument("--ray-address")
    serg.set_defaults(func=cmd_serg)

    sft = sub.add_parser("sft-export", help="accepted traces as an SFT dataset (.jsonl or .parquet)")
    sft.add_argument("out", help="output file, .jsonl (pictures beside it) or .parquet (pictures inside)")
    sft.add_argument("--sources", nargs="+", default=["elaborated"],
                     choices=["elaborated", "direct", "skeleton"], help="trace sources to export")
    sft.add_argument("--model", help="only traces of this model")
    sft.add_argument("--text-only", action="store_true", help="text-only questions, no pictures")
    sft.add_argument("--data-root")
    sft.set_defaults(func=cmd_sft_export)
