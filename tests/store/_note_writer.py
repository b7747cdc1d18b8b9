"""Child process for test_kill9: types a note into the store, one character per commit, and
prints the length after each commit returns (the acknowledgement the parent relies on)."""

import sys
from datetime import datetime, timezone

from hangup_coach.core.coach import CallRecord
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db

TEXT = "客户反映宽带断线，已报修。" * 40


def main(path: str, call_id: str) -> None:
    store = CallStore(open_db(path))
    now = datetime.now(timezone.utc)
    if store.get_call(call_id) is None:
        store.save_call(CallRecord(id=call_id, agent_id="1", caller_number="+8613800138000", caller_raw="",
                                   line_call_id=None, started_at=now, answered_at=now, updated_at=now,
                                   caller_class="regular"))
    for n in range(len(store.note(call_id)) + 1, len(TEXT) + 1):
        store.save_note(call_id, TEXT[:n], datetime.now(timezone.utc))
        sys.stdout.write(f"{n}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
