"""The review window, driven by keys only: answers, saving to the outbox, moving between calls."""

from __future__ import annotations

from PySide6.QtCore import Qt

from hangup_coach.store import outbox
from hangup_coach.store import qa as qa_store

from .conftest import tone

# The shipped form's fields in order: call_necessary, self_service, problem_solved, call_again,
# root_causes (multi), techniques (multi, optional), verdict, comment (text, optional).
KEYS_FOR_ONE_REVIEW = [Qt.Key_1, Qt.Key_3, Qt.Key_1, Qt.Key_2, Qt.Key_2, Qt.Key_4, Qt.Key_Down, Qt.Key_Down,
                       Qt.Key_2]


def type_review(qtbot, window, keys=KEYS_FOR_ONE_REVIEW, comment: str = "") -> None:
    for key in keys:
        qtbot.keyClick(window.focusWidget() or window, key)
    if comment:
        qtbot.keyClicks(window.focusWidget(), comment)
    qtbot.keyClick(window.focusWidget() or window, Qt.Key_Return)


def test_a_review_typed_with_keys_is_saved_and_queued(qtbot, open_review, qa_db):
    window = open_review()
    assert window.calls[0].call_id == "call-000"
    with qtbot.waitSignal(window.review_saved, timeout=30_000):
        type_review(qtbot, window, comment="clear")
    assert window.status.text() == "Saved; it syncs with the next round."
    saved = qa_store.reviews(qa_db, "batch-1")
    assert list(saved) == ["call-000"]
    answers = saved["call-000"]["answers"]
    assert answers == {"call_necessary": "yes", "self_service": "no", "problem_solved": "fully",
                       "call_again": "likely", "root_causes": ["business_rules", "training"],
                       "verdict": "too_early", "comment": "clear"}
    assert saved["call-000"]["agent_id"] == "a0" and saved["call-000"]["reviewer_id"] == "qa-1"
    queued = outbox.records(qa_db, outbox.pending(qa_db))
    assert [(r["kind"], r["data"]["call_id"]) for r in queued] == [("qa_review", "call-000")]
    assert queued[0]["data"]["answers"]["verdict"] == "too_early"
    assert window.index == 1 and "call-001" == window.calls[window.index].call_id


def test_a_review_with_a_question_unanswered_is_not_saved(qtbot, open_review, qa_db):
    window = open_review()
    qtbot.keyClick(window, Qt.Key_1)
    qtbot.keyClick(window, Qt.Key_Return)
    assert qa_store.reviews(qa_db, "batch-1") == {}
    assert "Still to answer" in window.status.text() and "self-service" in window.status.text()
    assert window.rows[window.current_field].field.key == "self_service"


def test_the_window_shows_the_calls_facts_and_says_plainly_when_there_is_no_recording(qtbot, open_review):
    window = open_review(recordings="template:/nonexistent/{line_call_id}.wav")
    facts = window.facts.text()
    assert "138****8000" in facts and "+8613800138000" not in facts
    assert "Explanations 0 (policy: 3)" in facts
    assert "Answered" in window.timeline.text() and "Hang-up by the agent" in window.timeline.text()
    assert "Closing line offered" not in window.timeline.text()   # an early hang-up: no prompt came
    assert "Agent ended before the policy allowed" in facts
    assert window.note.toPlainText() == "note of call 0"
    qtbot.waitUntil(lambda: "No recording found" in window.player.status.text(), timeout=30_000)
    assert not window.player.button.isEnabled()
    qtbot.keyClick(window, Qt.Key_PageDown)
    assert window.index == 1 and window.note.toPlainText() == "note of call 1"
    assert "Closing line offered" in window.timeline.text()


def test_the_player_plays_a_recording_found_by_call_id(qtbot, open_review, tmp_path):
    folder = tmp_path / "recordings"
    folder.mkdir()
    tone(folder / "0-99@127.0.0.1.wav", seconds=4)
    window = open_review(recordings=f"template:{folder}/{{line_call_id}}.wav")
    qtbot.waitUntil(window.player.button.isEnabled, timeout=30_000)      # found off the GUI thread
    assert window.player.available
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: window.player.position() > 500, timeout=15_000)
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: not window.player.playing(), timeout=5000)
    paused_at = window.player.position()
    qtbot.keyClick(window, Qt.Key_Right)
    qtbot.waitUntil(lambda: window.player.position() >= min(paused_at + 5000, 4000) - 50, timeout=5000)


def test_the_window_answers_keys_while_the_database_is_locked_and_saves_when_it_is_free(qtbot, open_review, qa_db,
                                                                                         tmp_path):
    """Another program (the card's sync, say) holds the write lock: Enter still moves on at once and
    the next review can be typed; the save waits its turn off the GUI thread and lands after."""
    import sqlite3

    window = open_review()
    other = sqlite3.connect(tmp_path / "lead.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")                   # the write lock, held
        type_review(qtbot, window)                          # returns: the GUI thread did not wait for it
        assert window.calls[window.index].call_id == "call-001"
        assert window.status.text() == "Saving the review of the previous call…"
        assert window.progress.text() == "Call 2 of 10 · 1 reviewed"
        assert qa_store.reviews(qa_db, "batch-1") == {}    # not on disk yet
        for key in (Qt.Key_2, Qt.Key_1):                    # the next call's form answers keys meanwhile
            qtbot.keyClick(window.focusWidget() or window, key)
        assert [row.value() for row in window.rows[:2]] == ["no", "yes"]
        qtbot.keyClick(window, Qt.Key_PageUp)               # back to the call being saved: its answers show
        assert window.rows[0].value() == "yes" and window.rows[-2].value() == "too_early"
        with qtbot.waitSignal(window.review_saved, timeout=30_000) as saved:
            other.execute("ROLLBACK")                       # the lock is free
        assert saved.args[0] == "call-000"
    finally:
        other.close()
    assert list(qa_store.reviews(qa_db, "batch-1")) == ["call-000"]
    assert window.status.text() == "Saved; it syncs with the next round."


def test_a_save_that_fails_says_so_and_keeps_the_answers_for_another_enter(qtbot, open_review, qa_db, tmp_path):
    import sqlite3

    window = open_review()
    window.worker.busy_timeout_ms = 50                      # (each save opens its connection)
    other = sqlite3.connect(tmp_path / "lead.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with qtbot.waitSignal(window.review_not_saved, timeout=30_000):
            type_review(qtbot, window)
        assert "The review of call call-000 is not saved (database is locked)" in window.status.text()
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert qa_store.reviews(qa_db, "batch-1") == {}
    qtbot.keyClick(window, Qt.Key_PageUp)
    assert window.calls[window.index].call_id == "call-000" and window.rows[-2].value() == "too_early"
    with qtbot.waitSignal(window.review_saved, timeout=30_000):
        qtbot.keyClick(window.focusWidget() or window, Qt.Key_Return)
    assert qa_store.reviews(qa_db, "batch-1")["call-000"]["answers"]["verdict"] == "too_early"


def test_the_window_opens_at_once_and_reads_its_batch_off_the_gui_thread(qtbot, qa_db, tmp_path, monkeypatch):
    """A slow file (a busy share, a large batch): the window shows and takes keys while its batch is
    read on a thread; the first call appears when the read is done. A batch not on this PC is said."""
    import threading

    from hangup_coach.app.qa import batch_form, load_form, load_qa_texts
    from hangup_coach.core.policy import Policy
    from hangup_coach.core.qa_recordings import RecordingSource
    from hangup_coach.ui.qa_review import ReviewWindow

    from .conftest import NOW, batch_json

    form = load_form("standard")
    qa_store.save_batch(qa_db, batch_json(form, 3), NOW)
    slow, read = threading.Event(), qa_store.batch_calls
    monkeypatch.setattr(qa_store, "batch_calls", lambda db, batch_id: (slow.wait(30), read(db, batch_id))[1])
    windows = []
    for batch_id in ("batch-1", "batch-9"):
        window = ReviewWindow(tmp_path / "lead.db", batch_id, batch_form(qa_store.batch(qa_db, "batch-1")), Policy(),
                              load_qa_texts("en"), "en", "qa-1", RecordingSource.parse(""), tmp_path / "cache", 480,
                              lambda: NOW)
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
    window, missing = windows
    assert window.header.text() == "Batch batch-1: reading its calls…" and window.calls == []
    qtbot.keyClick(window, Qt.Key_1)                           # keys are taken (and ignored) meanwhile
    qtbot.keyClick(window, Qt.Key_Return)
    assert qa_store.reviews(qa_db, "batch-1") == {}
    with qtbot.waitSignal(window.loaded, timeout=30_000), qtbot.waitSignal(missing.loaded, timeout=30_000):
        slow.set()
    assert window.header.text() == "Batch batch-1 · find problems · form “Hang-up call review” v1"
    assert window.calls[window.index].call_id == "call-000" and window.progress.text() == "Call 1 of 3 · 0 reviewed"
    assert missing.status.text() == "The batch could not be read: the batch is not on this PC; pull it once online"
    for w in windows:
        w.close()
