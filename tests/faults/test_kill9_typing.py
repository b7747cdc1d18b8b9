"""Continuous typing, then kill -9: at most about one second of typing is lost, with the database
working (the note is in it) or locked by another program (the note is in the journal beside it,
0600, and the next start stores it)."""

import json
import os
import signal
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ._typist import CPS, TEXT
from .test_locked_database import hold_lock

TYPIST = Path(__file__).with_name("_typist.py")
APP = [sys.executable, "-m", "hangup_coach"]


def saved_note(db):
    conn = sqlite3.connect(db)
    try:
        return "".join(r[0] for r in conn.execute("SELECT text FROM notes"))
    finally:
        conn.close()


@pytest.mark.parametrize("locked", [False, True], ids=["database-working", "database-locked"])
def test_continuous_typing_then_kill_9_loses_at_most_a_second(tmp_path, locked):
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    db = tmp_path / "calls.db"
    journal = Path(f"{db}.unsaved.json")
    assert subprocess.run(APP + ["--smoke", "--db", str(db)], env=env, capture_output=True).returncode == 0
    locker = hold_lock(db, 120) if locked else None
    child = subprocess.Popen([sys.executable, str(TYPIST), str(db)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        typed = 0
        while typed < 4 * CPS:                    # four seconds of typing without a pause
            typed = int(child.stdout.readline())
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        allowed = CPS * 1.0                       # one second of typing
        if locked:
            kept = json.loads(journal.read_text(encoding="utf-8"))["notes"]
            [entry] = kept.values()
            assert TEXT.startswith(entry["text"]) and len(entry["text"]) >= typed - allowed
            assert stat.S_IMODE(journal.stat().st_mode) == 0o600
            assert saved_note(db) == ""           # the database really was locked
        else:
            note = saved_note(db)
            assert TEXT.startswith(note) and len(note) >= typed - allowed, (len(note), typed)
    finally:
        child.kill()
        if locker:
            locker.kill()
            locker.wait()
    restart = subprocess.run(APP + ["--smoke", "--db", str(db)], env=env, capture_output=True, text=True)
    assert restart.returncode == 0, restart.stderr
    note = saved_note(db)
    assert TEXT.startswith(note) and len(note) >= typed - allowed
    assert not journal.exists()                   # everything is in the database now
