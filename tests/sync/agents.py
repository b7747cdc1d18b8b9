"""Agents' cards for sync tests: a HANGUP_COACH_HOME and a local database each, driven through the
real `hangup-coach login` / `sync --once` commands, against a real server process."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hangup_coach.core.coach import CallRecord
from hangup_coach.store.calls import CallStore
from hangup_coach.store.db import open_db
from hangup_coach.store.outbox import LOCAL_CALL_COLUMNS

APP = [sys.executable, "-m", "hangup_coach"]


class Agent:
    def __init__(self, home: Path, agent_id: str) -> None:
        self.home, self.agent_id = home, agent_id
        self.db_path = home / "calls.db"
        self.store = CallStore(open_db(self.db_path))

    def env(self) -> dict:
        return dict(os.environ, HANGUP_COACH_HOME=str(self.home), QT_QPA_PLATFORM="offscreen")

    @staticmethod
    def command(*args: str) -> list[str]:
        return APP + list(args)

    def run(self, *args: str, stdin: str = "", timeout: float = 120) -> subprocess.CompletedProcess:
        return subprocess.run(APP + list(args), input=stdin, env=self.env(), capture_output=True, text=True,
                              timeout=timeout)

    def login(self, url: str, token: str) -> subprocess.CompletedProcess:
        return self.run("login", "--server", url, stdin=token + "\n")

    def sync(self, *extra: str, timeout: float = 120) -> subprocess.CompletedProcess:
        return self.run("sync", "--once", "--db", str(self.db_path), *extra, timeout=timeout)

    def popen_sync(self, *extra: str) -> subprocess.Popen:
        return subprocess.Popen(APP + ["sync", "--once", "--db", str(self.db_path), *extra], env=self.env(),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def record_call(self, n: int, number: str = "+8613800138000", note: str | None = None, **fields) -> str:
        now = datetime.now(timezone.utc) - timedelta(minutes=n)
        values = dict(id=f"{self.agent_id}-call-{n}", agent_id=self.agent_id, caller_number=number,
                      caller_raw=number, line_call_id=None, started_at=now, answered_at=now,
                      ended_at=now + timedelta(seconds=30), ended_by="agent", caller_class="regular",
                      disposition="resolved", wrapped_up_at=now + timedelta(seconds=40), updated_at=now)
        values.update(fields)
        self.store.save_call(CallRecord(**values))
        if note is not None:
            self.store.save_note(values["id"], note, now)
        return values["id"]

    def local_records(self) -> dict[tuple[str, str], tuple[int, dict]]:
        """(kind, id) → (version, data) of every call and note, as the card wrote them."""
        conn = sqlite3.connect(self.db_path)
        conn.row_factory = sqlite3.Row
        try:
            out = {}
            for row in conn.execute("SELECT * FROM calls"):
                data = {k: v for k, v in dict(row).items() if k not in LOCAL_CALL_COLUMNS}   # never pushed
                out[("call", data["id"])] = (data.pop("version"), data)
            for row in conn.execute("SELECT id, call_id, text, created_at, updated_at, version FROM notes"):
                data = dict(row)
                out[("note", data.pop("id"))] = (data.pop("version"), data)
            return out
        finally:
            conn.close()

    def close(self) -> None:
        self.store.db.conn.close()


def server_records(lead) -> dict[tuple[str, str], tuple[int, dict]]:
    """Everything the server holds for the lead's team, via the real team pull; each (kind, id)
    must come once."""
    pages, _ = lead.pull_all("/v1/team/changes")
    out = {}
    for page in pages:
        for kind, rows in (("call", page["calls"]), ("note", page["notes"])):
            for row in rows:
                row = dict(row)
                key = (kind, row["id"])
                assert key not in out, f"{key} twice on the server"
                version = row.pop("version")
                row.pop("received_at")
                if kind == "note":
                    row.pop("id")
                out[key] = (version, row)
    return out


NUMBER = "13800138000"


def take_call(qtbot, card, controller, no_value=False, wrap_up=True):
    """A manual call from NUMBER on the card: optionally marked no-value by the agent, hung up, wrapped up."""
    from hangup_coach.core.callers import CallerClass, SubReason

    qtbot.keyClicks(card.number_input, NUMBER)
    card.start_manual_call()
    session = controller.current
    if no_value:
        card.reclassify(CallerClass.NO_VALUE, SubReason.HARASSMENT)   # the one-click correction
    card.hang_up()
    if wrap_up:
        card.finish_wrapup()
    return session
