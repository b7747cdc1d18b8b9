"""Where a call's recording is: a template keyed by the SIP Call-ID, or baresip's sndfile pair.

Two sources a centre configures (settings `recordings`):
- `template:<folder or URL with {line_call_id}>`: the centre's recording system names each
  recording by the SIP Call-ID the card stores (`calls.line_call_id`); `{id}`, `{agent_id}` and
  `{date}` (the call's UTC day) may be used too.
- `sndfile:<folder>`: baresip's `sndfile` module on the agent's PC writes two WAV files per call,
  one per direction, named by the local time the audio started (and, from baresip 1.1 on, the
  peer): `dump-2026-12-03-11-54-43-enc.wav` (what the agent's side sent) and `...-dec.wav` (what
  it received). They carry no Call-ID, so the call is matched by its answer time (and the peer's
  number where the name has one).

- `server`: the recordings the agents' cards uploaded to the centre's server (where the centre
  turned uploading on), fetched by call id with this PC's login.

Pure: names and times in, a location or a pair of names out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

SNDFILE_NAME = re.compile(r"dump-(?:(?P<cname>.*?)=>(?P<peer>.*)-)?"
                          r"(?P<stamp>\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d)-(?P<direction>enc|dec)\.wav")
MATCH_SECONDS = 5     # the audio starts within moments of the answer


def _quote(text: str) -> str:
    """Percent-encode all but letters, digits and @._- (a Call-ID in a URL's path stays one segment)."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "@._-") else "".join(f"%{b:02X}" for b in c.encode())
                   for c in text)


class RecordingConfigError(ValueError):
    pass


@dataclass(frozen=True)
class RecordingSource:
    kind: str        # "none" | "template" | "sndfile" | "server"
    where: str = ""

    @classmethod
    def parse(cls, text: str) -> "RecordingSource":
        text = (text or "").strip()
        if not text:
            return cls("none")
        if text == "server":
            return cls("server")
        kind, sep, where = text.partition(":")
        if not sep or kind not in ("template", "sndfile") or not where:
            raise RecordingConfigError(f"recordings: {text!r} is neither template:<place with {{line_call_id}}> "
                                       "nor sndfile:<folder> nor server")
        if kind == "template" and "{" not in where:
            raise RecordingConfigError(f"recordings: the template {where!r} names no field, e.g. {{line_call_id}}")
        return cls(kind, where)


def template_location(template: str, call: dict) -> str | None:
    """The place the template gives for `call`; None when the call has no Call-ID to key it by."""
    line_call_id = call.get("line_call_id")
    if "{line_call_id}" in template and not line_call_id:
        return None
    is_url = template.startswith(("http://", "https://"))
    values = {"line_call_id": line_call_id or "", "id": call.get("id") or "", "agent_id": call.get("agent_id") or "",
              "date": (call.get("started_at") or "")[:10]}
    # a Call-ID is the caller's text: never let it climb out of the folder or change the URL's path
    safe = {k: _quote(v) if is_url else v.replace("/", "_").replace("\\", "_") for k, v in values.items()}
    if not is_url and any(v in ("", ".", "..") for k, v in safe.items() if "{" + k + "}" in template):
        return None
    try:
        return template.format(**safe)
    except (KeyError, IndexError, ValueError) as exc:
        raise RecordingConfigError(f"recordings: the template {template!r} cannot be filled: {exc}") from None


@dataclass(frozen=True)
class SndfilePair:
    sent: str | None       # -enc.wav: the agent's side
    received: str | None   # -dec.wav: the customer's side
    started: datetime      # local time in the names


def sndfile_pairs(names: list[str]) -> list[SndfilePair]:
    """The per-call pairs among a folder's file names (either half may be missing)."""
    groups: dict[tuple[str, str], dict[str, str]] = {}
    for name in names:
        m = SNDFILE_NAME.fullmatch(name)
        if m:
            groups.setdefault((m["stamp"], m["peer"] or ""), {})[m["direction"]] = name
    return [SndfilePair(files.get("enc"), files.get("dec"), datetime.strptime(stamp, "%Y-%m-%d-%H-%M-%S"))
            for (stamp, _), files in sorted(groups.items())]


def match_sndfile(names: list[str], answered_local: datetime, number: str | None = None) -> SndfilePair | None:
    """The pair whose start is nearest the call's answer (local time, naive), within MATCH_SECONDS;
    a name that carries a peer must carry the call's number."""
    best, best_gap = None, timedelta(seconds=MATCH_SECONDS)
    digits = (number or "").lstrip("+")
    for pair in sndfile_pairs(names):
        name = pair.sent or pair.received
        peer = SNDFILE_NAME.fullmatch(name)["peer"]
        if peer and digits and digits[-8:] not in peer:
            continue
        gap = abs(pair.started - answered_local)
        if gap <= best_gap:
            best, best_gap = pair, gap
    return best
