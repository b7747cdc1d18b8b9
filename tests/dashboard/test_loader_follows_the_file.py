"""My day and the dashboard read through their own connection: when the card's database is deleted
and the card writes its calls back into a new file, the next load reads that file, not the lost one."""

from datetime import date

from PySide6.QtWidgets import QWidget

from hangup_coach.app.resources import load_policy
from hangup_coach.store.db import open_db
from hangup_coach.store.reports import ReportQuery
from hangup_coach.ui.report_loader import ReportLoader

from .conftest import add_call


def a_file_with_a_call_of(path, agent):
    db = open_db(path, check=True)      # made and marked as the card's store worker makes it
    add_call(db, "2026-06-01 10:00:00", agent=agent)
    db.conn.commit()
    db.conn.close()


def test_the_next_load_reads_the_new_file_after_the_database_was_deleted(qtbot, tmp_path):
    path = tmp_path / "calls.db"
    a_file_with_a_call_of(path, "1001")
    window = QWidget()                  # the loader's owner, as My day or the dashboard is
    qtbot.addWidget(window)
    loader = ReportLoader(path, load_policy(), window)
    query = ReportQuery(date(2026, 6, 1), date(2026, 6, 1), utc_offset_minutes=480)
    try:
        with qtbot.waitSignal(loader.agents_loaded, timeout=30_000) as first:
            loader.load(query)
        assert first.args[0] == ["1001"]
        for suffix in ("", "-wal", "-shm"):          # deleted; the card writes everything into a new file
            path.with_name(path.name + suffix).unlink(missing_ok=True)
        a_file_with_a_call_of(path, "2002")
        with qtbot.waitSignal(loader.agents_loaded, timeout=30_000) as second:
            loader.load(query)
        assert second.args[0] == ["2002"]
    finally:
        loader.stop()
        loader._retired.pool.shutdown(wait=True)   # its thread has closed the connection
