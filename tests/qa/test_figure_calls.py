"""From a figure to its calls without a batch: an agent's early hang-ups of a period listed, another
figure chosen, one opened in the review window to listen and read (nothing scored), and a batch
started from the selection; driven by keys, through the launcher the dashboard and My day use."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta, timezone

from PySide6.QtCore import QDate, Qt

from hangup_coach.app.paths import AppPaths
from hangup_coach.core.coach import CallRecord
from hangup_coach.launch.qa import open_figure_calls
from hangup_coach.store import qa as qa_store
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach.sync.credentials import Credentials
from hangup_coach.ui.qa_figure_calls import FigureCalls
from hangup_coach.ui.qa_review import ReviewWindow
from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call

FIRST, LAST = date(2026, 11, 16), date(2026, 11, 22)


def lead_file() -> object:
    path = AppPaths.detect().database(None)
    store = CallStore(open_db(path))
    start = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
    for n, early in enumerate((True, False, True)):
        t = start + timedelta(hours=n)
        store.save_call(CallRecord(id=f"c{n}", agent_id="1001", caller_number="+8613800138000", caller_raw="",
                                   line_call_id=None, started_at=t, answered_at=t, ended_at=t + timedelta(minutes=2),
                                   ended_by="agent", caller_class="regular", agent_ended_early=early, updated_at=t))
    store.save_call(CallRecord(id="theirs", agent_id="1002", caller_number=None, caller_raw="", line_call_id=None,
                               started_at=start, answered_at=start, ended_at=start, ended_by="agent",
                               caller_class="regular", agent_ended_early=True, updated_at=start))
    store.save_note("c2", "客户要求再核实一次", start)
    store.db.conn.close()
    return path


def test_a_figures_calls_open_in_the_review_window_without_a_batch_and_start_one(qtbot, tmp_path, monkeypatch):
    monkeypatch.setenv("HANGUP_COACH_HOME", str(tmp_path / "home"))
    path = lead_file()
    listing = open_figure_calls(path, "en", "1001", FIRST, LAST)
    qtbot.addWidget(listing)
    with qtbot.waitSignal(listing.listed, timeout=30_000):                    # read off the GUI thread
        qtbot.waitExposed(listing)
    assert listing.table.rowCount() == 2 and listing.count.text() == "2 calls"
    assert listing.table.item(0, 1).text() == "138****8000"                   # masked
    listing.figure.setFocus()
    with qtbot.waitSignal(listing.listed, timeout=30_000):
        qtbot.keyClick(listing.figure, Qt.Key_Down)                            # another figure: none of those
    assert listing.outcome() != "agent_before_allowed" and listing.table.rowCount() == 0
    assert not listing.open_button.isEnabled() and not listing.batch_button.isEnabled()
    with qtbot.waitSignal(listing.listed, timeout=30_000):
        qtbot.keyClick(listing.figure, Qt.Key_Up)
    assert listing.table.rowCount() == 2

    listing.table.setFocus()
    qtbot.keyClick(listing.table, Qt.Key_Down)                                 # the second early hang-up
    qtbot.keyClick(listing.table, Qt.Key_Return)
    review = listing.opened[-1]
    assert isinstance(review, ReviewWindow) and review.batch is None
    qtbot.waitExposed(review)
    assert review.calls[review.index].call_id == "c2" and review.note.toPlainText() == "客户要求再核实一次"
    assert review.header.text() == "Browsing 2 calls behind the figure (no batch: nothing is scored here)"
    assert not review.rows[0].isVisibleTo(review)                              # no form to fill in
    qtbot.keyClick(review, Qt.Key_1)                                           # ...so digits score nothing
    qtbot.keyClick(review, Qt.Key_PageUp)
    assert review.calls[review.index].call_id == "c0" and review.progress.text() == "Call 1 of 2"
    qtbot.keyClick(review, Qt.Key_Return)                                      # Enter: the next call
    assert review.calls[review.index].call_id == "c2" and review.reviews == {}
    db = open_db(path)
    try:
        assert db.execute("SELECT COUNT(*) FROM qa_reviews").fetchone()[0] == 0
    finally:
        db.conn.close()
    review.close()

    with qtbot.waitSignal(listing.listed, timeout=30_000):                    # another period: none then
        listing.first.setDate(QDate(2026, 11, 21))
    assert listing.table.rowCount() == 0 and listing.count.text() == "0 calls"
    with qtbot.waitSignal(listing.listed, timeout=30_000):
        listing.first.setDate(QDate(2026, 11, 9))                              # from the week before
    assert listing.table.rowCount() == 2

    with qtbot.waitSignal(listing.start_batch) as started:
        qtbot.mouseClick(listing.batch_button, Qt.LeftButton)
    assert started.args == ["agent_before_allowed", ["c0", "c2"], date(2026, 11, 9), LAST]
    setup = listing.opened[-1]
    assert [setup.call_list.item(i).text() for i in range(setup.call_list.count())] == ["c0", "c2"]
    setup.close()
    listing.close()


def test_the_list_is_read_off_the_gui_thread_and_the_last_figure_chosen_wins(qtbot):
    """A slow file: the window shows at once and takes keys; an answer for a figure the lead has
    left is dropped."""
    from hangup_coach.app.off_thread import _relay
    from hangup_coach.app.qa import load_qa_texts
    from hangup_coach.store.qa import BatchCall

    gates = {"agent_before_allowed": threading.Event(), "agent_after_prompt": threading.Event()}

    def slow_load(outcome: str, first: date, last: date) -> list:
        assert gates[outcome].wait(30)
        return [BatchCall(0, f"{outcome}-1", "1001", outcome, {"started_at": None, "caller_number": None}, "")]

    listing = FigureCalls(load_qa_texts("en"), "1001", FIRST, LAST, "agent_before_allowed", slow_load, 0)
    qtbot.addWidget(listing)
    listing.show()
    assert listing.count.text() == "Reading the calls…" and not listing.open_button.isEnabled()
    listing.figure.setFocus()
    qtbot.keyClick(listing.figure, Qt.Key_Down)                 # keys answer while the first read waits
    assert listing.outcome() == "agent_after_prompt"
    with qtbot.waitSignal(listing.listed, timeout=30_000):
        gates["agent_after_prompt"].set()
    gates["agent_before_allowed"].set()                          # its answer comes late: dropped
    qtbot.waitUntil(lambda: all(owner is not listing for owner, *_ in _relay().waiting.values()))   # handed over
    assert [c.call_id for c in listing.calls] == ["agent_after_prompt-1"] and listing.count.text() == "1 calls"
    listing.close()


def test_the_windows_a_figure_opens_use_the_file_its_calls_came_from(qtbot, tmp_path, monkeypatch):
    """The card's file "kept elsewhere" (followed by the dashboard's loader): the review window and a
    batch drawn from the listed calls are on that file, not on the default path of this PC."""
    monkeypatch.setenv("HANGUP_COACH_HOME", str(tmp_path / "elsewhere"))
    elsewhere = lead_file()                                   # the calls, at a path of another home
    monkeypatch.setenv("HANGUP_COACH_HOME", str(tmp_path / "home"))
    default = AppPaths.detect().database(None)
    assert elsewhere != default and not default.exists()

    with ServerProcess(str(tmp_path / "server.db")) as server:
        pusher = Device(server, *add_device(server.database, "1001", "agent", "north", "shanghai"))
        try:
            start = datetime(2026, 11, 20, 9, tzinfo=timezone.utc)
            assert pusher.push([call("1001", call_id=f"c{n}", started=start + timedelta(hours=n), agent_ended_early=1)
                                for n in (0, 2)]).status_code == 200
        finally:
            pusher.close()
        _, token = add_device(server.database, "lead-1", "lead", "north", "shanghai")
        Credentials(tmp_path / "home" / "config", use_keyring=False).save(server.url, token)

        listing = open_figure_calls(elsewhere, "en", "1001", FIRST, LAST)
        qtbot.addWidget(listing)
        with qtbot.waitSignal(listing.listed, timeout=30_000):
            qtbot.waitExposed(listing)
        assert [c.call_id for c in listing.calls] == ["c0", "c2"]
        listing.open_at(1)
        review = listing.opened[-1]
        assert review.worker.database == elsewhere
        qtbot.waitUntil(lambda: review.calls[review.index].call_id == "c2")
        review.close()

        with qtbot.waitSignal(listing.start_batch):
            qtbot.mouseClick(listing.batch_button, Qt.LeftButton)
        setup = listing.opened[-1]
        setup.purpose.buttons()[1].click()
        answers = []
        setup.drawn.connect(lambda *args: answers.append(args))
        setup.not_drawn.connect(answers.append)
        qtbot.mouseClick(setup.button, Qt.LeftButton)
        qtbot.waitUntil(lambda: bool(answers), timeout=60_000)
        assert isinstance(answers[0], tuple), answers
        [(batch_id, count)] = answers
        assert count == 2
        batch_review = setup.opened[-1]
        assert batch_review.worker.database == elsewhere and batch_review.worker.batch_id == batch_id
        db = open_db(elsewhere)
        try:
            assert qa_store.batch(db, batch_id) is not None       # pulled into the file the calls came from
        finally:
            db.conn.close()
        assert not default.exists()                               # nothing made at the default path
        batch_review.close()
        setup.close()
        listing.close()
