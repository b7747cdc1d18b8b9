"""The append-only audit: one row per command and per change to a shared record (who, from which
device, when by the server's clock, the record before and after). Rows are only ever inserted;
the database itself refuses UPDATE and DELETE (triggers, migrations/versions/0003_sites_audit.py)."""

from __future__ import annotations

import json

from sqlalchemy import or_, select
from sqlalchemy.engine import Connection

from ..permissions import Place, Reach
from .engine import reach_clause
from .schema import audit

COMMAND_LINE = "server-cli"     # the device id of changes made with `hangup-coach server ...` on the server


def append(conn: Connection, by, action: str, kind: str, record_id: str, place: Place, before, after,
           at: str) -> None:
    """One audit row in `conn`'s transaction. `by`: the acting device (None: the server's command
    line); `before`/`after`: JSON-able (None when created or gone)."""
    conn.execute(audit.insert().values(
        at=at, device_id=by.id if by else COMMAND_LINE, agent_id=by.agent_id if by else COMMAND_LINE,
        role=by.role if by else "admin", action=action, kind=kind, record_id=record_id,
        team=place.team, site=place.site, before=_json(before), after=_json(after)))


def read(conn: Connection, reach: Reach, after: list, limit: int, kind: str | None = None,
         record_id: str | None = None) -> tuple[list[dict], bool]:
    """Audit rows matching `after` (the cursor's clauses, changes.after) in the reader's reach: of
    the records in their team or site, and of the records that belong to no one team or site (the
    centre's cases, say), which every reader of the audit may see. In change order."""
    query = select(audit).where(*after).order_by(audit.c.tx, audit.c.seq).limit(limit + 1)
    for column, value in reach.filters.items():
        query = query.where(or_(reach_clause(audit.c[column], value), audit.c[column].is_(None)))
    if kind:
        query = query.where(audit.c.kind == kind)
    if record_id:
        query = query.where(audit.c.record_id == record_id)
    rows = [dict(r) for r in conn.execute(query).mappings()]
    for row in rows:
        row["before"] = json.loads(row["before"]) if row["before"] is not None else None
        row["after"] = json.loads(row["after"]) if row["after"] is not None else None
    return rows[:limit], len(rows) > limit


def _json(value) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
