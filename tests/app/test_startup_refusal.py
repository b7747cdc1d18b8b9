"""The app refuses a database it cannot save to, before any card says "saved": a dialog that says
what is wrong and what to do, and exit code 2 for scripts."""

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QTimer

from hangup_coach.app.resources import load_texts
from hangup_coach.store.db import StoreError
from hangup_coach.ui.startup_refusal import StartupRefusal, refusal_text

APP = [sys.executable, "-m", "hangup_coach"]


def run(args, home):
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(APP + args, env=env, capture_output=True, text=True, timeout=60)


@pytest.mark.parametrize("make", ["parent_is_a_file", "bad_header", "immutable_file"])
def test_the_app_exits_2_and_says_why(tmp_path, make):
    db = tmp_path / "calls.db"
    if make == "parent_is_a_file":
        (tmp_path / "f").write_text("x")
        db = tmp_path / "f" / "calls.db"
    elif make == "bad_header":
        db.write_bytes(b"MZ\x90\x00" + b"\x00" * 5000)
    else:
        assert run(["--smoke", "--db", str(db)], tmp_path).returncode == 0
        subprocess.run(["chattr", "+i", str(db)], check=True)
    try:
        result = run(["--smoke", "--db", str(db)], tmp_path)
    finally:
        subprocess.run(["chattr", "-i", str(db)], check=False, capture_output=True)
    assert result.returncode == 2, result.stdout
    assert str(db.parent) in result.stderr and "card shown" not in result.stdout


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_the_dialog_says_what_is_wrong_and_offers_to_keep_a_damaged_file_aside(qtbot, lang):
    texts = load_texts(lang)
    error = StoreError("the call database /x/calls.db is damaged (page 7)", "corrupt", "/x/calls.db")
    box = StartupRefusal(error, texts)
    qtbot.addWidget(box)
    assert "/x/calls.db" in box.text() and "page 7" in box.text()
    assert box.text().startswith(texts["refuse_corrupt"].format(path="/x/calls.db"))
    QTimer.singleShot(0, box.keep_aside.click)
    assert box.wants_new_database()


def test_quit_is_the_only_choice_when_nothing_can_be_kept_aside(qtbot):
    texts = load_texts("en")
    box = StartupRefusal(StoreError("/x is read-only", "read_only", "/x/calls.db"), texts)
    qtbot.addWidget(box)
    assert box.keep_aside is None and box.defaultButton() is box.quit
    QTimer.singleShot(0, box.quit.click)
    assert not box.wants_new_database()


def test_every_kind_has_words_in_both_languages():
    for lang in ("zh_CN", "en"):
        texts = load_texts(lang)
        for kind in ("not_a_folder", "folder_not_writable", "read_only", "corrupt", "busy", "disk_full", "io",
                     "foreign"):
            assert f"refuse_{kind}" in texts
            assert "/d/c.db" in refusal_text(StoreError("x", kind, "/d/c.db"), texts)


def test_a_file_that_cannot_be_opened_for_an_unnamed_reason_can_be_kept_aside_too(qtbot):
    # any failure to open or check the file offers a way on, not only Quit
    texts = load_texts("en")
    box = StartupRefusal(StoreError("cannot open /x/calls.db: SomethingNew", "io", "/x/calls.db"), texts)
    qtbot.addWidget(box)
    assert box.keep_aside is not None
    QTimer.singleShot(0, box.keep_aside.click)
    assert box.wants_new_database()


def another_programs_database(path):
    import sqlite3
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE photos (name TEXT)")
    conn.execute("INSERT INTO photos VALUES ('holiday.jpg')")
    conn.commit()
    conn.close()
    return path.read_bytes()


@pytest.mark.parametrize(("command", "code"), [(["--smoke"], 2), (["calls"], 1)])   # the card; the calls list
def test_another_programs_database_given_with_db_is_refused_and_left_as_it_is(tmp_path, command, code):
    db = tmp_path / "photos.db"
    before = another_programs_database(db)
    result = run([*command, "--db", str(db)], tmp_path)
    assert result.returncode == code, result.stdout
    assert str(db) in result.stderr and "another program's SQLite database" in result.stderr
    assert "card shown" not in result.stdout
    assert db.read_bytes() == before                       # not migrated, not even put in WAL mode
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("photos.db")) == ["photos.db"]


def test_another_programs_database_offers_only_quit(qtbot):
    texts = load_texts("zh_CN")
    box = StartupRefusal(StoreError("/x/photos.db is another program's SQLite database", "foreign", "/x/photos.db"),
                         texts)
    qtbot.addWidget(box)
    assert box.text().startswith(texts["refuse_foreign"].format(path="/x/photos.db"))
    assert box.keep_aside is None and box.defaultButton() is box.quit   # never renamed: it is not the card's


def test_the_cards_own_files_still_open_marked_unmarked_or_new(tmp_path):
    import sqlite3

    from hangup_coach.store.db import open_db
    open_db(tmp_path / "new.db").conn.close()                       # a new file
    old = tmp_path / "old.db"
    open_db(old).conn.close()
    conn = sqlite3.connect(old)
    conn.execute("PRAGMA application_id = 0")                       # made before the card marked its files
    conn.commit()
    conn.close()
    open_db(old, check=True).conn.close()
    conn = sqlite3.connect(old)
    assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x48436F61   # marked now
    conn.close()
    (tmp_path / "empty.db").write_bytes(b"")                         # an empty file put there first
    open_db(tmp_path / "empty.db", check=True).conn.close()
