"""The active blocklist in the formats other PBXs read (`hangup-coach blocklist export`).

- csv: one row per active block, with a header, for spreadsheets and scripts.
- asterisk: Asterisk CLI commands on the AstDB family `blacklist`, as FreePBX's Blacklist module
  stores it (key = the caller-ID number, value = a description; FreePBX's `BLACKLIST()` dialplan
  check then rejects the caller). Run with `asterisk -rx`, one line at a time. Numbers whose
  block ended (expired or revoked) and that are not blocked again get `database del`, so a
  regular run keeps the family in step without touching FreePBX's own keys (`blocked`, `dest`).
- freeswitch: a plain list, one number per line, for mod_blacklist
  (`<list name="hangup-coach" filename="…"/>`, dialplan `${blacklist(check hangup-coach
  ${caller_id_number})}`).

`number_form` turns the stored E.164 into what the PBX sees as caller ID (E.164, or national
digits for a trunk that delivers those).
"""

from __future__ import annotations

import csv
from datetime import datetime
from typing import Callable, Iterable

from .blocklist import Block

FORMATS = ("csv", "asterisk", "freeswitch")
CSV_COLUMNS = ("number", "scope", "reason", "expires_at", "automatic", "decided_by", "operated_by", "id")


def export(blocks: Iterable[Block], fmt: str, now: datetime,
           number_form: Callable[[str], str] = lambda n: n) -> str:
    blocks = list(blocks)
    live = sorted((b for b in blocks if b.status == "active" and (b.expires_at is None or b.expires_at > now)),
                  key=lambda b: b.number)
    if fmt == "csv":
        return _csv(live, number_form)
    if fmt == "asterisk":
        blocked = {b.number for b in live}
        lifted = sorted({b.number for b in blocks if b.status in ("active", "expired", "revoked")} - blocked)
        return _asterisk(live, lifted, number_form)
    if fmt == "freeswitch":
        return "".join(f"{number_form(b.number)}\n" for b in live)
    raise ValueError(f"unknown export format {fmt!r}; one of {', '.join(FORMATS)}")


def _csv(blocks: list[Block], number_form) -> str:
    out: list[str] = []
    writer = csv.writer(_Lines(out), lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for b in blocks:
        writer.writerow([number_form(b.number), b.scope, b.reason, _iso(b.expires_at), int(b.automatic),
                         b.decided_by, b.operated_by, b.id])
    return "".join(out)


class _Lines:
    """What csv.writer writes to (core does no I/O, not even io.StringIO)."""

    def __init__(self, into: list[str]) -> None:
        self.write = into.append


def _asterisk(blocks: list[Block], lifted: list[str], number_form) -> str:
    lines = [f"database del blacklist {number_form(n)}" for n in lifted]
    for b in blocks:
        until = f" until {_iso(b.expires_at)}" if b.expires_at else " permanent"
        description = f"hangup-coach {b.reason}{until}".replace('"', "")
        lines.append(f'database put blacklist {number_form(b.number)} "{description}"')
    return "\n".join(lines) + "\n"


def _iso(t: datetime | None) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ") if t else ""
