"""JSON lines over a pair of file descriptors: how the sweep's driver and its worker processes talk."""

from __future__ import annotations

import json
import os
import select
from typing import Any


class Channel:
    """Send one JSON object per line on `fd_out`; receive them from `fd_in`, blocking or not.

    Reads go through os.read with our own buffer, so that `poll` (select with no wait) never misses a line
    that a buffered reader had already taken off the descriptor."""

    def __init__(self, fd_in: int, fd_out: int):
        self.fd_in, self.fd_out = fd_in, fd_out
        self._buffer = b""
        self.closed = False  # the other end closed its side (it exited, or was killed)

    def send(self, message: dict[str, Any]) -> None:
        """Write one message; BrokenPipeError when the other side is gone."""
        data = (json.dumps(message, separators=(",", ":")) + "\n").encode()
        while data:
            data = data[os.write(self.fd_out, data) :]

    def poll(self, timeout: float = 0.0) -> list[dict[str, Any]]:
        """The complete messages that have arrived, waiting at most `timeout` seconds for the first."""
        if not self._lines() and not self.closed:
            ready, _, _ = select.select([self.fd_in], [], [], timeout)
            if ready:
                self._read()
        return self._take()

    def recv(self) -> dict[str, Any] | None:
        """The next message, waiting for it; None once the other side has closed."""
        while not self._lines() and not self.closed:
            self._read()
        taken = self._take(limit=1)
        return taken[0] if taken else None

    def _read(self) -> None:
        chunk = os.read(self.fd_in, 1 << 16)
        if chunk:
            self._buffer += chunk
        else:
            self.closed = True

    def _lines(self) -> bool:
        return b"\n" in self._buffer

    def _take(self, limit: int | None = None) -> list[dict[str, Any]]:
        out = []
        while b"\n" in self._buffer and (limit is None or len(out) < limit):
            line, self._buffer = self._buffer.split(b"\n", 1)
            if line.strip():
                out.append(json.loads(line))
        return out
