"""A recording with real parts: baresip's sndfile module records a call in which the customer (sipp)
plays RTP from a pcap and baresip plays a WAV through aufile; the card records the call; the
review window finds the two halves by the call's answer time, mixes them and plays the result."""

from __future__ import annotations

from datetime import datetime

import pytest
from PySide6.QtCore import Qt

from hangup_coach.app.qa import load_form, load_qa_texts
from hangup_coach.app.recordings import loudness
from hangup_coach.core.coach import Phase
from hangup_coach.core.policy import Policy
from hangup_coach.core.qa_recordings import RecordingSource
from hangup_coach.store import qa as qa_store
from hangup_coach.store.db import open_db
from hangup_coach.ui.qa_review import ReviewWindow
from sip_harness import Baresip, Sipp
from tests.qa.conftest import tone

from test_baresip_e2e import NUMBER, wait_phase, wait_sipp

pytestmark = pytest.mark.e2e


@pytest.fixture
def recording_baresip(tmp_path):
    baresip = Baresip(tmp_path / "baresip")
    recordings = tmp_path / "sndfile"
    recordings.mkdir()
    greeting = tone(tmp_path / "agent-side.wav", seconds=6, amplitude=6000)
    config = (baresip.dir / "config").read_text().replace("audio_source\t\tnone", f"audio_source\t\taufile,{greeting}")
    config += f"module\t\t\taufile.so\nmodule\t\t\tsndfile.so\nsnd_path\t\t{recordings}\n"
    (baresip.dir / "config").write_text(config)
    baresip.start()
    yield baresip, recordings
    baresip.kill()


def test_the_review_window_finds_mixes_and_plays_baresips_recording(qtbot, recording_baresip, open_desk, tmp_path):
    baresip, recordings = recording_baresip
    desk = open_desk(baresip.url)
    sipp = Sipp(tmp_path / "sipp", baresip, "customer_plays_audio.xml", [NUMBER], pause_ms=3000).start()
    try:
        wait_sipp(qtbot, sipp)
    finally:
        sipp.kill()
    wait_phase(qtbot, desk, Phase.ENDED)
    [call] = desk.rows()
    qtbot.waitUntil(lambda: len(list(recordings.glob("*.wav"))) == 2, timeout=5000)
    desk.softphone.stop()
    baresip.kill()   # baresip closes the WAV files when the call's audio stops; killed, they stay as written

    # the call as a pulled batch holds it (the lead's PC), with the agent's PC's folder as the source
    db = open_db(tmp_path / "lead.db")
    form = load_form("standard")
    batch = {"id": "b-rec", "version": 1, "purpose": "problems", "filters": {}, "size": 1, "seed": "1",
             "form": {"name": form.name, "version": form.version, "fingerprint": form.fingerprint,
                      "source": form.source},
             "created_by": "qa-1", "created_at": call["ended_at"],
             "calls": [{"position": 0, "call_id": call["id"], "agent_id": call["agent_id"],
                        "outcome": "customer_in_wait", "call": call, "note": ""}]}
    qa_store.save_batch(db, batch, call["ended_at"])
    offset = int(datetime.now().astimezone().utcoffset().total_seconds() // 60)   # baresip names files in local time
    window = ReviewWindow(tmp_path / "lead.db", "b-rec", form, Policy(), load_qa_texts("en"), "en", "qa-1",
                          RecordingSource.parse(f"sndfile:{recordings}"), tmp_path / "cache", offset,
                          lambda: call["ended_at"])
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=30_000):      # the batch is read off the GUI thread
        window.show()
    mixed = tmp_path / "cache" / f"{call['id']}.wav"
    qtbot.waitUntil(lambda: "Loading" not in window.player.status.text(), timeout=60_000)   # found and mixed
    # off the GUI thread
    assert window.player.recording is not None, window.player.status.text()
    assert window.player.recording.location == str(mixed)
    halves = sorted(recordings.glob("*.wav"))
    assert all(loudness(h) > 300 for h in halves), [(h.name, loudness(h)) for h in halves]   # both sides spoke
    assert loudness(mixed) > 300                 # not silence
    assert mixed.stat().st_mode & 0o077 == 0     # call audio is the owner's only

    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(window.player.playing, timeout=10_000)
    first = window.player.position()
    qtbot.waitUntil(lambda: window.player.position() >= first + 800, timeout=15_000)   # it advances while playing
    qtbot.keyClick(window, Qt.Key_Space)
    qtbot.waitUntil(lambda: not window.player.playing(), timeout=5000)
    window.close()
    db.conn.close()
