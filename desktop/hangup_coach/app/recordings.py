"""Finding a call's recording on this PC or the centre's system, and mixing baresip's two halves.

The review window asks `find_recording` for each sampled call; the answer is a place the player
can open, or why there is none (said plainly in the window; the review goes on without it).
"""

from __future__ import annotations

import array
import os
import sys
import wave
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..core.qa_recordings import RecordingSource, match_sndfile, template_location


@dataclass(frozen=True)
class Recording:
    location: str          # a local file path or an http(s) URL
    is_url: bool = False


@dataclass(frozen=True)
class NoRecording:
    reason: str            # a text key: rec_no_source, rec_no_call_id, rec_not_found, rec_unreadable
    detail: str = ""


def find_recording(source: RecordingSource, call: dict, cache_dir: Path,
                   utc_offset_minutes: int, download=None) -> Recording | NoRecording:
    """`download(call_id)`: the server's copy (bytes, or None), for the `server` source."""
    if source.kind == "none" or (source.kind == "server" and download is None):
        return NoRecording("rec_no_source")
    if source.kind == "server":
        content = download(call["id"])
        if content is None:
            return NoRecording("rec_not_found", "none on the server")
        target = cache_dir / f"{call['id']}.wav"
        cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # call audio: the owner's only
        with os.fdopen(fd, "wb") as f:
            f.write(content)
        return Recording(str(target))
    if source.kind == "template":
        place = template_location(source.where, call)
        if place is None:
            return NoRecording("rec_no_call_id")
        if place.startswith(("http://", "https://")):
            return Recording(place, is_url=True)   # the player says so if the server has none
        return Recording(place) if Path(place).is_file() else NoRecording("rec_not_found", place)
    folder = Path(source.where).expanduser()
    answered = call.get("answered_at")
    if not answered:
        return NoRecording("rec_not_found", "the call was not answered")
    try:
        names = os.listdir(folder)
    except OSError as exc:
        return NoRecording("rec_unreadable", f"{folder}: {exc.strerror}")
    local = (datetime.fromisoformat(answered) + timedelta(minutes=utc_offset_minutes)).replace(tzinfo=None)
    pair = match_sndfile(names, local, call.get("caller_number"))
    if pair is None:
        return NoRecording("rec_not_found", str(folder))
    halves = [folder / name for name in (pair.received, pair.sent) if name]
    target = cache_dir / f"{call['id']}.wav"
    try:
        mix(halves, target)
    except (OSError, wave.Error, ValueError) as exc:
        return NoRecording("rec_unreadable", str(exc))
    return Recording(str(target))


def mix(halves: list[Path], target: Path) -> None:
    """Mix the call's directions (mono 16-bit WAVs of one rate) into one WAV, readable by the owner only.
    Samples are summed and clipped; the shorter half is padded with silence."""
    tracks, rate = [], None
    for half in halves:
        with wave.open(str(half), "rb") as w:
            if w.getnchannels() != 1 or w.getsampwidth() != 2:
                raise ValueError(f"{half.name}: expected mono 16-bit audio")
            if rate not in (None, w.getframerate()):
                raise ValueError(f"{half.name}: the two directions have different sample rates")
            rate = w.getframerate()
            samples = array.array("h", w.readframes(w.getnframes()))
        if sys.byteorder == "big":
            samples.byteswap()
        tracks.append(samples)
    if not tracks:
        raise ValueError("no audio to mix")
    length = max(len(t) for t in tracks)
    mixed = array.array("h", bytes(2 * length))
    for track in tracks:
        for i, value in enumerate(track):
            total = mixed[i] + value
            mixed[i] = 32767 if total > 32767 else -32768 if total < -32768 else total
    if sys.byteorder == "big":
        mixed.byteswap()
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    partial = target.with_suffix(".part")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)   # call audio is personal data
    with os.fdopen(fd, "wb") as raw, wave.open(raw, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(mixed.tobytes())
    os.replace(partial, target)


def loudness(path: Path) -> float:
    """The RMS of a mono 16-bit WAV (0 for silence): how a test tells audio from an empty file."""
    with wave.open(str(path), "rb") as w:
        samples = array.array("h", w.readframes(w.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    return (sum(v * v for v in samples) / len(samples)) ** 0.5 if samples else 0.0
