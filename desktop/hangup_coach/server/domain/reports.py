"""The figures of several teams, for a manager (their site) or a lead (their team): a lead's own
file holds only their team's calls, so a multi-team view reads them from the server.

Who sees which teams is the permission module's decision (`report.read`: lead → team, manager →
site, admin → centre). The figures are the card's: each call is added up by the rules of
core/tally_rules.py (the same SQL the card's kept tallies use), in a private in-memory SQLite
database, so the server's figures and a lead's file cannot disagree.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import fields
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from ...core.stats import Tally
from ...core.tally_rules import ROW
from .. import permissions
from ..storage import Device, Storage
from ..storage.engine import reach_clause
from .retention import calls_between

REPORT_READ = permissions.define("report.read", {"lead": "team", "manager": "site", "admin": "centre"})
LONGEST = 400           # days in one request: a year and a bit
_COLUMNS = ("agent_id", "started_at", "answered_at", "ended_at", "ended_by", "caller_class", "explanations",
            "warnings", "closure_confirmed_at", "hangup_allowed_at", "hangup_prompted_at",
            "customer_hung_up_in_grace", "agent_ended_early")


class ReportError(ValueError):
    """400: the request's period or offset is not usable; the message says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_period(first: str | None, last: str | None, offset: str | None) -> tuple[date, date, int]:
    try:
        period = date.fromisoformat(first or ""), date.fromisoformat(last or "")
    except ValueError:
        raise ReportError("first and last must be dates, YYYY-MM-DD") from None
    try:
        minutes = int(offset or "0")
    except ValueError:
        raise ReportError("utc_offset must be whole minutes, e.g. 480") from None
    if not -14 * 60 <= minutes <= 14 * 60:
        raise ReportError("utc_offset must be between -840 and 840 minutes")
    if period[1] < period[0] or (period[1] - period[0]).days >= LONGEST:
        raise ReportError(f"last must be on or after first, at most {LONGEST} days later")
    return period[0], period[1], minutes


def team_figures(storage: Storage, device: Device, first: date, last: date, utc_offset: int) -> dict:
    """{"scope", "teams": [{"site", "team", "tally"}], "total"} for the calls started in the local
    days first…last that `device` may read; Denied for a role without `report.read`."""
    reach = permissions.reach(device, REPORT_READ)
    tz = timezone(timedelta(minutes=utc_offset))
    start, end = (datetime.combine(d, time(), tz).astimezone(timezone.utc).isoformat(timespec="milliseconds")
                  for d in (first, last + timedelta(days=1)))
    calls = calls_between(("site", "team", "agent_id", "data"), start, end)   # records and their archive
    query = select(calls.c.site, calls.c.team, calls.c.data)
    for column, value in reach.filters.items():
        query = query.where(reach_clause(calls.c[column], value))
    added = sqlite3.connect(":memory:")
    try:
        added.execute(f"CREATE TABLE calls (site TEXT, team TEXT, {', '.join(_COLUMNS)})")
        with storage.engine.connect() as conn:
            rows = conn.execute(query.execution_options(yield_per=5000))
            for chunk in rows.partitions():
                added.executemany(f"INSERT INTO calls VALUES ({', '.join('?' * (2 + len(_COLUMNS)))})",
                                  [(site, team, *_values(data)) for site, team, data in chunk])
        sums = ", ".join(f"total({expression.format(r='')})" for expression in ROW.values())
        teams = [{"site": site, "team": team, "tally": _tally(values)}
                 for site, team, *values in added.execute(f"SELECT site, team, {sums} FROM calls GROUP BY 1, 2")]
    finally:
        added.close()
    total = sum((Tally(**t["tally"]) for t in teams), Tally())
    return {"scope": reach.scope, "first": first.isoformat(), "last": last.isoformat(), "utc_offset": utc_offset,
            "teams": teams, "total": _as_dict(total)}


def _values(data: str) -> tuple:
    call = json.loads(data)
    return tuple(call.get(column) for column in _COLUMNS)


_INT_FIELDS = {f.name for f in fields(Tally) if f.type in (int, "int")}


def _tally(values) -> dict:
    return {name: int(v) if name in _INT_FIELDS else v for name, v in zip(ROW, values)}


def _as_dict(tally: Tally) -> dict:
    return {name: getattr(tally, name) for name in ROW}
