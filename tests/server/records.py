"""Valid records as a card pushes them, to vary in tests."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone


def iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds")


def call(agent: str, number: str | None = "+8613800138000", *, version: int = 1, call_id: str | None = None,
         started: datetime | None = None, caller_class: str = "regular", sub_reason: str = "",
         class_source: str = "auto", **fields) -> dict:
    started = started or datetime.now(timezone.utc) - timedelta(minutes=5)
    data = {
        "agent_id": agent, "caller_number": number, "caller_raw": (number or "")[3:],
        "line_call_id": None, "started_at": iso(started), "answered_at": iso(started + timedelta(seconds=3)),
        "ended_at": iso(started + timedelta(minutes=2)), "ended_by": "agent", "close_reason": "",
        "caller_class": caller_class, "sub_reason": sub_reason, "class_reason": "", "class_reason_key": "",
        "class_source": class_source, "explanations": 0, "warnings": 0, "closure_confirmed_at": None,
        "hangup_allowed_at": None, "hangup_prompted_at": None, "customer_hung_up_in_grace": 0,
        "agent_ended_early": 0, "disposition": "resolved", "wrapped_up_at": iso(started + timedelta(minutes=3)),
        "updated_at": iso(started + timedelta(minutes=3)),
    }
    data.update(fields)
    return {"kind": "call", "id": call_id or str(uuid.uuid4()), "version": version, "data": data}


def note(call_id: str, text: str = "客户反映话费异常，已核实。", *, version: int = 1, note_id: str | None = None) -> dict:
    now = iso(datetime.now(timezone.utc))
    return {"kind": "note", "id": note_id or str(uuid.uuid4()), "version": version,
            "data": {"call_id": call_id, "text": text, "created_at": now, "updated_at": now}}


def block_proposal(number: str = "+8613800138000", status: str = "proposed", **fields) -> dict:
    now = iso(datetime.now(timezone.utc))
    data = {"number": number, "scope": "week", "reason": "harassment", "status": status, "created_at": now}
    data.update(fields)
    return {"kind": "block_proposal", "id": str(uuid.uuid4()), "version": 1, "data": data}


def qa_review(call_id: str, agent_id: str, reviewer_id: str, **fields) -> dict:
    """`reviewer_id`'s review of `agent_id`'s call (the form and batch as the QA module sends them)."""
    now = iso(datetime.now(timezone.utc))
    data = {"batch_id": "batch-1", "call_id": call_id, "agent_id": agent_id, "reviewer_id": reviewer_id,
            "form_name": "basic", "form_version": 1, "form_fingerprint": "f" * 64, "answers": {"greeting": 2},
            "created_at": now, "updated_at": now}
    data.update(fields)
    return {"kind": "qa_review", "id": str(uuid.uuid4()), "version": 1, "data": data}
