"""What the card loads at start-up: nothing of the dashboard (numpy, pyqtgraph) and nothing of
the sync (httpx, tenacity) on a card that has not logged in to a server. numpy alone cost the
card ~120 ms and ~35 MB when sqlite-utils imported it; sqlite-utils itself (click, dateutil,
pluggy, tabulate) ~14 MiB and ~140 ms, so the card opens its file through plain sqlite3 and
sqlite-utils is loaded only to apply a pending migration."""

import json
import os
import re
import subprocess
import sys

from tests.support.started_card import modules_of_a_started_card

HEAVY = ("numpy", "pandas", "pyqtgraph", "httpx", "tenacity", "sqlalchemy", "starlette")
SQLITE_UTILS = ("sqlite_utils", "click", "dateutil", "pluggy", "tabulate", "sqlite_fts4")


def test_the_card_starts_without_the_dashboard_or_sync_libraries(tmp_path):
    first = modules_of_a_started_card(tmp_path)   # a new file: sqlite-utils applies the migrations
    assert "sqlite_utils" in first and not first & set(HEAVY), sorted(first & set(HEAVY))
    loaded = modules_of_a_started_card(tmp_path)  # every later start
    assert "hangup_coach.store.db" in loaded and "PySide6" in loaded   # it did open the store
    assert not loaded & set(HEAVY + SQLITE_UTILS), sorted(loaded & set(HEAVY + SQLITE_UTILS))


def test_sqlite_utils_still_leaves_numpy_importable_for_the_dashboard():
    done = subprocess.run([sys.executable, "-c", (
        "from hangup_coach.store.database import load_sqlite_utils; import sys; load_sqlite_utils();"
        "assert 'numpy' not in sys.modules; import numpy; print(numpy.__name__)")],
        capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "numpy", done.stderr



FIRST_FRAME = """
import json, sys
sys.argv = ["hangup-coach", "--smoke", "--db", *sys.argv[1:]]
import hangup_coach.ui.card_shell as shell
paint = shell.CardShell.show_and_paint
def painted(self):
    at = paint(self)
    print("AT_PAINT " + json.dumps(sorted(sys.modules)), flush=True)
    return at
shell.CardShell.show_and_paint = painted
from hangup_coach.__main__ import main
sys.exit(main())
"""
# Loaded after the first frame: the card's shell waits for none of them.
AFTER_THE_FIRST_FRAME = ("hangup_coach.ui.card", "hangup_coach.app.controller", "hangup_coach.core.policy",
                         "hangup_coach.core.scripts", "hangup_coach.store", "hangup_coach.telephony",
                         "hangup_coach.launch.card_app", "sqlite_utils", "sqlite3", "phonenumbers",
                         "logging.handlers", "hangup_coach.app.qa_cli", "hangup_coach.server")


def test_the_first_frame_is_painted_before_the_policy_store_softphone_and_card_are_loaded(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.ini").write_text("[General]\ncard_scale=banana\n")   # warned before the paint
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    done = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(tmp_path / "calls.db"), "--lang", "en",
                           "--softphone", "baresip://127.0.0.1:1"], env=env, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    at_paint = set(json.loads(done.stdout.split("AT_PAINT ", 1)[1].splitlines()[0]))
    assert "hangup_coach.ui.card_shell" in at_paint
    early = sorted(m for m in at_paint if m.split(".")[0] in AFTER_THE_FIRST_FRAME
                   or any(m == a or m.startswith(a + ".") for a in AFTER_THE_FIRST_FRAME))
    assert not early, early
    shown, ready = re.search(r"card shown at ([\d.]+), ready at ([\d.]+)", done.stdout).groups()
    assert float(shown) < float(ready)   # the first frame, then the store and the softphone
    log = (tmp_path / "logs" / "hangup-coach.log").read_text()
    assert "setting card_scale='banana' is not valid" in log   # logged before the log file was open: kept


# Not before the first frame of a card started before (its texts are cached): what the next start needs
# of them is asked at the paint.
NOT_BEFORE_THE_FIRST_FRAME_AGAIN = ("tomllib", "datetime", "PySide6.QtNetwork", "hashlib", "_hashlib",
                                    "hangup_coach.core.masking", "unicodedata")


def test_a_card_started_again_paints_without_the_toml_parser_qt_networking_or_openssl(tmp_path):
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    for start in ("first", "again"):
        done = subprocess.run([sys.executable, "-c", FIRST_FRAME, str(tmp_path / "calls.db"), "--lang", "zh_CN"],
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        at_paint = set(json.loads(done.stdout.split("AT_PAINT ", 1)[1].splitlines()[0]))
        if start == "first":
            assert "tomllib" in at_paint    # no cache yet: the texts were parsed
    assert not at_paint & set(NOT_BEFORE_THE_FIRST_FRAME_AGAIN), sorted(at_paint & set(NOT_BEFORE_THE_FIRST_FRAME_AGAIN))
    assert "hangup_coach.ui.card_shell" in at_paint and "fcntl" in at_paint   # the shell, the lock file
