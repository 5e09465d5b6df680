"""Every flow module loads the way a Prefect runner loads it: as a script by path, with its own
folder first on sys.path (a flow module named like a package, e.g. flows/serg.py, shadows it)."""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from flows.deployments import FLOWS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("module", [m for m in FLOWS if importlib.util.find_spec(m)])
def test_flow_module_loads_as_a_script(module, tmp_path):
    path = ROOT / (module.replace(".", "/") + ".py")
    code = ("from prefect.utilities.importtools import load_script_as_module; "
            f"m = load_script_as_module({str(path)!r}); "
            f"assert hasattr(m, {FLOWS[module][0]!r})")
    env = {**os.environ, "PREFECT_HOME": str(tmp_path)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=120, env=env)
    assert proc.returncode == 0, proc.stderr[-1500:]
