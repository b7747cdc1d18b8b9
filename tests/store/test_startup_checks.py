"""Every way the call database cannot work is refused at start-up, with a kind the dialog words,
and the file is left as it was (issue 10, item 3). CI runs as root, so "not writable" is made with
the immutable attribute (chattr +i), which binds root too."""

import sqlite3
import subprocess
from datetime import timedelta

import pytest

from hangup_coach.core.clock import FakeClock
from hangup_coach.core.coach import CallRecord
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import StoreError, open_db, set_aside

NOW = FakeClock().now()
PAGE = 4096


def make_db(path, calls=300):
    store = CallStore(open_db(path))
    for n in range(calls):
        store.save_call(CallRecord(id=f"call-{n:04d}", agent_id="1024", caller_number=f"+86138{n:08d}",
                                   caller_raw="", line_call_id=None, started_at=NOW - timedelta(minutes=n),
                                   updated_at=NOW, caller_class="regular", class_reason="x" * 200))
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.db.conn.close()
    return path


def root_page(path, name):
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", [name]).fetchone()[0]
    finally:
        conn.close()


def overwrite_page(path, page, data=b"\xde\xad\xbe\xef" * (PAGE // 4)):
    with open(path, "r+b") as f:
        f.seek((page - 1) * PAGE)
        f.write(data)


@pytest.fixture
def immutable():
    marked = []

    def mark(path):
        subprocess.run(["chattr", "+i", str(path)], check=True)
        marked.append(path)
        return path
    yield mark
    for path in marked:
        subprocess.run(["chattr", "-i", str(path)], check=False)


def unusable_cases(tmp_path, immutable):
    (tmp_path / "a-file").write_text("not a folder")
    yield "not_a_folder", tmp_path / "a-file" / "calls.db"
    locked = tmp_path / "locked-folder"
    locked.mkdir()
    immutable(locked)
    yield "folder_not_writable", locked / "calls.db"
    yield "read_only", immutable(make_db(tmp_path / "read-only.db"))
    header = make_db(tmp_path / "bad-header.db")
    overwrite_page(header, 1, b"SQLite format 2\x00")
    yield "corrupt", header
    pages = make_db(tmp_path / "bad-pages.db")
    overwrite_page(pages, root_page(pages, "calls") + 3)
    yield "corrupt", pages
    index = make_db(tmp_path / "bad-index.db")
    overwrite_page(index, root_page(index, "idx_calls_started"))
    yield "corrupt", index
    # flipped bytes inside a text that quick_check does not read: a decoding error, once "io" (Quit only)
    text = make_db(tmp_path / "bad-text.db")
    text.write_bytes(text.read_bytes().replace(b"0001_calls_and_notes", b"\xff\xfe01_calls_and_notes"))
    yield "corrupt", text
    not_sqlite = tmp_path / "not-sqlite.db"
    not_sqlite.write_bytes(b"PK\x03\x04" + b"a zip, not a database" * 50)
    yield "corrupt", not_sqlite


@pytest.mark.parametrize("case", range(8))
def test_each_unusable_database_is_refused_with_its_kind_and_left_untouched(tmp_path, immutable, case):
    kind, path = list(unusable_cases(tmp_path, immutable))[case]
    before = path.read_bytes() if path.is_file() else None
    with pytest.raises(StoreError) as refused:
        open_db(path, check=True)
    assert refused.value.kind == kind, str(refused.value)
    assert str(path.parent) in str(refused.value)
    if before is not None:
        assert path.read_bytes() == before


def test_a_good_database_passes_the_checks_and_leaves_no_probe(tmp_path):
    db = open_db(make_db(tmp_path / "good.db"), check=True)
    assert "_hangup_coach_write_probe" not in db.table_names()
    assert db.execute("SELECT count(*) FROM calls").fetchone()[0] == 300


def test_a_damaged_file_is_kept_aside_never_deleted(tmp_path):
    path = make_db(tmp_path / "calls.db", calls=3)
    overwrite_page(path, 1, b"garbage garbage!")
    original = path.read_bytes()
    aside = set_aside(path, "20261201-070000")
    assert aside.name == "calls.db.damaged-20261201-070000" and aside.read_bytes() == original
    assert not path.exists()
    assert open_db(path, check=True).execute("SELECT count(*) FROM calls").fetchone()[0] == 0


def test_a_drive_of_fstab_that_is_not_mounted_is_refused_and_nothing_is_made_in_its_folder(qtbot, tmp_path,
                                                                                          monkeypatch):
    """A network share or drive the machine mounts (listed in /etc/fstab) that is not connected at
    start-up: the card would make a new, empty database in the folder it leaves, on another disk."""
    from hangup_coach.app.resources import load_texts
    from hangup_coach.store import db as store_db
    from hangup_coach.ui.startup_refusal import StartupRefusal, refusal_text

    drive = tmp_path / "calls share"          # fstab writes its space as \040
    drive.mkdir()
    fstab = tmp_path / "fstab"
    escaped = str(drive).replace(" ", "\\040")
    fstab.write_text(f"# /etc/fstab\nUUID=1234 / ext4 defaults 0 1\n//server/calls {escaped} cifs noauto 0 0\n"
                     "/swapfile none swap sw 0 0\n", encoding="utf-8")
    monkeypatch.setattr(store_db, "FSTAB", fstab)
    path = drive / "hangup-coach" / "calls.db"
    with pytest.raises(StoreError) as refused:
        open_db(path, check=True)
    assert refused.value.kind == "unmounted" and str(drive) in str(refused.value)
    assert not any(drive.iterdir())                                   # nothing made in the empty folder
    assert "未连接" in refusal_text(refused.value, load_texts("zh_CN")) and str(path) in refusal_text(
        refused.value, load_texts("en"))
    dialog = StartupRefusal(refused.value, load_texts("en"))
    qtbot.addWidget(dialog)
    assert dialog.keep_aside is None                                  # only Quit: nothing to set aside

    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(drive)], check=True)
    try:                                                              # connected: the card starts
        open_db(path, check=True).conn.close()
        assert path.exists()
    finally:
        subprocess.run(["umount", "-l", str(drive)], check=False)
