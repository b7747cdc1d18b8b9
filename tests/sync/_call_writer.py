"""Child process for test_outbox's kill -9 test: changes calls and notes as fast as it can and
prints each call id after the change's commit returned."""

import sys
from datetime import datetime, timezone

from hangup_coach.core.coach import CallRecord
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db


def main(path: str) -> None:
    store = CallStore(open_db(path))
    for n in range(100_000):
        now = datetime.now(timezone.utc)
        call_id = f"call-{n % 40}"
        store.save_call(CallRecord(id=call_id, agent_id="1024", caller_number="+8613800138000", caller_raw="",
                                   line_call_id=None, started_at=now, updated_at=now, caller_class="regular",
                                   explanations=n))
        store.save_note(call_id, f"note {n}", now)
        sys.stdout.write(f"{call_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main(sys.argv[1])
