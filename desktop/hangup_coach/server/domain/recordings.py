"""Call recordings uploaded by the cards (issue 18): the mixed sndfile recording of an agent's own
call, kept for the QA reviewers of its team.

- A card uploads the recording of its own call once the call is on the server (`recording.write`,
  own scope); a reviewer in the call's scope reads it (`recording.read`).
- Size: at most `max_bytes` (413 past it, counted as the body arrives, nothing kept).
- Files: one per call in the server's recordings folder (0700), each 0600, written to a temporary
  name and renamed, so a reader never sees half a file.
- Retention: a recording older than `days` is deleted (at start and at each upload), and reads as
  gone (404).
Each upload is in the append-only audit (`recording.upload`, with its size).
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from .. import permissions
from ..permissions import Place
from ..storage import Device, Storage, iso
from ..storage import audit
from ..storage.schema import records

RECORDING_WRITE = permissions.define("recording.write", {"agent": "own", "lead": "own", "qa": "own", "manager": "own"})
RECORDING_READ = permissions.define("recording.read", {"agent": "own", "lead": "team", "qa": "team",
                                                       "manager": "site"})
DEFAULT_MAX_BYTES = 50 * 1024 * 1024        # a 30-minute mono 8 kHz 16-bit WAV is about 29 MB
DEFAULT_DAYS = 90
CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class RecordingError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class Recordings:
    storage: Storage
    folder: Path
    max_bytes: int = DEFAULT_MAX_BYTES
    days: float = DEFAULT_DAYS

    def __post_init__(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.folder, 0o700)
        self.sweep()

    def too_large(self, size: int) -> RecordingError:
        return RecordingError(f"the recording is {size:,} bytes; this server keeps recordings of at most "
                              f"{self.max_bytes:,} bytes (server option --recording-max-mb)", 413)

    def authorise_upload(self, device: Device, call_id: str) -> None:
        """Before the body is read: the call is on the server and is the device's own."""
        permissions.check(device, RECORDING_WRITE, self._call_place(call_id), f"call {call_id}")

    def save(self, device: Device, call_id: str, content: bytes) -> dict:
        self.authorise_upload(device, call_id)
        if len(content) > self.max_bytes:
            raise self.too_large(len(content))
        if content[:4] != b"RIFF" or content[8:12] != b"WAVE":
            raise RecordingError("the recording must be a WAV file (RIFF/WAVE)", 415)
        target = self._path(call_id)
        partial = target.with_name(f".{target.name}.{os.getpid()}.part")
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content)
            os.replace(partial, target)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
        with self.storage.write() as conn:
            audit.append(conn, device, "recording.upload", "recording", call_id, device.place, None,
                         {"bytes": len(content)}, iso(self.storage.clock()))
        self.sweep()
        return {"call_id": call_id, "bytes": len(content)}

    def path_for_reader(self, device: Device, call_id: str) -> Path:
        permissions.check(device, RECORDING_READ, self._call_place(call_id), f"call {call_id}")
        path = self._path(call_id)
        if not path.is_file() or self._expired(path):
            raise RecordingError(f"no recording of call {call_id} on the server (none was uploaded, or it is "
                                 f"past the {self.days:g}-day retention)", 404)
        return path

    def sweep(self) -> int:
        """Delete the recordings past the retention period; how many."""
        gone = 0
        for path in self.folder.glob("*.wav"):
            if self._expired(path):
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    def _expired(self, path: Path) -> bool:
        try:
            return time.time() - path.stat().st_mtime > self.days * 86400
        except FileNotFoundError:
            return True

    def _path(self, call_id: str) -> Path:
        return self.folder / f"{call_id}.wav"

    def _call_place(self, call_id: str) -> Place:
        if not CALL_ID.fullmatch(call_id):
            raise RecordingError("not a call id", 422)
        with self.storage.engine.connect() as conn:
            row = conn.execute(select(records.c.agent_id, records.c.team, records.c.site).where(
                records.c.kind == "call", records.c.id == call_id)).first()
        if row is None:
            raise RecordingError(f"call {call_id} is not on the server (push the call first)", 404)
        return Place(row.agent_id, row.team, row.site)
