"""Hostile answers for every verifier, and the campaign that feeds them in bulk.

`hostile_response(rng, answer)` draws one model response from seven families built around the
true answer of an instance: random text, huge strings, deep nesting, unicode tricks, near misses
of the true answer (one edit away), answer-extraction traps (several / unclosed / nested boxes,
tags), and wrong-typed JSON. tests/test_hostile.py drives the same function with hypothesis
(`st.randoms()`, so failures shrink and replay); this script runs it at volume:

    .venv/bin/python bench/hostile.py --per-task 100000 [--level 5] [--tasks ...] [--workers 2]
    .venv/bin/python bench/hostile.py --extraction      # marker floods at 256 KB and 1 MB

For each task it generates a few instances at the level, draws `--per-task` responses, judges each
with `verify` (extraction + check) and, for half of them, the bare answer with `verify_answer`
(families in turn; `huge` only 1 in 100, at 10 KB, 100 KB or 1 MB), and counts verdicts by
status. `verifier_error` is an exception the verifier raised (caught by the registry's never-raise
wrapper): the goal is zero. It records the slowest verdict and the time of a 1 MB answer, as CPU
time of the judging process (on a shared machine wall time measures the neighbours). Results: `--out` JSON, and a Markdown table on stdout.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

FAMILIES = ("random_text", "huge", "nesting", "unicode", "near_miss", "extraction", "json_types")
CHEAP = tuple(f for f in FAMILIES if f != "huge")
MB = 1 << 20
UNICODE_TRAPS = ["\u0000", "\u200b", "\u200e", "\u202e", "\ufeff", "\u2028", "\u00a0", "\u3000",
                 "\ud800", "\udfff", "\U0001f600", "\u0301", "\uff11", "\u0661", "\u0969", "\u00b2",
                 "\u2153", "\u2460", "\u216b", "ǅ", "ß", "ﬁ", "İ", "\r", "\t", "\x1b[31m", "\\", "$"]
NUMBERS = ["0", "-0", "-1", "1.0", "1e309", "NaN", "nan", "inf", "-Infinity", "0x10", "1_000", "٣",
           "１２", "9" * 5000, "-" + "9" * 400, "1" * 4301, "0" * 300 + "1", "True", "None", "null"]
SEPARATORS = [",", ", ", ";", " ", "\n", "->", "-", "|", ":", "", "  ", "\t", "，"]
BRACKETS = ["()", "[]", "{}", "<>", '""', "''"]


def _random_text(rng: random.Random, size: int) -> str:
    kind = rng.randrange(4)
    if kind == 0:
        return "".join(rng.choice("0123456789,;()[]{} -\n") for _ in range(size))
    if kind == 1:
        return "".join(chr(rng.randrange(32, 127)) for _ in range(size))
    if kind == 2:
        return "".join(chr(rng.randrange(0, 0x110000)) for _ in range(size))  # lone surrogates too
    return " ".join(rng.choice(["Final", "Answer", "boxed", "\\boxed{", "}", "<answer>", "</answer>",
                                "Answer:", "yes", "no", "up", "left", "R", "U", "L", "D", "True"])
                    for _ in range(max(size // 4, 1)))


def _near_miss(rng: random.Random, answer: str) -> str:
    if not answer:
        return rng.choice(NUMBERS)
    text = answer
    for _ in range(rng.choice((1, 1, 1, 2, 3))):
        op = rng.randrange(12)
        i = rng.randrange(len(text)) if text else 0
        if op == 0 and text:  # delete a character
            text = text[:i] + text[i + 1:]
        elif op == 1:  # duplicate a slice
            j = rng.randrange(i, len(text) + 1)
            text = text[:j] + text[i:j] + text[j:]
        elif op == 2 and text:  # change one digit / letter
            ch = text[i]
            repl = (str((int(ch) + rng.randrange(1, 10)) % 10) if ch in "0123456789" else
                    ch.swapcase() if ch.isalpha() else rng.choice(SEPARATORS) or " ")
            text = text[:i] + repl + text[i + 1:]
        elif op == 3:  # swap two tokens
            tokens = text.replace(",", " , ").split()
            if len(tokens) > 1:
                a, b = rng.randrange(len(tokens)), rng.randrange(len(tokens))
                tokens[a], tokens[b] = tokens[b], tokens[a]
            text = " ".join(tokens).replace(" , ", ",")
        elif op == 4:  # truncate
            text = text[:i]
        elif op == 5:  # other separators
            text = text.replace(",", rng.choice(SEPARATORS)).replace(" ", rng.choice(SEPARATORS))
        elif op == 6:  # wrap in brackets / quotes
            pair = rng.choice(BRACKETS)
            text = pair[0] + text + pair[1]
        elif op == 7:  # a number made extreme or odd
            text = text[:i] + rng.choice(NUMBERS) + text[i + 1:]
        elif op == 8:  # repeat the whole answer
            text = rng.choice(SEPARATORS).join([text] * rng.randrange(2, 50))
        elif op == 9:  # unicode look-alikes
            text = text.translate({ord(d): 0xFF10 + int(d) for d in "0123456789"} if rng.random() < 0.5
                                  else {ord(","): "，", ord("-"): "−", ord(" "): "\u00a0"})
        elif op == 10:  # junk appended
            text = text + rng.choice(UNICODE_TRAPS + ["...", " (final)", " and more", ";", "\n\n"])
        else:  # upper / lower case
            text = text.upper() if rng.random() < 0.5 else text.lower()
    return text


def _nesting(rng: random.Random, answer: str) -> str:
    depth = rng.choice((50, 500, 5000, 100_000))
    pair = rng.choice(BRACKETS[:3])
    core = answer if rng.random() < 0.5 else rng.choice(NUMBERS[:5])
    if rng.random() < 0.5:
        return pair[0] * depth + core + pair[1] * depth
    return pair[0] * depth + core  # unbalanced


def _extraction(rng: random.Random, answer: str) -> str:
    forms = [
        f"\\boxed{{{answer}}} and then \\boxed{{{_near_miss(rng, answer)}}}",
        f"\\boxed{{{answer}",  # unclosed
        f"\\boxed{{\\boxed{{{answer}}}}}",
        "\\boxed{" * 2000 + answer,
        f"<answer>{answer}</answer><answer>{_near_miss(rng, answer)}",
        f"Answer: {answer}\nAnswer: {_near_miss(rng, answer)}",
        f"Final Answer: \\boxed{{{{}}{answer}}}",
        "Final Answer: \\boxed{}",
        f"Final Answer: \\boxed{{{answer}}}" + "}" * rng.randrange(1, 100),
        f"```\n{answer}\n```",
        "<answer>" + "<answer>" * 1000 + answer,
    ]
    return rng.choice(forms)


def _json_types(rng: random.Random, answer: str) -> str:
    values = [None, True, 1.5, -(10 ** 30), [], {}, [[[]]], {"a": [1, {"b": None}]}, "x" * 100,
              [answer], {"answer": answer}, [1] * 1000, float("nan")]
    return json.dumps(rng.choice(values)) if rng.random() < 0.9 else repr(rng.choice(values))


def hostile_answer(rng: random.Random, answer: str, family: str | None = None) -> str:
    """One hostile bare answer (what extraction would hand the checker)."""
    family = family or rng.choice(FAMILIES)
    if family == "random_text":
        return _random_text(rng, rng.choice((0, 1, 3, 10, 40, 200)))
    if family == "huge":
        kind = rng.randrange(4)
        size = rng.choice((10_000, 100_000, MB))
        if kind == 0:
            return (answer + rng.choice(SEPARATORS)) * max(size // max(len(answer) + 1, 1), 1)
        if kind == 1:
            return "9" * size
        if kind == 2:
            return _random_text(rng, min(size, 50_000)) * max(size // 50_000, 1)
        return ",".join(["1"] * (size // 2))
    if family == "nesting":
        return _nesting(rng, answer)
    if family == "unicode":
        traps = "".join(rng.choice(UNICODE_TRAPS) for _ in range(rng.randrange(1, 6)))
        i = rng.randrange(len(answer) + 1)
        return answer[:i] + traps + answer[i:]
    if family == "near_miss":
        return _near_miss(rng, answer)
    if family == "extraction":
        return _extraction(rng, answer)
    return _json_types(rng, answer)


def hostile_response(rng: random.Random, answer: str, family: str | None = None) -> str:
    """A whole model response around a hostile answer (or the bare trap itself)."""
    body = hostile_answer(rng, answer, family)
    frame = rng.randrange(5)
    if frame == 0:
        return f"Let me think.\nFinal Answer: \\boxed{{{body}}}"
    if frame == 1:
        return f"<answer>{body}</answer>"
    if frame == 2:
        return f"reasoning...\nAnswer: {body}"
    if frame == 3:
        return body
    return f"{_random_text(rng, 30)}\\boxed{{{body}}}{_random_text(rng, 30)}"


def instances(task_name: str, level: int, n: int, seed: int) -> list[tuple[dict, str]]:
    from generators import registry
    from common.hashing import canonical_json
    from generators.base import make_instance

    task = registry.get(task_name)
    out = []
    for index in range(n):
        inst = make_instance(task, level, "val", 900_000 + index, seed)
        out.append((json.loads(canonical_json(inst.initial_state)), inst.solution.answer))
    return out


def campaign(task_name: str, per_task: int, level: int, seed: int) -> dict:
    from verifiers.registry import verify, verify_answer

    rng = random.Random(f"{seed}:{task_name}")
    made = instances(task_name, level, 4, seed)
    statuses: dict[str, int] = {}
    errors: list[str] = []
    slowest, slowest_family, times = 0.0, "", []
    for n in range(per_task):
        state, answer = made[n % len(made)]
        # every family in turn, except the costly `huge` one: 1 in 100 (1 MB answers are timed
        # separately below; at 1 in 7 they would dominate the campaign's hours)
        family = "huge" if n % 100 == 99 else CHEAP[n % len(CHEAP)]
        bare = n % 2 == 1
        text = hostile_answer(rng, answer, family) if bare else hostile_response(rng, answer, family)
        t0 = time.process_time()
        try:
            verdict = verify_answer(task_name, state, text) if bare else verify(task_name, state, text)
            status = verdict.status
            if status == "verifier_error" and len(errors) < 5:
                errors.append(f"{family}: {verdict.reason[:200]}")
        except Exception as error:  # the registry promises never to raise: count it loudly
            status = "raised"
            if len(errors) < 5:
                errors.append(f"{family}: raised {type(error).__name__}: {error}"[:200])
        dt = time.process_time() - t0
        times.append(dt)
        if dt > slowest:
            slowest, slowest_family = dt, family
        statuses[status] = statuses.get(status, 0) + 1
    state, answer = made[0]
    megabyte = (answer + " ") * (MB // (len(answer) + 1) + 1)
    t0 = time.process_time()
    verify(task_name, state, f"Final Answer: \\boxed{{{megabyte}}}")
    verify_answer(task_name, state, megabyte)
    one_mb = (time.process_time() - t0) / 2
    return {"task": task_name, "verdicts": per_task, "statuses": statuses,
            "exceptions": statuses.get("verifier_error", 0) + statuses.get("raised", 0),
            "errors": errors, "max_s": round(slowest, 4), "slowest_family": slowest_family,
            "median_us": round(1e6 * statistics.median(times), 1), "one_mb_s": round(one_mb, 4)}


# extraction traps at a given size: each family repeats one marker that used to cost a scan (or a
# copy) per occurrence
EXTRACTION_TRAPS = {
    "answer_lines": "Answer:\n",
    "final_answer_lines": "Final Answer: \n",
    "unclosed_answer_tags": "<answer>",
    "closed_answer_tags": "<answer>x</answer>",
    "nested_boxed_unclosed": "\\boxed{",
    "boxed_then_brace": "\\boxed{{}",
    "complete_boxes": "\\boxed{1} ",
    "open_braces": "{",
    "answer_then_brackets": "Answer: [",
    "answer_then_fence": "Answer: ```x\n",
    "fences": "```\n",
}


def extraction_traps(sizes: list[int], task: str = "h_index") -> list[dict]:
    """CPU seconds and peak traced memory of `verify` on each trap family at each size (the
    nested-and-closed box family too: half openings, half closings)."""
    import tracemalloc

    from verifiers.registry import verify

    state = {"citations": [3, 0, 6, 1, 5]}
    verify(task, state, "\\boxed{" * 10 + "}" * 10 + "\\boxed{1}" + "x" * 5000)  # imports, warm-up
    rows = []
    for size in sizes:
        texts = {name: (unit * (size // len(unit) + 1))[:size] for name, unit in EXTRACTION_TRAPS.items()}
        texts["nested_boxed_closed"] = "\\boxed{" * (size // 16) + "}" * (size // 16)
        texts["boxed_text_wrappers"] = "\\boxed{" + "\\text{" * (size // 8) + "x" + "}" * (size // 8 + 1)
        for name, text in texts.items():
            start = time.process_time()
            verdict = verify(task, state, text)
            cpu = time.process_time() - start
            tracemalloc.start()
            verify(task, state, text)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            rows.append({"family": name, "chars": len(text), "cpu_s": round(cpu, 4),
                         "peak_mib": round(peak / MB, 1), "status": verdict.status})
    return rows


def _job(args: tuple) -> dict:
    return campaign(*args)


def main() -> None:
    from generators import registry

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--per-task", type=int, default=100_000)
    parser.add_argument("--level", type=int, default=5)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--tasks", nargs="+")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="/tmp/helix-hostile.json")
    parser.add_argument("--extraction", action="store_true",
                        help="only the extraction traps at 256 KB and 1 MB: CPU time and peak memory")
    args = parser.parse_args()
    if args.extraction:
        rows = extraction_traps([256 * 1024, MB])
        print("| family | characters | CPU s | peak MiB | verdict |\n|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['family']} | {r['chars']:,} | {r['cpu_s']:.3f} | {r['peak_mib']} | {r['status']} |")
        Path(args.out).write_text(json.dumps(rows, indent=2))
        return
    tasks = args.tasks or registry.names()
    started = time.perf_counter()
    with multiprocessing.get_context("spawn").Pool(args.workers) as pool:
        results = []
        for result in pool.imap_unordered(_job, [(t, args.per_task, args.level, args.seed) for t in tasks]):
            results.append(result)
            print(f"{result['task']:<34} {result['verdicts']:>8} verdicts  exceptions {result['exceptions']}"
                  f"  max {result['max_s']:.3f} s ({result['slowest_family']})  1 MB {result['one_mb_s']:.3f} s",
                  flush=True)
    wall = time.perf_counter() - started
    results.sort(key=lambda r: r["task"])
    total = {"tasks": len(results), "verdicts": sum(r["verdicts"] for r in results),
             "exceptions": sum(r["exceptions"] for r in results),
             "max_s": max(r["max_s"] for r in results), "max_one_mb_s": max(r["one_mb_s"] for r in results),
             "wall_s": round(wall, 1), "workers": args.workers, "level": args.level}
    Path(args.out).write_text(json.dumps({"total": total, "tasks": results}, indent=2))
    print(f"\n{total}")


if __name__ == "__main__":
    main()
