"""What the card loads at start-up: nothing of the dashboard (numpy, pyqtgraph) and nothing of
the sync (httpx, tenacity) on a card that has not logged in to a server. numpy alone cost the
card ~120 ms and ~35 MB when sqlite-utils imported it."""

import json
import os
import subprocess
import sys

HEAVY = ("numpy", "pandas", "pyqtgraph", "httpx", "tenacity", "sqlalchemy", "starlette")

PROBE = """
import atexit, json, sys
atexit.register(lambda: print("MODULES " + json.dumps(sorted(m for m in sys.modules if "." not in m))))
sys.argv = ["hangup-coach", "--smoke", "--db", sys.argv[1]]
from hangup_coach.__main__ import main
main()
"""


def test_the_card_starts_without_the_dashboard_or_sync_libraries(tmp_path):
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "calls.db")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert "card shown" in done.stdout, done.stderr
    loaded = set(json.loads(done.stdout.split("MODULES ", 1)[1]))
    assert "sqlite_utils" in loaded and "PySide6" in loaded   # it did open the store
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_sqlite_utils_still_leaves_numpy_importable_for_the_dashboard():
    done = subprocess.run([sys.executable, "-c", (
        "from hangup_coach.store.db import _load_sqlite_utils; import sys; _load_sqlite_utils();"
        "assert 'numpy' not in sys.modules; import numpy; print(numpy.__name__)")],
        capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "numpy", done.stderr
