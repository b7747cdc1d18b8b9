"""SIGTERM (shutdown, logout, `systemctl stop`) and SIGHUP while the agent types: the card ends like
Quit does, and every character typed is in the database."""

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ._typist import TEXT

TYPIST = Path(__file__).with_name("_app_typist.py")
ROOT = Path(__file__).resolve().parents[2]


def start_typist(home, db, **extra_env) -> subprocess.Popen:
    """The card in a child process, typing a note into a call (tests/faults/_app_typist.py)."""
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen", **extra_env,
               PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return subprocess.Popen([sys.executable, str(TYPIST), "--db", str(db)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("end", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signal_while_typing_loses_nothing(tmp_path, end):
    db = tmp_path / "calls.db"
    child = start_typist(tmp_path, db)
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        for line in child.stdout:             # typing: the note is saved at most 0.7 s apart meanwhile
            if int(line) >= 30:
                break
        child.send_signal(end)
        rest, err = child.communicate(timeout=60)
    finally:
        child.kill()
    typed = int(([line for line in rest.split() if line.isdigit()] or [line])[-1])
    assert child.returncode == 0, err
    conn = sqlite3.connect(db)
    try:
        notes = [r[0] for r in conn.execute("SELECT text FROM notes")]
    finally:
        conn.close()
    assert notes == [TEXT[:typed]]            # every character, the last ones typed included


def test_the_desktop_session_ending_saves_every_character_before_the_card_is_killed(tmp_path):
    # Qt's session-end request (commitDataRequest), then kill -9: a session that does not wait for the card
    db = tmp_path / "calls.db"
    child = start_typist(tmp_path, db, HANGUP_COACH_TEST_SESSION_END="30")
    try:
        assert child.stdout.readline().strip() == "ready", child.stderr.read()
        committed = next((line for line in child.stdout if line.startswith("committed")), "")
        child.kill()
        child.wait(30)
    finally:
        child.kill()
        child.wait(30)
        child.stdout.close()
        child.stderr.close()
    assert committed, "the typist never ended the session"
    typed = int(committed.split()[1])
    conn = sqlite3.connect(db)
    try:
        notes = [r[0] for r in conn.execute("SELECT text FROM notes")]
    finally:
        conn.close()
    assert notes == [TEXT[:typed]]            # the last characters too, typed less than 0.3 s before
