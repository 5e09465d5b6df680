"""Processes helix starts must not outlive it, however it ends (Ctrl-C, an exception, SIGKILL).

Shared by every layer that starts processes (flows start Ray and a temporary Prefect API, the
training job starts Ray); it lives beside storage because both of those import storage already.

- `die_with_parent`: for a child helix starts itself (the temporary Prefect API): the kernel sends
  it SIGTERM when helix dies (PR_SET_PDEATHSIG, Linux).
- `reap_ray_session`: Ray's local cluster is started by Ray, not by helix. When its driver is
  SIGKILLed, the GCS and raylet go, but the per-node agents (`ray::DashboardAgent`,
  `ray::RuntimeEnvAgent`) stay alive indefinitely (measured: > 40 s, Ray 2.x). A watchdog in its
  own session holds the read end of a pipe whose write end only helix holds; the pipe closes when
  helix exits or dies, and once helix is gone (the watchdog's parent changes) it ends every
  process that still has a file open under the Ray session's folder (every Ray process of that
  session keeps its logs there), SIGTERM first and SIGKILL after 3 s. After a clean
  `ray.shutdown()` it finds nothing to do.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys

PR_SET_PDEATHSIG = 1
_watchdogs: list[subprocess.Popen] = []  # kept: their pipes must stay open while helix lives

_WATCHDOG = r"""
import os, signal, sys, time
session, parent, me = sys.argv[1].rstrip("/") + "/", int(sys.argv[2]), os.getpid()
try:
    sys.stdin.buffer.read()  # returns when every write end is closed: helix is ending
except BaseException:
    pass
while os.getppid() == parent:  # the pipe closes while helix finalises: wait until it is gone
    time.sleep(0.1)

def holders():
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit() or int(name) in (me, parent):
            continue
        try:
            for fd in os.listdir(f"/proc/{name}/fd"):
                try:
                    if os.readlink(f"/proc/{name}/fd/{fd}").startswith(session):
                        found.add(int(name))
                        break
                except OSError:
                    continue
        except OSError:
            continue
    return found

for sig, wait in ((signal.SIGTERM, 3.0), (signal.SIGKILL, 0.0)):
    pids = holders()
    if not pids:
        break
    for pid in pids:
        try:
            os.kill(pid, sig)
        except OSError:
            pass
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and holders():
        time.sleep(0.1)
"""


def die_with_parent(parent: int) -> None:
    """Run in a child before exec (`preexec_fn`): SIGTERM when the parent dies; if it died
    already, between fork and here, exit now. The parent is the *thread* that started the
    child: start such children from the main thread."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except OSError:  # not glibc Linux: clean exits still stop the child
        pass
    if os.getppid() != parent:
        os._exit(1)


def reap_ray_session(session_dir: str | None) -> None:
    """Start the watchdog for the local Ray session helix just started (see the module text)."""
    if not session_dir or not os.path.isdir("/proc") or not os.path.isdir(session_dir):
        return
    watchdog = subprocess.Popen(
        [sys.executable, "-c", _WATCHDOG, session_dir, str(os.getpid())], stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True)
    _watchdogs.append(watchdog)  # the write end (close-on-exec: no other child inherits it)
