"""Work off the GUI thread answers on the GUI thread, and never to a window that is gone."""

import threading
from concurrent.futures import Future

import shiboken6

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QWidget

from hangup_coach.app.off_thread import run_off_thread, when_done


def test_the_answer_arrives_on_the_gui_thread(qtbot):
    owner, got = QObject(), []
    run_off_thread(owner, lambda: threading.get_ident(), lambda v: got.append(("ok", v, threading.get_ident())),
                   lambda e: got.append(("error", e)), name="test-work")
    qtbot.waitUntil(lambda: bool(got))
    kind, worker_thread, answered_on = got[0]
    assert kind == "ok" and worker_thread != threading.get_ident() and answered_on == threading.get_ident()


def test_an_error_in_the_work_is_handed_to_on_error(qtbot):
    owner, got = QObject(), []

    def fail():
        raise OSError("server down")
    run_off_thread(owner, fail, lambda v: got.append(("ok", v)), lambda e: got.append(("error", e)), name="test-work")
    qtbot.waitUntil(lambda: bool(got))
    assert got[0][0] == "error" and isinstance(got[0][1], OSError) and "server down" in str(got[0][1])


def test_a_window_closed_while_its_work_runs_is_not_called_and_nothing_breaks(qtbot, qapp):
    window, got, release, finished = QWidget(), [], threading.Event(), threading.Event()

    def work():
        release.wait(10)
        return "late"

    def watcher(value):   # a second request, by an object that lives on: proves the relay delivered
        finished.set()
    run_off_thread(window, work, got.append, got.append, name="test-work")
    window.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window))
    release.set()
    keeper = QObject()
    run_off_thread(keeper, lambda: release.wait(10), watcher, got.append, name="test-work")
    qtbot.waitUntil(finished.is_set)
    qapp.processEvents()
    assert got == []


def test_a_futures_result_is_handed_over_later_on_the_gui_thread_even_when_already_done(qtbot):
    """when_done never calls back inside its asker's call (the controller asks in the middle of a
    ring, before the ring's session exists), and answers on the GUI thread for a worker's future."""
    owner, got = QObject(), []
    done_already = Future()
    done_already.set_result("read")
    when_done(owner, done_already, lambda v: got.append(("ok", v, threading.get_ident())), got.append)
    assert got == []   # not inside the call
    qtbot.waitUntil(lambda: bool(got))
    assert got == [("ok", "read", threading.get_ident())]

    later, failing = Future(), Future()
    when_done(owner, later, lambda v: got.append(("late", v)), got.append)
    when_done(owner, failing, got.append, lambda e: got.append(("error", str(e))))
    threading.Thread(target=lambda: (later.set_result(7), failing.set_exception(OSError("busy")))).start()
    qtbot.waitUntil(lambda: len(got) == 3)
    assert sorted(got[1:]) == [("error", "busy"), ("late", 7)]


def test_a_future_done_after_its_owner_is_gone_calls_nobody(qtbot, qapp):
    window, keeper, got, finished = QWidget(), QObject(), [], threading.Event()
    pending, witness = Future(), Future()
    when_done(window, pending, got.append, got.append)
    window.deleteLater()
    qtbot.waitUntil(lambda: not shiboken6.isValid(window))
    when_done(keeper, witness, lambda _v: finished.set(), got.append)   # delivered after the first
    threading.Thread(target=lambda: (pending.set_result("late"), witness.set_result("seen"))).start()
    qtbot.waitUntil(finished.is_set)
    qapp.processEvents()
    assert got == []
