"""A small thread-safe progress bar on stderr: redrawn in place on a terminal, a line every
10 % otherwise (so CI logs stay short)."""

from __future__ import annotations

import sys
import threading
import time


class Progress:
    def __init__(self, total: int, unit: str, stream=None, enabled: bool = True):
        self.total, self.unit, self.done = max(total, 0), unit, 0
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._lock = threading.Lock()
        self._start = time.perf_counter()
        self._last_decile = -1

    def __reduce__(self):  # crosses process boundaries as a no-op bar
        return (Progress, (self.total, self.unit, None, False))

    def advance(self, n: int = 1) -> None:
        with self._lock:
            self.done += n
            self._draw()

    def _draw(self) -> None:
        if not self.enabled or not self.total:
            return
        fraction = min(self.done / self.total, 1.0)
        elapsed = time.perf_counter() - self._start
        rate = self.done / elapsed if elapsed > 0 else 0.0
        bar = "#" * int(30 * fraction) + "-" * (30 - int(30 * fraction))
        text = f"[{bar}] {self.done}/{self.total} {self.unit} {rate:.1f}/s {elapsed:.0f}s"
        if self.tty:
            self.stream.write("\r" + text)
            self.stream.flush()
        elif int(fraction * 10) != self._last_decile:
            self._last_decile = int(fraction * 10)
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled and self.tty and self.total:
            self.stream.write("\n")
            self.stream.flush()
