"""A temporary Prefect API for a helix command run without PREFECT_API_URL, that dies with helix.

Prefect's own ephemeral server is a child process that outlives its parent when the parent is
SIGKILLed (an orphaned uvicorn per killed run), and sits in the terminal's process group, so
Ctrl-C kills it before the flow's clients have flushed their events and logs, which they then
retry for minutes. helix starts the same documented server command itself instead:

- the kernel sends it SIGTERM when helix dies, however it dies (storage/processes.py);
- it runs in its own session, so Ctrl-C reaches helix only: helix stops its flow, Prefect's
  clients flush to a live server, and the server is stopped last, at interpreter exit (its exit
  handler is registered before Prefect's, and exit handlers run last-registered first);
- one server per process, started on first use, like Prefect's.

With PREFECT_API_URL set (a real server: `helix server`, Prefect Cloud), nothing is started.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from typing import Iterator

from storage.errors import OperatorError
from storage.processes import die_with_parent

STARTUP_TIMEOUT_S = float(os.environ.get("HELIX_PREFECT_STARTUP_TIMEOUT_S", "90"))

_server: "TemporaryServer | None" = None
_guard = threading.Lock()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ServerStartError(OperatorError):
    """The temporary Prefect API did not come up (a loaded machine, a broken Prefect home)."""


class TemporaryServer:
    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self.port = 0
        self.log = tempfile.TemporaryFile()

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def start(self) -> None:
        import httpx

        parent = os.getpid()
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while True:
            self.port = _free_port()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "uvicorn", "--factory", "prefect.server.api.server:create_app",
                 "--host", "127.0.0.1", "--port", str(self.port), "--log-level", "error",
                 "--lifespan", "on"],
                env={**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1",
                     "PREFECT__SERVER_FINAL": "1"},
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self.log,
                start_new_session=True, preexec_fn=lambda: die_with_parent(parent))
            while time.monotonic() < deadline:
                code = self.process.poll()
                if code == 3:  # uvicorn: the port was taken meanwhile; another one
                    break
                if code is not None:
                    raise ServerStartError(f"the temporary Prefect server exited with code {code}: "
                                       f"{self._log_tail()}")
                try:
                    if httpx.get(f"{self.api_url}/health", timeout=2).status_code == 200:
                        return
                except httpx.HTTPError:
                    pass
                time.sleep(0.1)
            else:
                self.stop()
                raise ServerStartError(f"the temporary Prefect server did not answer within "
                                   f"{STARTUP_TIMEOUT_S:g} s (HELIX_PREFECT_STARTUP_TIMEOUT_S): "
                                   f"{self._log_tail()}")

    def _log_tail(self) -> str:
        self.log.seek(0)
        return " ".join(self.log.read()[-600:].decode(errors="replace").split()) or "no output"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, signal.SIGTERM)  # uvicorn and anything it started
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def ensure_api() -> str | None:
    """Point this process (and the processes it starts) at a Prefect API: PREFECT_API_URL when
    set, else this process's temporary server (started on first use). Returns the URL used."""
    global _server
    if os.environ.get("PREFECT_API_URL"):
        return os.environ["PREFECT_API_URL"]
    with _guard:
        if _server is None or not _server.alive():
            server = TemporaryServer()
            server.start()
            atexit.register(server.stop)  # before Prefect registers its flushes: runs after them
            _server = server
        return _server.api_url


def _quiet_interrupt(signum, frame) -> None:
    """Ctrl-C during a flow: helix says "interrupted" once; the crash reports Prefect would log
    for the flow and each running task say the same thing again, so its console goes quiet."""
    import logging

    from prefect.logging.handlers import PrefectConsoleHandler

    loggers = [logging.root, *(x for x in logging.root.manager.loggerDict.values() if isinstance(x, logging.Logger))]
    for logger in loggers:
        for handler in logger.handlers:
            if isinstance(handler, PrefectConsoleHandler):  # the API log handler keeps the record
                handler.setLevel(logging.CRITICAL + 1)
    raise KeyboardInterrupt


@contextmanager
def _interrupts_quietly() -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _quiet_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def prefect_api() -> Iterator[str | None]:
    """Run a flow against a Prefect API that cannot outlive this process (settings read at
    import time do not see a later environment change: hence temporary_settings too)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    configured = os.environ.get("PREFECT_API_URL") or PREFECT_API_URL.value()  # env, profile, context
    if configured:
        with _interrupts_quietly():
            yield configured
        return
    url = ensure_api()

    os.environ["PREFECT_API_URL"] = url  # Ray workers and other children read the environment
    try:
        with temporary_settings({PREFECT_API_URL: url}), _interrupts_quietly():
            yield url
    finally:
        os.environ.pop("PREFECT_API_URL", None)
