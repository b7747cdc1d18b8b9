"""Netstring framing (`<decimal length>:<payload>,`), as baresip's ctrl_tcp speaks it.

The decoder never raises on bad input and never stalls a valid stream for good: a malformed
frame is logged, counted and skipped, and decoding resumes at the next place where a frame
header (`digits:`) can start. Known limit: a header whose length overstates its payload swallows
the bytes it claims (at most `max_len`); the frames after that are found again.
"""

from __future__ import annotations

import logging
import re

log = logging.getLogger(__name__)

MAX_FRAME = 256 * 1024   # baresip's largest reply (callstat) is a few KB; 10 MB claims are refused


def encode(payload: bytes) -> bytes:
    return b"%d:%s," % (len(payload), payload)


class NetstringDecoder:
    """Feed it bytes as they arrive; it returns the complete payloads, in order."""

    def __init__(self, max_len: int = MAX_FRAME) -> None:
        self.max_len = max_len
        self._max_digits = len(str(max_len))
        # Where a frame may start after garbage: a whole run of digits followed by ':'.
        self._header = re.compile(rb"(?<![0-9])[0-9]{1,%d}:" % self._max_digits)
        self._buf = bytearray()
        self.skipped = 0   # malformed frames seen, for tests and the log

    def reset(self) -> None:
        """Forget a partial frame (the connection it came from is gone)."""
        self._buf.clear()

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[bytes]:
        self._buf += data
        frames: list[bytes] = []
        pos = 0
        buf = self._buf
        while pos < len(buf):
            colon = buf.find(b":", pos, pos + self._max_digits + 1)
            head = bytes(buf[pos:colon if colon >= 0 else pos + self._max_digits + 1])
            if colon < 0:
                if head.isdigit() and len(head) <= self._max_digits:
                    break  # header still arriving
                why = f"length over {self.max_len} (too many digits)" if head.isdigit() else "no length header"
                pos = self._skip(buf, pos, why, head)
                continue
            if not head.isdigit():
                pos = self._skip(buf, pos, "length is not a decimal number", head)
                continue
            length = int(head)
            if length > self.max_len:
                pos = self._skip(buf, pos, f"length {length} is over the {self.max_len} limit", head)
                continue
            end = colon + 1 + length
            if end >= len(buf):
                break  # payload still arriving
            if buf[end] != ord(","):
                pos = self._skip(buf, pos, f"no ',' after {length} bytes (wrong length or truncated)", head)
                continue
            frames.append(bytes(buf[colon + 1:end]))
            pos = end + 1
        del buf[:pos]
        return frames

    def _skip(self, buf: bytearray, pos: int, why: str, head: bytes) -> int:
        """Log a bad frame and return where the next one may start (or the end of the buffer)."""
        self.skipped += 1
        log.warning("skipping malformed netstring: %s (starts %r)", why, head[:20])
        found = self._header.search(buf, pos + 1)
        if found is not None:
            return found.start()
        # A short run of digits at the very end may be the next header, still arriving.
        start = len(buf)
        while start > pos + 1 and 0x30 <= buf[start - 1] <= 0x39:
            start -= 1
        return start if len(buf) - start <= self._max_digits else len(buf)
