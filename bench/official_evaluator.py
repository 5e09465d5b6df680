"""Judge a helix benchmark export with the official MM-HELIX evaluator (VLMEvalKit's
`vlmeval/dataset/utils/mmhelix`), read from a checkout of VLMEvalKit the user points at: helix
ships none of its code. Each row's own reference answer is given as the prediction; the report
says, per task, how many the official evaluator accepts, how many it rejects and how many make it
raise. With helix's official export every row should be accepted (or differ only where
docs/official-differences.md says the official evaluator is wrong).

    .venv/bin/helix benchmark build --per-level 6 --data-root /tmp/bench-root
    .venv/bin/helix benchmark export /tmp/helix.tsv --data-root /tmp/bench-root
    .venv/bin/python bench/official_evaluator.py /tmp/helix.tsv --vlmevalkit ~/src/VLMEvalKit

Only the mmhelix folder is loaded (by path, without VLMEvalKit's package __init__, which imports
its whole model zoo); it needs nothing beyond the standard library. The cell is handed to the
evaluator as VLMEvalKit's MM-HELIX dataset does: parsed as JSON (or a Python literal) where it
parses, the raw text otherwise."""

from __future__ import annotations

import argparse
import ast
import contextlib
import importlib
import io
import json
import random
import re
import sys
import types
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def load_metrics(checkout: Path) -> dict:
    base = checkout / "vlmeval" / "dataset" / "utils"
    if not (base / "mmhelix" / "metrics.py").exists():
        raise SystemExit(f"{checkout}: no vlmeval/dataset/utils/mmhelix/metrics.py (a VLMEvalKit checkout?)")
    # empty parent packages, so that importing mmhelix does not run VLMEvalKit's __init__ files
    for name, folder in (("vlmeval", checkout / "vlmeval"), ("vlmeval.dataset", checkout / "vlmeval" / "dataset"),
                         ("vlmeval.dataset.utils", base)):
        module = types.ModuleType(name)
        module.__path__ = [str(folder)]
        sys.modules[name] = module
    # metrics.py maps score_function names to evaluator classes; read that map with ast and import
    # each evaluator alone, so one evaluator's missing dependency (wordladder needs nltk's word
    # corpus) leaves the others usable and is reported for its rows
    tree = ast.parse((base / "mmhelix" / "metrics.py").read_text())
    where: dict[str, str] = {}
    table: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                where[alias.asname or alias.name] = node.module
        elif isinstance(node, ast.Assign) and isinstance(node.value, ast.Dict):
            for key, value in zip(node.value.keys, node.value.values):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Call) and isinstance(value.func, ast.Name):
                    table[key.value] = value.func.id
    metrics: dict = {}
    for name, cls in table.items():
        try:
            metrics[name] = getattr(importlib.import_module(where[cls]), cls)()
        except ImportError as error:
            metrics[name] = error
    return metrics


def cell(text: str):
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        return value if isinstance(value, (dict, list)) else text
    return text


_DIGIT = re.compile(r"\d")
_TOKEN = re.compile(r"[A-Za-z0-9]+")


def mutations(answer: str, k: int, rng: random.Random) -> list[str]:
    """Up to k near misses of an answer: one digit changed, two tokens swapped, or one token
    dropped (most are wrong; the point is that both judges say the same)."""
    out: list[str] = []
    for _ in range(k * 4):
        if len(out) >= k:
            break
        kind = rng.randrange(3)
        digits, tokens = list(_DIGIT.finditer(answer)), list(_TOKEN.finditer(answer))
        if kind == 0 and digits:
            m = rng.choice(digits)
            new = answer[:m.start()] + str((int(m.group()) + rng.randrange(1, 10)) % 10) + answer[m.end():]
        elif kind == 1 and len(tokens) >= 2:
            i = rng.randrange(len(tokens) - 1)
            a, b = tokens[i], tokens[i + 1]
            new = answer[:a.start()] + b.group() + answer[a.end():b.start()] + a.group() + answer[b.end():]
        elif kind == 2 and len(tokens) >= 2:
            m = rng.choice(tokens)
            new = answer[:m.start()] + answer[m.end():]
        else:
            continue
        if new != answer and new not in out:
            out.append(new)
    return out


def official_verdict(metric, prediction: str, reference: str, state) -> bool | str:
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return bool(metric.evaluate(prediction, reference, state))
    except Exception as error:  # the official evaluator raising stops its whole run there
        return f"{type(error).__name__}: {error}"[:160]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", help="a benchmark file in the published layout (.tsv, .jsonl, .parquet)")
    parser.add_argument("--vlmevalkit", required=True, type=Path, help="path of a VLMEvalKit checkout")
    parser.add_argument("--json", action="store_true", help="the per-task counts as JSON")
    parser.add_argument("--mutations", type=int, default=0, metavar="K",
                        help="also judge K near misses of each reference answer with both the "
                             "official evaluator and helix's verifier, and count disagreements")
    args = parser.parse_args(argv)
    from storage.exchange import official_names, read_published
    from verifiers import official
    from verifiers.registry import verify_answer

    tasks = official_names()
    rng = random.Random(0)

    metrics = load_metrics(args.vlmevalkit)
    rows = read_published(Path(args.file))
    tally: dict[str, Counter] = {}
    examples: dict[str, str] = {}
    for row in rows:
        name = json.loads(row.metric_info).get("score_function", "")
        counts = tally.setdefault(row.category, Counter())
        if name not in metrics:
            counts["unknown score_function"] += 1
            continue
        if isinstance(metrics[name], ImportError):
            counts["evaluator not loaded"] += 1
            examples.setdefault(row.category, f"{name}: {metrics[name]}")
            continue
        state = cell(row.initial_state)
        ok = official_verdict(metrics[name], row.answer, row.answer, state)
        if isinstance(ok, str):
            counts["raised"] += 1
            examples.setdefault(row.category, ok)
            continue
        counts["accepted" if ok else "rejected"] += 1
        if not ok:
            examples.setdefault(row.category, f"index {row.index}: rejected")
        if args.mutations:
            task = tasks[row.category]
            helix_state = official.to_helix(task, row.initial_state, row.question, row.answer,
                                            row.question_text)
            for near in mutations(row.answer, args.mutations, rng):
                theirs = official_verdict(metrics[name], near, row.answer, state)
                ours = verify_answer(task, helix_state, near).correct
                counts["near misses"] += 1
                if theirs is not ours:
                    # which judge accepts: "official only" are answers helix rejects
                    counts["disagree: official only" if theirs is True else
                           "disagree: helix only" if ours else "disagree: official raised"] += 1
                    examples.setdefault(f"{row.category} (disagree)",
                                        f"index {row.index}: {near[:60]!r} official {theirs}, helix {ours}")
    total = Counter()
    for counts in tally.values():
        total.update(counts)
    if args.json:
        print(json.dumps({"total": dict(total), "tasks": {k: dict(v) for k, v in sorted(tally.items())},
                          "examples": examples}, indent=1))
    else:
        print(f"{len(rows)} rows: " + ", ".join(f"{k} {v}" for k, v in sorted(total.items())))
        for category, counts in sorted(tally.items()):
            if set(counts) - {"accepted", "near misses"}:
                print(f"  {category:<32} {dict(counts)}  {examples.get(category, '')}"
                      f"  {examples.get(category + ' (disagree)', '')}")
    return 0 if set(total) <= {"accepted", "near misses"} else 1


if __name__ == "__main__":
    sys.exit(main())
