"""kill -9 while a note is being typed: every acknowledged character survives, nothing is half written."""

import random
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db

from ._note_writer import TEXT

WRITER = Path(__file__).with_name("_note_writer.py")


def test_notes_survive_kill_9_at_random_points(tmp_path):
    db = tmp_path / "calls.db"
    rng = random.Random(20261123)
    acknowledged = 0
    for _ in range(12):
        child = subprocess.Popen([sys.executable, str(WRITER), str(db), "call-1"], stdout=subprocess.PIPE, text=True)
        for _ in range(rng.randint(1, 25)):   # let it commit a random number of characters, then kill it
            line = child.stdout.readline()
            if not line:
                break
            acknowledged = int(line)
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        store = CallStore(open_db(db))
        saved = store.note("call-1")
        assert len(saved) >= acknowledged and TEXT.startswith(saved)
        assert store.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert [c.id for c in store.open_calls()] == ["call-1"]
        store.db.conn.close()
    assert acknowledged > 12
