"""The shared record schema accepts what the local store really writes (no server needed)."""

from datetime import datetime, timedelta, timezone

from hangup_coach.core.coach import CallRecord
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach import wire


def test_rows_written_by_the_local_store_pass_the_wire_schema(tmp_path):
    store = CallStore(open_db(tmp_path / "calls.db"))
    now = datetime.now(timezone.utc)
    store.save_call(CallRecord(
        id="c1", agent_id="1024", caller_number="+8613800138000", caller_raw="13800138000", line_call_id="sip-1@x",
        started_at=now, answered_at=now + timedelta(seconds=2), ended_at=now + timedelta(minutes=1),
        ended_by="customer", caller_class="no_value", sub_reason="harassment", class_reason="骚扰，第 3 次",
        class_reason_key="repeat_no_value", class_source="agent", explanations=1, warnings=1,
        customer_hung_up_in_grace=True, disposition="warned_and_ended", wrapped_up_at=now, updated_at=now))
    store.save_call(CallRecord(id="c2", agent_id="1024", caller_number=None, caller_raw="anonymous",
                               line_call_id=None, started_at=now, updated_at=now))
    store.save_note("c1", "客户反映话费异常，已核实。", now)
    for row in store.db.query("SELECT * FROM calls"):
        data = {k: v for k, v in row.items() if k in wire.CALL_FIELDS}
        assert set(data) == set(wire.CALL_FIELDS)            # the wire carries every column of the row
        record = wire.parse_record({"kind": "call", "id": row["id"], "version": 1, "data": data})
        assert record.owner == "1024"
    for row in store.db.query("SELECT * FROM notes"):
        data = {k: v for k, v in row.items() if k in wire.NOTE_FIELDS}
        assert wire.parse_record({"kind": "note", "id": row["id"], "version": 1, "data": data}).call_id == "c1"


def test_times_must_be_utc_and_numbers_e164():
    assert wire.parse_utc("2026-11-30T10:00:00Z") == wire.parse_utc("2026-11-30T10:00:00.000+00:00")
    for bad in ("2026-11-30T10:00:00", "2026-11-30T18:00:00+08:00", "30/11/2026", 1764500000, None):
        try:
            wire.parse_utc(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad!r} accepted")
    assert wire.canonical_time("2026-11-30T10:00:00Z") == "2026-11-30T10:00:00.000000+00:00"
    assert [wire.is_e164(n) for n in ("+8613800138000", "+861", "8613800138000", "+0123456")] == [
        True, False, False, False]
