"""A card uploads its call's mixed sndfile recording to a real server, which keeps it owner-only,
refuses one over its size limit with a clear 413, forgets it after the retention period; a QA
reviewer in the call's scope plays the uploaded recording in the review window."""

from __future__ import annotations

import os
import stat
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from PySide6.QtCore import Qt

from hangup_coach.app.qa import load_form, load_qa_texts
from hangup_coach.app.recording_upload import upload_recordings
from hangup_coach.core.policy import Policy
from hangup_coach.core.qa_recordings import RecordingSource
from hangup_coach.store import qa as qa_store
from hangup_coach.store.db import open_db
from hangup_coach.sync.client import SyncClient
from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call as call_record

from .conftest import NOW, batch_json, tone

MAX_BYTES = int(0.05 * 1024 * 1024)     # the server's --recording-max-mb 0.05


@pytest.fixture
def server(tmp_path):
    with ServerProcess(str(tmp_path / "server.db"), "--recordings", str(tmp_path / "kept"),
                       "--recording-max-mb", "0.05", "--recording-days", "1") as proc:
        yield proc


def a_call(agent: str, minutes_ago: int) -> dict:
    return call_record(agent, started=datetime.now(timezone.utc).replace(microsecond=0) - timedelta(minutes=minutes_ago))


def sndfile_pair(folder, record: dict, seconds: float) -> None:
    """baresip's two halves of the call, named by the (here UTC) time the audio started."""
    stamp = datetime.fromisoformat(record["data"]["answered_at"]).strftime("%Y-%m-%d-%H-%M-%S")
    for direction, amplitude in (("enc", 9000), ("dec", 5000)):
        tone(folder / f"dump-{stamp}-{direction}.wav", seconds=seconds, amplitude=amplitude)


def test_a_card_uploads_its_recording_a_reviewer_plays_it_and_the_server_keeps_its_limits(
        server, tmp_path, qtbot):
    folder = tmp_path / "sndfile"
    folder.mkdir()
    agent_id, agent_token = add_device(server.database, "1001", "agent", "north")
    lead = Device(server, *add_device(server.database, "2001", "lead", "north"))
    stranger = Device(server, *add_device(server.database, "3001", "agent", "north"))
    small, large, unpushed = a_call("1001", 30), a_call("1001", 20), a_call("1001", 10)
    sndfile_pair(folder, small, seconds=1.0)      # a 16 kB mix
    sndfile_pair(folder, large, seconds=4.0)      # a 64 kB mix: over the limit
    sndfile_pair(folder, unpushed, seconds=1.0)
    agent = Device(server, agent_id, agent_token)
    assert agent.push([small, large]).status_code == 200
    db = open_db(tmp_path / "agent.db")
    client = SyncClient(server.url, agent_token)
    try:
        for record in (small, large, unpushed):
            db["calls"].insert({"id": record["id"], **{k: v for k, v in record["data"].items()}})
        report = upload_recordings(db, client, RecordingSource.parse(f"sndfile:{folder}"), tmp_path / "mix", 0,
                                   NOW)
        assert (report.uploaded, report.later, len(report.refused)) == (1, 1, 1), report
        assert "at most 52,428 bytes" in report.refused[0] and "413" in report.refused[0]   # says the limit
        states = dict(db.execute("SELECT call_id, state FROM recording_uploads").fetchall())
        assert states == {small["id"]: "uploaded", large["id"]: "too_large"}   # the unpushed one: next round
        assert not list((tmp_path / "mix").glob("*.wav"))                       # the mixes made for it are gone

        kept = tmp_path / "kept" / "agent-1001" / f"{small['id']}.wav"     # one folder per agent
        assert stat.S_IMODE(kept.stat().st_mode) == 0o600
        assert {stat.S_IMODE(p.stat().st_mode) for p in (kept.parent, kept.parent.parent)} == {0o700}
        assert not list((tmp_path / "kept").rglob(f"*{large['id']}*"))
        assert lead.get(f"/v1/recordings/{small['id']}").content == kept.read_bytes()
        assert stranger.get(f"/v1/recordings/{small['id']}").status_code == 403      # another agent's call
        too_big = httpx.put(f"{server.url}/v1/recordings/{small['id']}", content=b"RIFF" + bytes(MAX_BYTES),
                            headers={"Authorization": f"Bearer {agent_token}"})
        assert too_big.status_code == 413 and "at most 52,428 bytes" in too_big.json()["error"]
        assert lead.http.put(f"/v1/recordings/{small['id']}", content=kept.read_bytes()).status_code == 403

        # the reviewer's window plays the server's copy
        form_batch = batch_json(_form(), 1)
        form_batch["calls"][0] |= {"call_id": small["id"], "agent_id": "1001", "call": {"id": small["id"],
                                                                                       **small["data"]}}
        lead_db = open_db(tmp_path / "lead.db")
        qa_store.save_batch(lead_db, form_batch, NOW)
        lead_client = SyncClient(server.url, lead.token)
        from hangup_coach.ui.qa_review import ReviewWindow
        window = ReviewWindow(tmp_path / "lead.db", "batch-1", _form(), Policy(), load_qa_texts("en"), "en", "2001",
                              RecordingSource.parse("server"), tmp_path / "cache", 0, lambda: NOW,
                              download=lead_client.download_recording)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitUntil(lambda: window.player.recording is not None, timeout=30_000)
        played = tmp_path / "cache" / f"{small['id']}.wav"
        assert played.read_bytes() == kept.read_bytes() and stat.S_IMODE(played.stat().st_mode) == 0o600
        qtbot.keyClick(window, Qt.Key_Space)
        qtbot.waitUntil(lambda: window.player.position() > 300, timeout=15_000)
        window.close()
        lead_db.conn.close()
        lead_client.close()

        # retention: a recording older than the server's days is gone, on reading and at the next upload
        old = (datetime.now() - timedelta(days=2)).timestamp()
        os.utime(kept, (old, old))
        gone = lead.get(f"/v1/recordings/{small['id']}")
        assert gone.status_code == 404 and "1-day retention" in gone.json()["error"]
        assert agent.push([unpushed]).status_code == 200
        assert upload_recordings(db, client, RecordingSource.parse(f"sndfile:{folder}"), tmp_path / "mix", 0,
                                 NOW).uploaded == 1
        assert not kept.exists() and (kept.parent / f"{unpushed['id']}.wav").exists()
    finally:
        client.close()
        db.conn.close()
        for d in (agent, lead, stranger):
            d.close()


def _form():
    return load_form("standard")
