"""What the end-to-end tests of the card on a real line share: finding a call, waiting for it, the
card going away as in a crash, reading what was stored."""


def session_of(desk, number):
    """The newest call on the card from this number (as the line gave it)."""
    found = [s for s in desk.controller.coach.sessions.values() if s.record.caller_raw == number]
    return found[-1] if found else None


def wait_session(qtbot, desk, number, phase, timeout=8000):
    qtbot.waitUntil(lambda: session_of(desk, number) is not None and session_of(desk, number).phase is phase,
                    timeout=timeout)
    return session_of(desk, number)


def wait_sipp(qtbot, sipp, timeout=20_000):
    """Let the Qt loop run (the card follows the line meanwhile) until sipp has finished its calls."""
    qtbot.waitUntil(sipp.done, timeout=timeout)
    assert sipp.returncode == 0, sipp.report()


def close_desk(desk):
    """The card goes away as in a crash: no wrap-up, no goodbye to the line beyond the socket closing."""
    desk.softphone.stop()
    desk.card.close()


def row_of(desk, number):
    [row] = desk.rows("SELECT * FROM calls WHERE caller_raw = ? ORDER BY started_at DESC LIMIT 1", (number,))
    return row


def list_row(desk, session):
    """The row of the other-calls list that shows this call."""
    [row] = [r for r in desk.card.call_list.rows if r.isVisible() and r.property("record_id") == session.record.id]
    return row


def stored_note(desk, session):
    """The note as the database has it (read on the card's store worker, its one owner)."""
    return desk.controller.worker.call(lambda store: store.note(session.record.id), 5)
