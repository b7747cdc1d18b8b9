"""Uploading the agent's call recordings to the server, where the centre turns it on (setting
`upload_recordings`, with `recordings = sndfile:<folder>`): each answered, ended call's two sndfile
halves are matched and mixed (app/recordings.py) and sent once, after the call itself is on the
server. A call with no recording is noted and not tried again; one the server finds too large is
noted with the server's words; one the server does not have yet is tried on the next round."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.qa_recordings import RecordingSource
from ..store import qa as qa_store
from .recordings import NoRecording, find_recording


@dataclass
class UploadReport:
    uploaded: int = 0
    missing: int = 0
    later: int = 0
    refused: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return (f"recordings: {self.uploaded} uploaded, {self.missing} without a recording, "
                f"{self.later} left for the next round, {len(self.refused)} refused")


def upload_recordings(db, client, source: RecordingSource, cache_dir: Path, utc_offset_minutes: int,
                      now: str) -> UploadReport:
    from ..sync.client import Refused

    report = UploadReport()
    if source.kind != "sndfile":
        return report
    for call in qa_store.calls_to_upload(db):
        found = find_recording(source, call, cache_dir, utc_offset_minutes)
        if isinstance(found, NoRecording):
            qa_store.mark_upload(db, call["id"], "none", found.reason, now)
            report.missing += 1
            continue
        try:
            client.upload_recording(call["id"], Path(found.location).read_bytes())
        except Refused as exc:
            if exc.status == 404:            # the call itself is not on the server yet
                report.later += 1
                continue
            qa_store.mark_upload(db, call["id"], "too_large" if exc.status == 413 else "none", str(exc), now)
            report.refused.append(f"call {call['id'][:8]}: {exc}")
            continue
        finally:
            if Path(found.location).parent == cache_dir:
                Path(found.location).unlink(missing_ok=True)   # the mix was made for the upload only
        qa_store.mark_upload(db, call["id"], "uploaded", "", now)
        report.uploaded += 1
    return report
