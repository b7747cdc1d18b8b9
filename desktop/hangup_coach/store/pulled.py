"""Writing what the sync worker pulled from the server into the local database.

Each page is applied together with its cursor in one short transaction (the caller's
`outbox.write_transaction`), so a crash mid-pull neither skips nor repeats rows. Rows from the server are
copied column by column into known columns only; anything else in them is ignored.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from ..core.callers import CallerClass, SubReason

if TYPE_CHECKING:
    from .database import Database

EVIDENCE_COLUMNS = ("call_id", "agent_id", "started_at", "caller_class", "sub_reason", "class_source",
                    "warnings", "explanations", "disposition")
CALL_COLUMNS = ("agent_id", "caller_number", "caller_raw", "line_call_id", "started_at", "answered_at",
                "ended_at", "ended_by", "close_reason", "caller_class", "sub_reason", "class_reason",
                "class_reason_key", "class_source", "explanations", "warnings", "closure_confirmed_at",
                "hangup_allowed_at", "hangup_prompted_at", "customer_hung_up_in_grace", "agent_ended_early",
                "disposition", "wrapped_up_at", "updated_at")
BLOCK_COLUMNS = ("id", "number", "scope", "reason", "proposed_by", "decided_by", "operated_by", "status",
                 "automatic", "call_id", "note", "created_at", "expires_at", "review_at", "ended_at", "updated_at")
NOTE_COLUMNS = ("id", "call_id", "text", "created_at", "updated_at")
BLOCK_SCOPES = ("day", "week", "month", "permanent")        # as the blocklist table's CHECKs
BLOCK_STATUSES = ("proposed", "approved", "rejected", "active", "expired", "revoked")


def _upsert(db: Database, table: str, key: str, row: dict) -> None:
    names = list(row)
    updates = ", ".join(f"{n} = excluded.{n}" for n in names if n != key)
    db.execute(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' for _ in names)})"
               f" ON CONFLICT ({key}) DO UPDATE SET {updates}", [row[n] for n in names])


def apply_profile(db: Database, profile: dict, pulled_at: str) -> int:
    """A caller profile: the centre's case facts, and the number's recent calls as team evidence."""
    number = profile["number"]
    _upsert(db, "caller_profiles", "number", {
        "number": number, "case_id": profile.get("case_id"), "case_closed_at": profile.get("case_closed_at"),
        "branch_only": int(bool(profile.get("branch_only"))), "updated_at": profile.get("updated_at") or pulled_at,
    })
    count = 0
    for evidence in profile.get("evidence", ()):
        if not _usable_evidence(evidence):
            continue   # classification reads these rows: a garbled one must never reach it
        row = {k: evidence.get(k) for k in EVIDENCE_COLUMNS if k in evidence}
        row.update(caller_number=number, updated_at=pulled_at)
        _upsert(db, "team_calls", "call_id", row)
        count += 1
    return count


def _usable_evidence(row) -> bool:
    if not isinstance(row, dict) or not isinstance(row.get("call_id"), str) or not row["call_id"]:
        return False
    try:
        started = datetime.fromisoformat(row["started_at"])
        CallerClass(row["caller_class"])
        SubReason(row.get("sub_reason") or "")
    except (KeyError, TypeError, ValueError):
        return False
    counts_ok = all(isinstance(row.get(k, 0), int) for k in ("warnings", "explanations"))
    return started.tzinfo is not None and counts_ok and row.get("class_source", "auto") in ("auto", "agent")


def apply_block(db: Database, block: dict) -> bool:
    """One blocklist entry; False (skipped) when it would not fit the local table's rules."""
    if not (block.get("scope") in BLOCK_SCOPES and block.get("status") in BLOCK_STATUSES
            and all(isinstance(block.get(k), str) for k in ("id", "number", "reason", "created_at"))):
        return False
    row = {k: block.get(k) for k in BLOCK_COLUMNS if k in block}
    row["automatic"] = int(bool(row.get("automatic")))
    _upsert(db, "blocklist", "id", row)
    return True


def apply_team_call(db: Database, call: dict, version: int | None, pulled_at: str) -> bool:
    """A lead's pull: one call of the team, in full, into team_calls (never into `calls`, so it is
    never one of the lead's own open calls). The lead's own calls are skipped: `calls` has them."""
    call_id = call.get("id") or call.get("call_id")
    if not _usable_evidence(dict(call, call_id=call_id)):
        return False
    if db.execute("SELECT 1 FROM calls WHERE id = ?", [call_id]).fetchone():
        return False
    row = {k: call.get(k) for k in CALL_COLUMNS if k in call}
    row.update(call_id=call_id, version=version, updated_at=call.get("updated_at") or pulled_at)
    _upsert(db, "team_calls", "call_id", row)
    return True


def apply_team_note(db: Database, note: dict, version: int | None) -> bool:
    if not note.get("id") or db.execute("SELECT 1 FROM notes WHERE id = ?", [note["id"]]).fetchone():
        return False
    row = {k: note.get(k) for k in NOTE_COLUMNS if k in note}
    row["version"] = version or 0
    _upsert(db, "team_notes", "id", row)
    return True
