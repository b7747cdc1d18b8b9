"""The database file deleted, its folder deleted, or another file put in its place while the card
runs: the card says so at once, keeps everything, and writes it all back to a file of its own,
never into a file that is not its own."""

import shutil
import sqlite3

import pytest
from PySide6.QtCore import Qt

from hangup_coach.telephony.simulator import SimulatedLine


def work_a_call(qtbot, card, line, call_id, number, note):
    line.ring(call_id, number)
    qtbot.mouseClick(card.buttons["answer"], Qt.LeftButton)
    card.note.setPlainText(note)
    card.flush_note()
    qtbot.mouseClick(card.buttons["hang_up"], Qt.LeftButton)
    qtbot.mouseClick(card.buttons["done"], Qt.LeftButton)


def lose(db, how):
    if how == "folder":
        shutil.rmtree(db.parent)
    else:
        for suffix in ("", "-wal", "-shm"):
            db.with_name(db.name + suffix).unlink(missing_ok=True)



@pytest.mark.parametrize("how", ["file", "folder"])
def test_the_database_deleted_mid_shift_comes_back_whole_in_a_new_file(qtbot, open_desk, tmp_path, how):
    line = SimulatedLine()
    db = tmp_path / "data" / "calls.db"
    desk = open_desk(db, line)
    card, controller = desk.card, desk.controller
    work_a_call(qtbot, card, line, "c1", "13800138000", "删除前的记录")
    assert controller.wait_saved(10)

    lose(db, how)                                        # an over-eager clean-up, a profile reset
    qtbot.waitUntil(lambda: "moved" in desk.statuses, timeout=10_000)   # said at once, idle or not
    work_a_call(qtbot, card, line, "c2", "13912345678", "删除后的记录")
    assert controller.wait_saved(15)
    notes = [(r["line_call_id"], r["note"]) for r in desk.rows()]
    assert notes == [("c1", "删除前的记录"), ("c2", "删除后的记录")]       # all of it, in a new file
    said = card.t["store_file_recreated"].format(path=db)
    qtbot.waitUntil(lambda: card.status.toolTip() == said, timeout=5000)   # and the card said so
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()


def test_a_file_that_is_not_the_cards_put_in_its_place_is_never_written(qtbot, open_desk, tmp_path):
    line = SimulatedLine()
    db = tmp_path / "calls.db"
    desk = open_desk(db, line)
    card, controller = desk.card, desk.controller
    work_a_call(qtbot, card, line, "c1", "13800138000", "first")
    assert controller.wait_saved(10)
    lose(db, "file")
    foreign = sqlite3.connect(db)                        # another program's database at the same path
    foreign.execute("CREATE TABLE photos (name TEXT)")
    foreign.execute("INSERT INTO photos VALUES ('holiday.jpg')")
    foreign.commit()
    foreign.close()
    before = db.read_bytes()

    qtbot.waitUntil(lambda: "moved" in desk.statuses, timeout=10_000)
    work_a_call(qtbot, card, line, "c2", "13912345678", "second")
    assert controller.wait_saved(15)
    assert db.read_bytes() == before                     # untouched
    [kept] = [p for p in tmp_path.iterdir() if p.name.startswith("calls.db.kept-") and p.suffix != ".json"
              and not p.name.endswith(("-wal", "-shm"))]
    conn = sqlite3.connect(kept)
    assert [r[0] for r in conn.execute("SELECT text FROM notes ORDER BY created_at")] == ["first", "second"]
    conn.close()
    said = card.t["store_file_kept_elsewhere"].format(path=kept)
    qtbot.waitUntil(lambda: card.status.toolTip() == said, timeout=5000)


def test_my_day_and_the_dashboard_read_the_calls_kept_beside_another_programs_file(qtbot, open_desk, tmp_path,
                                                                                   monkeypatch):
    """The tray's windows follow the store worker's "kept elsewhere": My day open before another
    program's file took the database's place, and the dashboard opened after, both count the call
    made since (they would otherwise read the lost file until a restart)."""
    from PySide6.QtWidgets import QApplication

    from hangup_coach.app.resources import load_policy
    from hangup_coach.launch.reports import tray_entries
    from hangup_coach.ui.dashboard import Dashboard
    from hangup_coach.ui.my_day import MyDay

    monkeypatch.setenv("HANGUP_COACH_HOME", str(tmp_path / "home"))   # My day's coaching asks no real profile
    line = SimulatedLine()
    db = tmp_path / "calls.db"
    desk = open_desk(db, line)
    card, controller = desk.card, desk.controller
    my_day_entry, dashboard_entry = (open_ for _label, open_ in
                                     tray_entries(db, load_policy(), "en", "1024", "lead",
                                                  moved=controller.store_file_event))
    work_a_call(qtbot, card, line, "c1", "13800138000", "first")
    assert controller.wait_saved(10)
    my_day_entry()
    [my_day] = [w for w in QApplication.topLevelWidgets() if isinstance(w, MyDay) and w.isVisible()]
    try:
        calls_today = my_day.cells[("my_calls", "today")]
        qtbot.waitUntil(lambda: calls_today.text() == "1", timeout=15_000)

        lose(db, "file")
        foreign = sqlite3.connect(db)                    # another program's database at the same path
        foreign.execute("CREATE TABLE photos (name TEXT)")
        foreign.commit()
        foreign.close()
        qtbot.waitUntil(lambda: "moved" in desk.statuses, timeout=10_000)
        work_a_call(qtbot, card, line, "c2", "13912345678", "second")
        assert controller.wait_saved(15)
        kept = next(p for p in tmp_path.iterdir() if p.name.startswith("calls.db.kept-") and p.suffix != ".json"
                    and not p.name.endswith(("-wal", "-shm")))
        qtbot.waitUntil(lambda: card.status.toolTip() == card.t["store_file_kept_elsewhere"].format(path=kept),
                        timeout=5000)   # the store worker's "kept elsewhere" has been told

        my_day_entry()                                   # the tray again: My day reloads
        qtbot.waitUntil(lambda: calls_today.text() == "2", timeout=15_000)
        dashboard_entry()                                # made after the move
        [dashboard] = [w for w in QApplication.topLevelWidgets() if isinstance(w, Dashboard) and w.isVisible()]
        try:
            assert dashboard.loader.db_path == kept
            qtbot.waitUntil(lambda: dashboard.report is not None and dashboard.report.total.calls == 2,
                            timeout=15_000)
        finally:
            dashboard.close()
    finally:
        my_day.close()


def test_a_drive_that_went_away_is_said_and_nothing_is_written_in_the_empty_folder_it_left(
        qtbot, open_desk, small_disk):
    """The database on a drive or network share that is unmounted while the card runs: its mount
    point is an empty folder of another disk now. The card says so, keeps everything in this
    window (writing neither a new database nor the journal there, where the drive would hide them
    when it is back), and writes everything back once the drive is mounted again."""
    import subprocess

    from PySide6.QtWidgets import QApplication

    line = SimulatedLine()
    db = small_disk / "data" / "calls.db"
    desk = open_desk(db, line)
    card, controller = desk.card, desk.controller
    work_a_call(qtbot, card, line, "c1", "13800138000", "拔盘之前")
    assert controller.wait_saved(10)

    subprocess.run(["umount", "-l", str(small_disk)], check=True)   # pulled out / the share went away
    qtbot.waitUntil(lambda: "unmounted" in desk.statuses, timeout=10_000)
    assert card.status.toolTip() == card.t["store_unmounted"] and card.status.property("problem")   # in red
    work_a_call(qtbot, card, line, "c2", "13912345678", "拔盘之后")
    controller.worker.submit(lambda _store: None).result(15)   # the worker has taken the calls' writes
    assert not controller.wait_saved(0)
    assert not any(small_disk.iterdir())                       # no new database, no journal in the empty folder
    assert "moved" not in desk.statuses and card.status.toolTip() == card.t["store_unmounted"]
    assert card.rescue.isVisible()
    qtbot.mouseClick(card.rescue.copy_button, Qt.LeftButton)
    assert "拔盘之后" in QApplication.clipboard().text()

    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(small_disk)],
                   check=True)                                   # a drive is back there (here: empty)
    qtbot.waitUntil(lambda: card.status.toolTip() == card.t["store_file_recreated"].format(path=db),
                    timeout=15_000)
    assert controller.wait_saved(15)
    assert [(r["line_call_id"], r["note"]) for r in desk.rows()] == [("c1", "拔盘之前"), ("c2", "拔盘之后")]
    assert not card.rescue.isVisible()
