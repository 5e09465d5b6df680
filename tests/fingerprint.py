"""Fingerprints of every task's output, for the determinism tests and for version bumps.

A task's fingerprint hashes what it makes for levels 1..5, indices 0..1 of one seed: instance id,
official state, answer, recorded steps, effort, both questions and the decoded pixels of its
pictures (pixels, not PNG bytes: a different zlib may pack the same picture differently).
`tests/fingerprints.json` records the fingerprint of each task's current version; a change to
generate/solve/render that changes output without bumping `version` fails
tests/test_determinism.py.

    python -m tests.fingerprint            # print the fingerprints as JSON
    python -m tests.fingerprint --update   # record them (after bumping the changed tasks' versions)
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path

from PIL import Image

from generators import registry as generators
from generators.base import LEVELS, make_instance

SEED = 20261121
INDICES = (0, 1)
RECORDED = Path(__file__).with_name("fingerprints.json")


def task_fingerprint(name: str) -> dict:
    task = generators.get(name)
    digest = hashlib.blake2b(digest_size=12)
    for level in LEVELS:
        for index in INDICES:
            inst = make_instance(task, level, "train", index, SEED)
            record = {
                "id": inst.id, "state": inst.initial_state, "answer": inst.solution.answer,
                "steps": [s.model_dump() for s in inst.solution.steps],
                "num_solutions": inst.solution.num_solutions, "effort": inst.solution.effort,
                "questions": [inst.question_image, inst.question_text],
            }
            digest.update(json.dumps(record, sort_keys=True, ensure_ascii=False).encode())
            for png in inst.images:
                picture = Image.open(io.BytesIO(png))
                digest.update(f"{picture.mode}{picture.size}".encode())
                digest.update(picture.tobytes())
    return {"version": task.version, "digest": digest.hexdigest()}


def fingerprints(names: list[str] | None = None) -> dict[str, dict]:
    return {name: task_fingerprint(name) for name in (names or generators.names())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.fingerprint")
    parser.add_argument("--update", action="store_true", help="write tests/fingerprints.json")
    parser.add_argument("tasks", nargs="*", help="only these tasks (default: all)")
    args = parser.parse_args(argv)
    found = fingerprints(args.tasks)
    if args.update:
        recorded = json.loads(RECORDED.read_text()) if RECORDED.exists() else {}
        recorded.update(found)
        RECORDED.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")
        print(f"recorded {len(found)} fingerprints in {RECORDED}")
    else:
        json.dump(found, sys.stdout, indent=1, sort_keys=True)
        print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
