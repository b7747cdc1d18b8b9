"""The app as a user runs it: real subprocesses of `hangup-coach` (offscreen)."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

APP = [sys.executable, "-m", "hangup_coach"]


def run(args, home, timeout=120, **kw):
    env = dict(os.environ, HANGUP_COACH_HOME=str(home), QT_QPA_PLATFORM="offscreen")
    return subprocess.run(APP + args, env=env, capture_output=True, text=True, timeout=timeout, **kw)


def rows(db, sql):
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    home = tmp_path_factory.mktemp("demo")
    db = home / "demo.db"
    result = run(["demo", "--speed", "50", "--exit-when-done", "--db", str(db)], home)
    assert result.returncode == 0, result.stderr
    # The list shows 12 calls after a 9-call shift: the demo says the 3 others are seeded history.
    assert "3 earlier calls the demo seeded" in result.stdout or "另有 3 通是演示预置" in result.stdout
    return home, db


def test_demo_shift_records_every_class_and_outcome(demo_db):
    _, db = demo_db
    calls = rows(db, "SELECT * FROM calls WHERE id NOT LIKE 'seed-%'")
    assert len(calls) == 9
    assert {c["caller_class"] for c in calls} >= {"regular", "no_value", "non_regular", "unknown"}
    assert all(c["ended_by"] in ("agent", "customer") for c in calls)
    assert all(c["wrapped_up_at"] and c["disposition"] for c in calls)
    in_grace = [c for c in calls if c["customer_hung_up_in_grace"]]
    assert in_grace and in_grace[0]["ended_by"] == "customer"
    after_prompt = [c for c in calls if c["ended_by"] == "agent" and c["hangup_prompted_at"]]
    assert len(after_prompt) >= 4
    assert all(c["hangup_prompted_at"] <= c["ended_at"] for c in after_prompt)
    assert any(c["agent_ended_early"] for c in calls)
    missed = [c for c in calls if c["answered_at"] is None]
    assert len(missed) == 1 and missed[0]["disposition"] == "missed"
    notes = rows(db, "SELECT text FROM notes")
    assert any("话费" in n["text"] for n in notes)


def test_calls_command_lists_masked_numbers_in_every_format(demo_db):
    home, db = demo_db
    table = run(["calls", "--db", str(db)], home)
    assert table.returncode == 0 and "138****8000" in table.stdout and "13800138000" not in table.stdout
    assert "12 call(s)" in table.stdout
    data = json.loads(run(["calls", "--db", str(db), "--format", "json"], home).stdout)
    assert len(data) == 12 and {"caller_class", "ended_by", "agent_ended_early"} <= set(data[0])
    csv_out = run(["calls", "--db", str(db), "--format", "csv", "--since", "2000-01-01"], home).stdout
    assert csv_out.splitlines()[0].startswith("started_at,caller,caller_class")
    future = run(["calls", "--db", str(db), "--since", "2999-01-01"], home).stdout
    assert "0 call(s)" in future
    bad = run(["calls", "--db", str(db), "--since", "yesterday"], home)
    assert bad.returncode == 2 and "not a date" in bad.stderr


def test_calls_notes_adds_each_calls_note(demo_db):
    home, db = demo_db
    data = json.loads(run(["calls", "--db", str(db), "--format", "json", "--notes"], home).stdout)
    notes = {row["note"] for row in data}
    assert "客户查询本月话费，已告知明细。" in notes and "" in notes      # seeded calls have none
    table = run(["calls", "--db", str(db), "--notes"], home).stdout
    assert table.splitlines()[1].rstrip().endswith("note") and "客户查询本月话费，已告知明细。" in table
    assert "note" not in json.loads(run(["calls", "--db", str(db), "--format", "json"], home).stdout)[0]


def test_note_cells_stay_on_one_line_and_say_when_they_are_cut():
    from hangup_coach.app.cli import NOTE_CELL, _note_cell
    assert _note_cell("one\ntwo") == "one ⏎ two"
    cut = _note_cell("x" * 200)
    assert len(cut) == NOTE_CELL and cut.endswith("…")


def test_a_corrupt_database_is_a_clear_error(tmp_path):
    db = tmp_path / "calls.db"
    db.write_bytes(b"this is not sqlite" * 100)
    result = run(["calls", "--db", str(db)], tmp_path)
    assert result.returncode == 1 and str(db) in result.stderr
    assert db.read_bytes().startswith(b"this is not sqlite")   # nothing overwritten


@pytest.mark.parametrize("content, logged", [
    (b"[General]\nagent_id=\ncard_scale=huge\nlanguage=klingon\n", "card_scale"),   # wrong values
    (b"[General\x00\xff\n\x00\x01garbage=", "unreadable"),                            # not an INI file
])
def test_corrupt_settings_fall_back_to_defaults(tmp_path, content, logged):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "settings.ini").write_bytes(content)
    result = run(["--smoke", "--db", str(tmp_path / "c.db")], tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "card shown" in result.stdout
    assert logged in (tmp_path / "logs" / "hangup-coach.log").read_text()


def test_open_call_and_note_survive_kill_9_and_restart(tmp_path):
    """kill -9 the real app while the agent is typing a note; restart; nothing is lost."""
    shift = tmp_path / "shift.toml"
    note = "客户反映宽带断线，已报修，工单号20261123" * 3
    shift.write_text(f"""
[shift]
answer_after = 0.2
typing_cps = 40
[[calls]]
number = "13800138000"
steps = [{{ at = 0.1, do = "note", text = "{note}" }}]
""", encoding="utf-8")
    db = tmp_path / "calls.db"
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    proc = subprocess.Popen(APP + ["demo", "--db", str(db), "--shift", str(shift)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        saved = ""
        while time.monotonic() < deadline and len(saved) < 20:
            time.sleep(0.1)
            if db.exists():
                try:
                    saved = "".join(r["text"] for r in rows(db, "SELECT text FROM notes"))
                except sqlite3.OperationalError:
                    pass
        assert len(saved) >= 20, "the note was not being saved while typed"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    finally:
        proc.kill()
    after = rows(db, "SELECT c.id, c.ended_at, n.text FROM calls c JOIN notes n ON n.call_id = c.id")
    assert len(after) == 1 and after[0]["ended_at"] is None
    assert note.startswith(after[0]["text"]) and len(after[0]["text"]) >= len(saved)
    assert rows(db, "PRAGMA integrity_check") == [{"integrity_check": "ok"}]

    restart = run(["--smoke", "--db", str(db)], tmp_path, timeout=60)
    assert restart.returncode == 0, restart.stderr
    assert f"resumed open call {after[0]['id']}" in (tmp_path / "logs" / "hangup-coach.log").read_text()


def test_second_launch_brings_the_first_card_forward(tmp_path):
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen")
    db = tmp_path / "c.db"
    first = subprocess.Popen(APP + ["--db", str(db)], env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        log = tmp_path / "logs" / "hangup-coach.log"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (log.exists() and "card shown" in log.read_text()):
            time.sleep(0.1)
        second = run(["--db", str(db)], tmp_path, timeout=30)
        assert second.returncode == 0
        assert "already running" in second.stdout
        assert first.poll() is None   # the first one is still there
    finally:
        first.terminate()
        first.wait(10)


def test_unknown_softphone_url_is_a_clear_error(tmp_path):
    result = run(["--softphone", "carrier-pigeon://x", "--db", str(tmp_path / "c.db")], tmp_path, timeout=60)
    assert result.returncode == 2 and "carrier-pigeon" in result.stderr


def test_a_malformed_centre_policy_stops_start_up_naming_the_key(tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "policy.toml").write_text("[no_value]\nwarnings_before_cutoff = -1\n")
    result = run(["--smoke", "--db", str(tmp_path / "c.db")], tmp_path, timeout=60)
    assert result.returncode == 2
    assert "no_value.warnings_before_cutoff" in result.stderr and "policy.toml" in result.stderr


def test_a_corrupt_database_stops_the_card_with_a_clear_error(tmp_path):
    db = tmp_path / "calls.db"
    db.write_bytes(b"not a database " * 100)
    result = run(["--smoke", "--db", str(db)], tmp_path, timeout=60)
    assert result.returncode == 2 and str(db) in result.stderr
    assert db.read_bytes().startswith(b"not a database")   # nothing overwritten


def test_calls_piped_into_head_ends_quietly_and_the_table_says_its_times_are_local(tmp_path):
    sys.path.insert(0, str(Path(__file__).parents[1]))
    from support.history import load
    db = tmp_path / "calls.db"
    load(db, 3000, days=30)                                   # far more than a pipe buffer holds
    env = dict(os.environ, HANGUP_COACH_HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen", TZ="Asia/Shanghai")
    proc = subprocess.Popen(APP + ["calls", "--db", str(db)], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    first = proc.stdout.readline()
    proc.stdout.close()                                       # what `head -1` does
    assert proc.wait(60) == 0
    assert "Traceback" not in proc.stderr.read()
    assert first.startswith("times are local (UTC+08:00)")


@pytest.mark.parametrize("kind", ["folder", "dangling link", "link loop", "empty"])
def test_a_centre_policy_that_is_not_a_usable_file_stops_start_up_naming_the_path(tmp_path, kind):
    # these started the card on the shipped defaults without a word
    config = tmp_path / "config"
    config.mkdir()
    policy = config / "policy.toml"
    if kind == "folder":
        policy.mkdir()
    elif kind == "dangling link":
        policy.symlink_to(tmp_path / "gone.toml")
    elif kind == "link loop":
        policy.symlink_to(policy)
    else:
        policy.write_text("\n  \n")
    result = run(["--smoke", "--db", str(tmp_path / "c.db")], tmp_path, timeout=60)
    assert result.returncode == 2 and str(policy) in result.stderr, result.stderr


def test_a_cti_token_path_that_is_a_folder_stops_start_up_naming_it(tmp_path):
    (tmp_path / "config" / "cti-token").mkdir(parents=True)      # was a traceback
    result = run(["--smoke", "--softphone", "json://127.0.0.1:0", "--db", str(tmp_path / "c.db")], tmp_path,
                 timeout=60)
    assert result.returncode == 2 and str(tmp_path / "config" / "cti-token") in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
