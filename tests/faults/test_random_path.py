"""Random event sequences and random text through the whole path: the JSON source's parser → the
controller and coach → the store worker → a real SQLite file. Whatever garbage comes in between
(bytes, broken JSON, lone surrogates, events for unknown calls), every well-formed call is stored
exactly once, with its end."""

import dataclasses
import gc
import json
import sqlite3
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts
from hangup_coach.app.store_worker import StoreWorker
from hangup_coach.core.text import CALL_ID_LIMIT, clean_line
from hangup_coach.telephony.json_events import LineSplitter, parse_line
from hangup_coach.telephony.jsonpayload import BadMessage

ANY_TEXT = st.text(st.characters(exclude_categories=()), max_size=40)     # surrogates and controls included
WHO = st.sampled_from(["agent", "customer", "system", "unknown"])


def line(**fields) -> bytes:
    return json.dumps(fields).encode() + b"\n"


garbage = st.one_of(
    st.binary(max_size=60).map(lambda b: b.replace(b"\n", b"") + b"\n"),
    st.builds(lambda kind, cid, number, reason: line(event=kind, call_id=cid, number=number, reason=reason),
              st.one_of(st.sampled_from(["ringing", "answered", "ended"]), ANY_TEXT),
              ANY_TEXT.filter(lambda t: not clean_line(t, CALL_ID_LIMIT).startswith("good")),
              ANY_TEXT, ANY_TEXT),
    st.dictionaries(ANY_TEXT, st.one_of(ANY_TEXT, st.integers(), st.none()), max_size=4)
      .map(lambda d: json.dumps(d).encode() + b"\n"),
)


@st.composite
def shift(draw):
    """Well-formed calls (ring, answer, end), with garbage lines drawn in between their events."""
    calls, stream = [], []
    for n in range(draw(st.integers(1, 5))):
        cid, who = f"good-{n}", draw(WHO)
        calls.append((cid, who))
        for event in (line(event="ringing", call_id=cid, number=draw(ANY_TEXT)),
                      line(event="answered", call_id=cid),
                      line(event="ended", call_id=cid, ended_by=who, reason=draw(ANY_TEXT))):
            stream += draw(st.lists(garbage, max_size=3)) + [event]
    return calls, b"".join(stream) + b"".join(draw(st.lists(garbage, max_size=3)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(shift(), st.lists(st.integers(1, 200), max_size=10))
def test_every_well_formed_call_is_stored_once_whatever_comes_between(qapp, drawn, cuts):
    calls, data = drawn
    with tempfile.TemporaryDirectory() as folder:
        rows = stored_calls(qapp, Path(folder) / "calls.db", data, cuts)
        gc.collect()   # this example's controller and worker go now, not inside the next one's event loop
    assert sorted(r[0] for r in rows) == sorted(cid for cid, _ in calls)       # each once
    assert {r[0]: r[1] for r in rows} == dict(calls)                          # with who ended it
    assert all(r[2] for r in rows)


def stored_calls(qapp, db: Path, data: bytes, cuts: list[int]) -> list[tuple]:
    """Feed `data` through the whole path in the given chunks; the good calls as stored."""
    policy = dataclasses.replace(load_policy(), grace_seconds=0.01)
    controller = Controller(None, policy, load_scripts("en"), SystemClock(), QtScheduler(), Fill("1024"))
    worker = StoreWorker(db)
    ready = []
    controller.store_ready.connect(lambda: ready.append(True))
    controller.attach_worker(worker)
    while not ready:
        qapp.processEvents()
    splitter, start = LineSplitter(), 0
    for cut in cuts + [len(data)]:                # the bytes arrive in random chunks
        for raw in splitter.feed(data[start:start + cut]):
            try:
                controller.on_line_event(parse_line(raw))
            except BadMessage:
                pass
        start += cut
    for raw in splitter.feed(data[start:] + b"\n"):
        try:
            controller.on_line_event(parse_line(raw))
        except BadMessage:
            pass
    assert controller.wait_saved(10)
    controller.close()
    conn = sqlite3.connect(db)
    rows = conn.execute("SELECT line_call_id, ended_by, ended_at FROM calls WHERE line_call_id LIKE 'good-%'").fetchall()
    conn.close()
    return rows
