"""Every task's output is a function of its arguments alone: byte-identical across processes with
different PYTHONHASHSEED (set and dict orders differ between them), and unchanged unless the
task's version is bumped (tests/fingerprint.py, tests/fingerprints.json)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from generators import registry as generators
from tests.fingerprint import RECORDED

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two_processes() -> tuple[dict, dict]:
    """Fingerprints of all 42 tasks from two processes at once, hash seeds 1 and 4242."""
    runs = []
    for seed in ("1", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        runs.append(subprocess.Popen([sys.executable, "-m", "tests.fingerprint"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    out = []
    for proc in runs:
        stdout, stderr = proc.communicate(timeout=600)
        assert proc.returncode == 0, stderr[-2000:]
        out.append(json.loads(stdout))
    return out[0], out[1]


def test_all_tasks_byte_identical_across_hash_seeds(two_processes):
    a, b = two_processes
    assert sorted(a) == sorted(generators.names()) and len(a) == 42
    differ = sorted(name for name in a if a[name] != b[name])
    assert not differ, f"output depends on PYTHONHASHSEED: {differ}"


def test_output_changes_only_with_a_version_bump(two_processes):
    found, _ = two_processes
    recorded = json.loads(RECORDED.read_text())
    unbumped = sorted(name for name, fp in found.items()
                      if name in recorded and fp["version"] == recorded[name]["version"]
                      and fp["digest"] != recorded[name]["digest"])
    assert not unbumped, (f"{unbumped}: output changed but `version` did not; bump it, then record "
                          "with `python -m tests.fingerprint --update`")
    stale = sorted(name for name, fp in found.items()
                   if name not in recorded or fp["version"] != recorded[name]["version"])
    assert not stale, f"{stale}: new version not recorded; run `python -m tests.fingerprint --update`"
