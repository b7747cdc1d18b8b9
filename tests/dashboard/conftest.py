"""Hand-built calls with known answers for the review figures."""

import itertools
from datetime import datetime, timedelta, timezone

import pytest

from hangup_coach.store.db import open_db

CST = timezone(timedelta(hours=8))   # the centre's local time in these tests (UTC+8)
_ids = itertools.count(1)


def at(text: str) -> datetime:
    """A local (UTC+8) time, 'YYYY-MM-DD HH:MM:SS'."""
    return datetime.fromisoformat(text).replace(tzinfo=CST)


def iso(dt: datetime | None) -> str | None:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds") if dt else None


def add_call(db, start: str, **fields) -> str:
    """One call of the file's own (`calls`), as call_row() makes it; returns its id."""
    row = call_row(start, **fields)
    db.table("calls").insert(row)
    return row["id"]


def call_row(start: str, talk: float | None = 60, ended_by: str | None = "customer", agent: str = "1001",
             cls: str = "regular", closure: float | None = None, allowed: float | None = None,
             prompted: float | None = None, in_grace: bool = False, early: bool = False,
             explanations: int = 0, warnings: int = 0, ring: float = 5, open_call: bool = False) -> dict:
    """One call: `start` local, answered `ring` s later (talk=None: missed), ended `talk` s after
    the answer; closure/allowed/prompted are seconds after the answer."""
    started = at(start)
    answered = started + timedelta(seconds=ring) if talk is not None else None
    ended = None if open_call else (answered + timedelta(seconds=talk) if answered else started + timedelta(seconds=20))
    since = (lambda s: answered + timedelta(seconds=s) if s is not None else None)
    return {
        "id": f"c{next(_ids)}", "agent_id": agent, "caller_number": "+8613800138000", "caller_raw": "13800138000",
        "started_at": iso(started), "answered_at": iso(answered), "ended_at": iso(ended),
        "ended_by": None if open_call else ended_by, "caller_class": cls,
        "explanations": explanations, "warnings": warnings,
        "closure_confirmed_at": iso(since(closure)), "hangup_allowed_at": iso(since(allowed)),
        "hangup_prompted_at": iso(since(prompted if prompted is not None else allowed)),
        "customer_hung_up_in_grace": int(in_grace), "agent_ended_early": int(early),
        "updated_at": iso(ended or started),
    }


@pytest.fixture
def db(tmp_path):
    database = open_db(tmp_path / "calls.db")
    yield database
    database.conn.close()
