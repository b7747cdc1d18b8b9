"""Qt Multimedia is the lead/QA package's: the agent's card starts without loading it (or the QA windows)."""

import json
import os
import subprocess
import sys

PROBE = """
import atexit, json, sys
atexit.register(lambda: print("MODULES " + json.dumps(sorted(sys.modules))))
sys.argv = ["hangup-coach", "--smoke", "--db", sys.argv[1]]
from hangup_coach.__main__ import main
main()
"""


def test_the_card_starts_without_qt_multimedia_or_the_qa_windows(tmp_path):
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", PROBE, str(tmp_path / "calls.db")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert "card shown" in done.stdout, done.stderr
    loaded = set(json.loads(done.stdout.split("MODULES ", 1)[1]))
    assert "hangup_coach.ui.card" in loaded and "hangup_coach.ui.policy_misfit" in loaded   # the wrap-up's click
    unwanted = {"PySide6.QtMultimedia", "hangup_coach.ui.qa_player", "hangup_coach.ui.qa_review",
                "hangup_coach.app.recordings"}
    assert not loaded & unwanted, sorted(loaded & unwanted)
