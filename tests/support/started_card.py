"""Which modules a card started from the command line (`--smoke`) has loaded, read in a child process."""

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


def modules_of_a_started_card(home) -> set[str]:
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", PROBE, str(home / "calls.db")], env=env,
                          capture_output=True, text=True, timeout=60)
    assert "card shown" in done.stdout, done.stderr
    return set(json.loads(done.stdout.split("MODULES ", 1)[1]))
