"""Call recordings uploaded by the cards (issue 18): the mixed sndfile recording of an agent's own
call, kept for the QA reviewers of its team.

- A card uploads the recording of its own call once the call is on the server (`recording.write`,
  own scope); a reviewer in the call's scope reads it (`recording.read`).
- Size: at most `max_bytes` a recording (413 past it, counted as the body arrives, nothing kept).
- Quota: at most `quota_bytes` of recordings per agent in any 24 hours (429 past it: the card
  keeps the rest for later), so one card cannot fill the server's disk.
- Resumable: a card may send a recording in parts (`Content-Range`, with the whole file's
  SHA-256); the server keeps the part it has, says how far it got (`offset`), and checks the
  whole file's checksum when the last part arrives. A lost connection costs one part, not the file.
- Files: `<folder>/agent-<id>/<call>.wav` (folders 0700, files 0600), written to a partial file
  and renamed, so a reader never sees half a file.
- Retention: a recording older than `days` is deleted (at start and at each upload), and reads as
  gone (404); so are partial uploads left that long.
Each upload is in the append-only audit (`recording.upload`, with its size).
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from urllib.parse import quote
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
DEFAULT_QUOTA_BYTES = 500 * 1024 * 1024     # per agent a day: 8 hours of talk is about 460 MB
CALL_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
SHA256 = re.compile(r"[0-9a-f]{64}")
DAY = 86400


class RecordingError(Exception):
    def __init__(self, message: str, status: int, **extra) -> None:
        super().__init__(message)
        self.message, self.status, self.extra = message, status, extra


@dataclass
class Recordings:
    storage: Storage
    folder: Path
    max_bytes: int = DEFAULT_MAX_BYTES
    days: float = DEFAULT_DAYS
    quota_bytes: int = DEFAULT_QUOTA_BYTES

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

    def offset(self, device: Device, call_id: str, sha256: str, size: int) -> dict:
        """How much of this recording (its checksum and size) the server already has: where the
        card's next part starts; `complete` once the recording is kept."""
        place = self._call_place(call_id)
        permissions.check(device, RECORDING_WRITE, place, f"call {call_id}")
        self._check_declared(sha256, size)
        if self._path(place, call_id).is_file():
            return {"call_id": call_id, "offset": size, "complete": True}
        partial = self._partial(place, call_id, sha256)
        for other in partial.parent.glob(f".{call_id}.*.part"):
            if other != partial:
                other.unlink(missing_ok=True)     # a different file for that call: start afresh
        return {"call_id": call_id, "offset": partial.stat().st_size if partial.exists() else 0, "complete": False}

    def save(self, device: Device, call_id: str, content: bytes) -> dict:
        """A whole recording in one body."""
        sha256 = hashlib.sha256(content).hexdigest()
        return self.append(device, call_id, sha256, 0, len(content), content)

    def append(self, device: Device, call_id: str, sha256: str, start: int, size: int, part: bytes) -> dict:
        """One part of a recording of `size` bytes (checksum `sha256`), starting at byte `start`."""
        place = self._call_place(call_id)
        permissions.check(device, RECORDING_WRITE, place, f"call {call_id}")
        self._check_declared(sha256, size)
        if start + len(part) > size:
            raise RecordingError(f"the part ends at byte {start + len(part):,}, past the recording's "
                                 f"{size:,} bytes", 422)
        target, partial = self._path(place, call_id), self._partial(place, call_id, sha256)
        if target.is_file():
            return {"call_id": call_id, "offset": size, "complete": True, "bytes": target.stat().st_size}
        self._check_quota(place, size)
        have = partial.stat().st_size if partial.exists() else 0
        if start != have:
            raise RecordingError(f"this part starts at byte {start:,}; the server has {have:,} bytes of it",
                                 409, offset=have)
        partial.parent.mkdir(mode=0o700, exist_ok=True)
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "ab") as f:
            f.write(part)
        if start + len(part) < size:
            return {"call_id": call_id, "offset": start + len(part), "complete": False}
        return self._keep(device, place, call_id, sha256, partial, target)

    def _keep(self, device: Device, place: Place, call_id: str, sha256: str, partial: Path, target: Path) -> dict:
        content = partial.read_bytes()
        if hashlib.sha256(content).hexdigest() != sha256:
            partial.unlink(missing_ok=True)
            raise RecordingError("the recording arrived damaged (its SHA-256 differs): send it again", 422)
        if content[:4] != b"RIFF" or content[8:12] != b"WAVE":
            partial.unlink(missing_ok=True)
            raise RecordingError("the recording must be a WAV file (RIFF/WAVE)", 415)
        os.replace(partial, target)
        with self.storage.write() as conn:
            audit.append(conn, device, "recording.upload", "recording", call_id, device.place, None,
                         {"bytes": len(content)}, iso(self.storage.clock()))
        self.sweep()
        return {"call_id": call_id, "offset": len(content), "complete": True, "bytes": len(content)}

    def _check_declared(self, sha256: str, size: int) -> None:
        if not SHA256.fullmatch(sha256 or ""):
            raise RecordingError("the recording's SHA-256 (64 lowercase hex digits) is missing or malformed", 422)
        if size > self.max_bytes:
            raise self.too_large(size)
        if size < 12:
            raise RecordingError("the recording must be a WAV file (RIFF/WAVE)", 415)

    def _check_quota(self, place: Place, size: int) -> None:
        used = self.used_today(place.agent_id)
        if used + size > self.quota_bytes:
            raise RecordingError(
                f"agent {place.agent_id} has uploaded {used:,} bytes of recordings in the last 24 hours; this "
                f"server keeps at most {self.quota_bytes:,} bytes per agent a day (server option "
                f"--recording-quota-mb): this one ({size:,} bytes) waits", 429)

    def used_today(self, agent: str) -> int:
        """Bytes of this agent's recordings kept in the last 24 hours."""
        since = time.time() - DAY
        total = 0
        for path in self._folder(agent).glob("*.wav"):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if st.st_mtime >= since:
                total += st.st_size
        return total

    def path_for_reader(self, device: Device, call_id: str) -> Path:
        place = self._call_place(call_id)
        permissions.check(device, RECORDING_READ, place, f"call {call_id}")
        path = self._path(place, call_id)
        if not path.is_file() or self._expired(path):
            raise RecordingError(f"no recording of call {call_id} on the server (none was uploaded, or it is "
                                 f"past the {self.days:g}-day retention)", 404)
        return path

    def sweep(self) -> int:
        """Delete the recordings past the retention period; how many."""
        gone = 0
        for path in [*self.folder.glob("agent-*/*.wav"), *self.folder.glob("agent-*/.*.part")]:
            if self._expired(path):
                path.unlink(missing_ok=True)
                gone += 1
        return gone

    def _expired(self, path: Path) -> bool:
        try:
            return time.time() - path.stat().st_mtime > self.days * 86400
        except FileNotFoundError:
            return True

    def _folder(self, agent: str) -> Path:
        return self.folder / f"agent-{quote(agent, safe='')}"    # any agent id, as one safe file name

    def _path(self, place: Place, call_id: str) -> Path:
        return self._folder(place.agent_id) / f"{call_id}.wav"

    def _partial(self, place: Place, call_id: str, sha256: str) -> Path:
        return self._folder(place.agent_id) / f".{call_id}.{sha256[:16]}.part"

    def _call_place(self, call_id: str) -> Place:
        if not CALL_ID.fullmatch(call_id):
            raise RecordingError("not a call id", 422)
        with self.storage.engine.connect() as conn:
            row = conn.execute(select(records.c.agent_id, records.c.team, records.c.site).where(
                records.c.kind == "call", records.c.id == call_id)).first()
        if row is None:
            raise RecordingError(f"call {call_id} is not on the server (push the call first)", 404)
        return Place(row.agent_id, row.team, row.site)
