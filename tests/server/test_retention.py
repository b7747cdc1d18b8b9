"""The retention window of raw evidence (domain/retention.py) and the server's scheduled jobs
(domain/jobs.py), on SQLite and PostgreSQL: calls and their notes past the window move to
`records_archive` and nothing is lost (a card re-sending what it never saw acknowledged, a newer
version, a report over an archived day); a job runs in one process of many, and another takes it
over when the first stops."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from hangup_coach import wire
from hangup_coach.server.domain import records as pushes
from hangup_coach.server.domain.jobs import Job, Scheduler
from hangup_coach.server.domain.reports import team_figures
from hangup_coach.server.domain.retention import Retention
from hangup_coach.server.storage import Storage
from hangup_coach.server.storage.archive import records_archive
from hangup_coach.server.storage.schema import records
from tests.server.records import call, note

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock():
    return Clock(NOW)


@pytest.fixture
def storage(database, clock):
    made = Storage(database, clock=clock)
    made.migrate()
    yield made
    made.close()


def push(storage, device, *records_) -> list[dict]:
    body = {"device_id": device.id, "records": list(records_),
            "sent_at": storage.clock().isoformat()}
    acked, _, _ = pushes.push(storage, device, wire.parse_push(body))
    return acked


def where(storage) -> tuple[dict, dict]:
    """{id: version} in records, and in the archive."""
    with storage.engine.connect() as conn:
        return ({r.id: r.version for r in conn.execute(select(records.c.id, records.c.version))},
                {r.id: r.version for r in conn.execute(select(records_archive.c.id, records_archive.c.version))})


def test_old_evidence_moves_to_the_archive_and_nothing_is_lost(storage, clock):
    agent, _ = storage.add_device("1001", "agent", "north", "shanghai")
    lead, _ = storage.add_device("2001", "lead", "north", "shanghai")
    long_ago = NOW - timedelta(days=100)
    clock.now = long_ago                                    # pushed the day it was taken
    old_call = call("1001", started=long_ago - timedelta(hours=1), call_id="old-call")
    old_note = note("old-call", note_id="old-note")
    push(storage, agent, old_call, old_note)
    clock.now = NOW
    late = call("1001", started=long_ago, call_id="late-call")   # a card offline for 100 days: received now
    recent = call("1001", started=NOW - timedelta(hours=2), call_id="recent-call")
    push(storage, agent, late, recent)

    assert Retention(storage, days=90).run() == "2 record(s) older than 90 days moved to records_archive"
    assert where(storage) == ({"late-call": 1, "recent-call": 1}, {"old-call": 1, "old-note": 1})
    with storage.engine.connect() as conn:
        kept = conn.execute(select(records_archive.c.data).where(records_archive.c.id == "old-note")).scalar()
    assert old_note["data"]["text"] in kept
    assert Retention(storage, days=90).run().startswith("0 record(s)")

    # The card never saw its push acknowledged and sends the same version again: taken, then folded back.
    assert push(storage, agent, old_call) == [{"kind": "call", "id": "old-call", "version": 1}]
    day = long_ago.date()
    assert team_figures(storage, lead, day, day, 0)["total"]["calls"] == 2    # old-call once (and late-call)
    Retention(storage, days=90).run()
    assert where(storage) == ({"late-call": 1, "recent-call": 1}, {"old-call": 1, "old-note": 1})
    # A newer version of an archived call (edited today) stays until it is old itself, then replaces it.
    push(storage, agent, dict(old_call, version=2, data=dict(old_call["data"], warnings=1)))
    Retention(storage, days=90).run()
    assert where(storage)[0]["old-call"] == 2 and where(storage)[1]["old-call"] == 1
    assert team_figures(storage, lead, day, day, 0)["total"]["calls"] == 2
    clock.now = NOW + timedelta(days=91)
    Retention(storage, days=90).run()
    assert where(storage) == ({}, {"old-call": 2, "old-note": 1, "late-call": 1, "recent-call": 1})
    assert team_figures(storage, lead, day, day, 0)["total"]["calls"] == 2    # reports read the archive
    today = NOW.date()
    assert team_figures(storage, lead, today, today, 0)["total"]["calls"] == 1
    with pytest.raises(ValueError):
        Retention(storage, days=0)


def test_a_job_runs_in_one_process_and_moves_when_it_stops(storage, clock):
    ran: list[str] = []

    def make(who: str) -> Scheduler:     # two server processes over one database
        return Scheduler(storage, [Job("count", 3600, lambda still_mine: ran.append(who) or who)],
                         tick=1, lease_seconds=30)

    first, second = make("first"), make("second")
    for _ in range(3):
        first.step()
        second.step()
    assert ran == ["first"] and first.holding == {"count"} and second.holding == set()
    first.stop()                                              # a clean stop gives the lease up
    second.step()
    assert ran == ["first", "second"]
    third = make("third")                                     # ...a process that dies keeps it until it runs out
    third.step()
    clock.now = NOW + timedelta(seconds=31)
    third.step()
    assert ran == ["first", "second", "third"] and third.holding == {"count"}
    second.step()
    assert second.holding == set() and ran[-1] == "third"


def test_a_woken_scheduler_runs_its_every_tick_job_at_once_and_says_when_it_takes_it_over(storage, clock):
    """What the blocklist's work needs of the scheduler (domain/blocklist.py `background`): a job run
    at every tick and at once when woken, under a lease of its own name, told when this process
    takes it over, and closed on stop."""
    import threading
    import time

    from hangup_coach.server.storage.leases import leases

    def until(condition, seconds=30.0) -> bool:
        deadline = time.monotonic() + seconds
        while not condition() and time.monotonic() < deadline:
            time.sleep(0.02)
        return condition()

    ran, events, wake = [], [], threading.Event()
    job = Job("work", 0, lambda still_mine: ran.append(len(ran)) or None, lease="work-lease",
              taken=lambda: events.append("taken"), close=lambda: events.append("closed"))
    scheduler = Scheduler(storage, [job], tick=60, lease_seconds=30, wake=wake)
    scheduler.start()
    try:
        assert until(lambda: ran == [0]) and events == ["taken"]   # the first step, at start
        wake.set()                                              # long before the 60 s tick
        assert until(lambda: ran == [0, 1])
        with storage.engine.connect() as conn:
            assert conn.execute(select(leases.c.name)).scalars().all() == ["work-lease"]
    finally:
        scheduler.stop()
    assert events == ["taken", "closed"] and len(ran) == 2      # taken once; stop closes, runs nothing more


def test_a_failing_take_over_hook_is_logged_and_the_job_still_runs(storage, clock):
    ran = []

    def taken():
        raise RuntimeError("the hook failed")

    scheduler = Scheduler(storage, [Job("work", 0, lambda still_mine: ran.append(1) or None, taken=taken)],
                          tick=1, lease_seconds=30)
    try:
        scheduler.step()                                          # would raise, and end the thread
        assert ran == [1] and scheduler.holding == {"work"}
    finally:
        scheduler.stop()


def test_a_long_run_stops_when_its_lease_is_lost(storage, clock):
    agent, _ = storage.add_device("1001", "agent")
    clock.now = NOW - timedelta(days=200)
    push(storage, agent, *[call("1001", started=clock.now - timedelta(minutes=n)) for n in range(5)])
    clock.now = NOW
    answers = iter([True, False])
    summary = Retention(storage, days=90, batch=2).run(lambda: next(answers))
    assert summary.startswith("4 record(s)")                   # two batches, then the lease was gone
    with storage.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(records)).scalar() == 1
