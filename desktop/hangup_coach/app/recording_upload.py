"""Uploading the agent's call recordings to the server, where the centre turns it on (setting
`upload_recordings`, with `recordings = sndfile:<folder>`): each answered, ended call's two sndfile
halves are matched and mixed (app/recordings.py) and sent once, after the call itself is on the
server. The card's background sync worker does it on a thread of its own after each sync round
(sync/worker.py), `hangup-coach sync --once` after its round.

- Resumable: a recording goes in parts; the server says how much it has, so a lost connection or
  a card closed mid-upload continues from there next time (the mix is the same bytes again).
- A call with no recording is noted and not tried again; one the server finds too large is noted
  with the server's words; one the server does not have yet is tried on the next round; when the
  agent's quota for the day is used (429), the rest wait for a later round.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from ..core.qa_recordings import RecordingConfigError, RecordingSource
from ..store import qa as qa_store
from .paths import AppPaths
from .recordings import NoRecording, find_recording

log = logging.getLogger(__name__)

PART_BYTES = 1024 * 1024      # one request: a lost connection costs at most this much again


@dataclass
class UploadReport:
    uploaded: int = 0
    missing: int = 0
    later: int = 0
    resumed: int = 0                      # uploads that went on from where an earlier one stopped
    refused: list[str] = field(default_factory=list)
    waiting: str = ""                     # why the rest wait (the server's quota message, or stopped)

    @property
    def empty(self) -> bool:
        """Nothing was due (the usual round): not worth a log line."""
        return not (self.uploaded or self.missing or self.later or self.refused or self.waiting)

    def summary(self) -> str:
        text = (f"recordings: {self.uploaded} uploaded ({self.resumed} resumed), {self.missing} without a "
                f"recording, {self.later} left for the next round, {len(self.refused)} refused")
        return f"{text}; the rest wait: {self.waiting}" if self.waiting else text


class _Stopped(Exception):
    pass


def upload_recordings(db, client, source: RecordingSource, cache_dir: Path, utc_offset_minutes: int,
                      now: str, should_stop: Callable[[], bool] = lambda: False,
                      part_bytes: int = PART_BYTES) -> UploadReport:
    """Send what is due; `should_stop` is asked between parts (the card is closing). Raises the
    client's Unavailable/AuthRefused when the server cannot be reached: the next round resumes."""
    from ..sync.client import Refused

    report = UploadReport()
    if source.kind != "sndfile":
        return report
    for call in qa_store.calls_to_upload(db):
        if should_stop():
            report.waiting = "the card is closing"
            break
        found = find_recording(source, call, cache_dir, utc_offset_minutes)
        if isinstance(found, NoRecording):
            qa_store.mark_upload(db, call["id"], "none", found.reason, now)
            report.missing += 1
            continue
        try:
            if _send(client, call["id"], Path(found.location), should_stop, part_bytes):
                report.resumed += 1
        except _Stopped:
            report.waiting = "the card is closing"
            break
        except Refused as exc:
            if exc.status == 404:            # the call itself is not on the server yet
                report.later += 1
                continue
            if exc.status == 429:            # the agent's quota for the day: the rest wait
                report.waiting = str(exc)
                break
            qa_store.mark_upload(db, call["id"], "too_large" if exc.status == 413 else "none", str(exc), now)
            report.refused.append(f"call {call['id'][:8]}: {exc}")
            continue
        finally:
            if Path(found.location).parent == cache_dir:
                Path(found.location).unlink(missing_ok=True)   # the mix was made for the upload only
        qa_store.mark_upload(db, call["id"], "uploaded", "", now)
        report.uploaded += 1
    return report


def _send(client, call_id: str, path: Path, should_stop: Callable[[], bool], part_bytes: int) -> bool:
    """One recording, in parts, from where the server's copy ends; whether it resumed one."""
    from ..sync.client import Refused

    content = path.read_bytes()
    digest = hashlib.sha256(content).hexdigest()
    offset = first = client.recording_offset(call_id, digest, len(content))
    while offset < len(content):
        if should_stop():
            raise _Stopped
        part = content[offset:offset + part_bytes]
        try:
            offset = client.upload_recording(call_id, part, digest, offset, len(content))["offset"]
        except Refused as exc:
            if exc.status != 409:
                raise
            offset = client.recording_offset(call_id, digest, len(content))   # ask where it stands
    return 0 < first < len(content)


def uploader(paths: AppPaths) -> Callable[..., UploadReport | None]:
    """What the sync worker runs after a round: the settings are read each time (the centre may
    turn uploads on or off while the card runs); None when they are off or nothing was due.
    `open_db()` gives the calls' file, opened only when uploads are on (a card that does not
    upload holds no connection for it)."""
    from .settings import Settings

    def run(open_db: Callable[[], object], client, should_stop: Callable[[], bool] = lambda: False,
            part_bytes: int = PART_BYTES) -> UploadReport | None:
        settings = Settings(paths.settings_file, machine=paths.machine_settings_file)
        if not settings.get("upload_recordings"):
            return None
        try:
            source = RecordingSource.parse(settings.get("recordings"))
        except RecordingConfigError as exc:
            log.error("recordings are not uploaded: %s", exc)
            return None
        offset = int(datetime.now().astimezone().utcoffset().total_seconds() // 60)   # sndfile names: local time
        report = upload_recordings(open_db(), client, source, paths.data / "recordings-upload", offset,
                                   datetime.now(timezone.utc).isoformat(timespec="milliseconds"), should_stop,
                                   part_bytes)
        return None if report.empty else report
    return run
