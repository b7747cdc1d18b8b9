"""The card's own background sync worker uploads its calls' recordings (no `sync --once`), in parts,
on a thread of its own: a stalled upload never holds back the notes' sync, a card closed mid-file
resumes where the server's copy ends, and the server's per-agent daily quota leaves the rest for
later. Against a real server process."""

from __future__ import annotations

import hashlib
import json
import threading
from datetime import datetime

import httpx
import pytest

from hangup_coach.app.paths import AppPaths
from hangup_coach.app.recording_upload import uploader
from hangup_coach.app.recordings import mix
from hangup_coach.app.settings import Settings
from hangup_coach.sync.client import SyncClient
from hangup_coach.sync.credentials import Login
from hangup_coach.sync.worker import SyncWorker
from tests.server.harness import Device, ServerProcess, add_device
from tests.server.records import call as call_record
from tests.sync.agents import Agent, server_records

from .conftest import tone

PART = 4096
QUOTA_MB = 0.03                  # 31,457 bytes: one 1-second mix (16,044 bytes) fits in a day, not two


@pytest.fixture
def server(tmp_path):
    with ServerProcess(str(tmp_path / "server.db"), "--recordings", str(tmp_path / "kept"),
                       "--recording-quota-mb", str(QUOTA_MB)) as proc:
        yield proc


@pytest.fixture
def card(server, tmp_path):
    """Agent 1001's card: logged in, uploads turned on, baresip's sndfile folder; and a lead."""
    home = tmp_path / "home"
    agent = Agent(home, "1001")
    _, token = add_device(server.database, "1001", "agent")
    paths = AppPaths(home / "data", home / "config", home / "logs", home / "machine")
    settings = Settings(paths.settings_file, machine=paths.machine_settings_file)
    settings.set("upload_recordings", True)
    settings.set("recordings", f"sndfile:{tmp_path / 'sndfile'}")
    del settings
    (tmp_path / "sndfile").mkdir()
    lead = Device(server, *add_device(server.database, "2001", "lead"))
    yield agent, Login(server.url, token, "test"), paths, lead
    lead.close()
    agent.close()


def halves(folder, agent: Agent, call_id: str, seconds: float = 1.0) -> bytes:
    """baresip's two halves of the call (named by local time), and the mix the server should get."""
    answered = agent.store.db.execute("SELECT answered_at FROM calls WHERE id = ?", [call_id]).fetchone()[0]
    stamp = datetime.fromisoformat(answered).astimezone().strftime("%Y-%m-%d-%H-%M-%S")
    pair = [tone(folder / f"dump-{stamp}-{d}.wav", seconds=seconds, amplitude=a) for d, a in (("enc", 9000),
                                                                                           ("dec", 5000))]
    mix(pair, folder.parent / "expected.wav")
    return (folder.parent / "expected.wav").read_bytes()


def puts(server) -> list[dict]:
    """The recording parts the server was sent (its access log)."""
    lines = [json.loads(line) for line in server.access_lines() if line.strip()]
    return [line for line in lines if line["method"] == "PUT" and line["path"].startswith("/v1/recordings/")]


def started(worker: SyncWorker, qtbot, reports: list) -> SyncWorker:
    worker.uploads_done.connect(reports.append)
    worker.start()
    return worker


def stopped(worker: SyncWorker) -> None:
    worker.stop(15)
    worker.uploads_done.disconnect()


def test_the_worker_uploads_in_parts_and_a_stalled_upload_does_not_hold_back_the_notes(
        server, card, tmp_path, qtbot):
    agent, login, paths, lead = card
    call_id = agent.record_call(5)
    expected = halves(tmp_path / "sndfile", agent, call_id)
    stalled, go_on, asked = threading.Event(), threading.Event(), []

    def slow_uploader(open_db, client, should_stop):
        def held_after_the_first_part() -> bool:
            asked.append(1)
            if len(asked) == 3:      # asked before the call, then before each part: one part is on the server
                stalled.set()
                go_on.wait(60)
            return should_stop()
        return uploader(paths)(open_db, client, held_after_the_first_part, part_bytes=PART)

    reports: list = []
    worker = started(SyncWorker(agent.db_path, lambda: login, interval=0.3, max_backoff=1.0,
                                uploader=slow_uploader), qtbot, reports)
    try:
        assert stalled.wait(60), "the upload never started"
        with SyncClient(server.url, login.token) as client:     # the server holds the first part only
            assert client.recording_offset(call_id, hashlib.sha256(expected).hexdigest(), len(expected)) == PART
        agent.store.save_note(call_id, "客户要求回电", datetime.now().astimezone())
        worker.sync_now()
        qtbot.waitUntil(lambda: any(kind == "note" and data.get("call_id") == call_id
                                    for (kind, _), (_, data) in server_records(lead).items()), timeout=30_000)
        assert not reports                                       # the note went while the upload waited
        go_on.set()
        qtbot.waitUntil(lambda: bool(reports), timeout=30_000)
    finally:
        go_on.set()
        stopped(worker)
    assert (reports[0].uploaded, reports[0].refused) == (1, [])
    assert lead.get(f"/v1/recordings/{call_id}").content == expected
    parts = -(-len(expected) // PART)
    qtbot.waitUntil(lambda: len(puts(server)) >= parts, timeout=10_000)  # the log line follows the answer
    assert len(puts(server)) == parts                                    # in parts, each sent once
    assert not list((paths.data / "recordings-upload").glob("*.wav"))   # the mix made for it is gone


def test_a_card_closed_mid_upload_resumes_where_the_servers_copy_ends(server, card, tmp_path, qtbot):
    agent, login, paths, lead = card
    call_id = agent.record_call(5)
    expected = halves(tmp_path / "sndfile", agent, call_id)
    asked = []

    def closed_after_two_parts(open_db, client, should_stop):
        def ask() -> bool:
            asked.append(1)
            return len(asked) >= 4 or should_stop()   # (before the call, parts 1, 2) then the card closes
        return uploader(paths)(open_db, client, ask, part_bytes=PART)

    reports: list = []
    worker = started(SyncWorker(agent.db_path, lambda: login, interval=0.3, max_backoff=1.0,
                                uploader=closed_after_two_parts), qtbot, reports)
    try:
        qtbot.waitUntil(lambda: bool(reports), timeout=60_000)
    finally:
        stopped(worker)
    assert reports[0].uploaded == 0 and reports[0].waiting == "the card is closing"
    assert agent.store.db.execute("SELECT count(*) FROM recording_uploads").fetchone()[0] == 0
    assert lead.get(f"/v1/recordings/{call_id}").status_code == 404     # half a file is never served

    reports = []                                 # the card starts again
    worker = started(SyncWorker(agent.db_path, lambda: login, interval=0.3, max_backoff=1.0,
                                uploader=lambda open_db, client, stop: uploader(paths)(open_db, client, stop, PART)),
                     qtbot, reports)
    try:
        qtbot.waitUntil(lambda: bool(reports), timeout=60_000)
    finally:
        stopped(worker)
    assert (reports[0].uploaded, reports[0].resumed) == (1, 1)
    assert lead.get(f"/v1/recordings/{call_id}").content == expected
    parts = -(-len(expected) // PART)
    qtbot.waitUntil(lambda: len(puts(server)) >= parts, timeout=10_000)
    assert len(puts(server)) == parts                                    # no part sent twice


def test_past_the_agents_daily_quota_the_rest_wait_and_the_server_checks_every_part(server, card, tmp_path):
    agent, login, paths, lead = card
    first, second = agent.record_call(6), agent.record_call(5)
    folder = tmp_path / "sndfile"
    halves(folder, agent, first)
    expected = halves(folder, agent, second)
    assert agent.login(server.url, login.token).returncode == 0
    done = agent.sync()                                          # `sync --once`: the calls, then recordings
    assert done.returncode == 0, done.stderr
    assert "recordings: 1 uploaded" in done.stdout and "the rest wait:" in done.stdout and "429" in done.stdout
    assert "at most 31,457 bytes per agent a day" in done.stdout and "--recording-quota-mb" in done.stdout
    marked = dict(agent.store.db.execute("SELECT call_id, state FROM recording_uploads").fetchall())
    assert marked == {first: "uploaded"}                         # the second waits for a later round

    # the server checks each part (where it starts; the whole file's checksum at the end); another
    # agent has a quota of its own
    other = Device(server, *add_device(server.database, "1002", "agent"))
    try:
        record = call_record("1002")
        assert other.push([record]).status_code == 200
        digest = hashlib.sha256(expected).hexdigest()
        path = f"/v1/recordings/{record['id']}"
        headers = {"X-Content-SHA256": digest, "Content-Range": f"bytes 100-199/{len(expected)}"}
        put = other.http.put(path, content=expected[100:200], headers=headers)
        assert put.status_code == 409 and put.json()["offset"] == 0
        headers["Content-Range"] = f"bytes 0-{len(expected) - 1}/{len(expected)}"
        put = other.http.put(path, content=b"RIFF" + bytes(len(expected) - 4), headers=headers)
        assert put.status_code == 422 and "SHA-256" in put.json()["error"]
        assert other.get(f"{path}/upload", sha256=digest, size=len(expected)).json()["offset"] == 0   # dropped
        put = other.http.put(path, content=expected, headers=headers)
        assert put.status_code == 201 and put.json()["complete"]
        assert httpx.get(f"{server.url}{path}/upload", params={"sha256": digest, "size": 10}).status_code == 401
    finally:
        other.close()
