"""QA fixtures: a local database holding a pulled batch of hand-built calls, and the review window on it."""

from __future__ import annotations

import math
import struct
import wave
from pathlib import Path

import pytest

from hangup_coach.app.qa import batch_form, load_form, load_qa_texts
from hangup_coach.core.policy import Policy
from hangup_coach.core.qa_recordings import RecordingSource
from hangup_coach.core.qa_sample import OUTCOMES
from hangup_coach.store import qa as qa_store
from hangup_coach.store.db import open_db

NOW = "2026-12-01T10:00:00.000000+00:00"


def tone(path: Path, seconds: float = 3.0, amplitude: int = 9000) -> Path:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"".join(struct.pack("<h", int(amplitude * math.sin(2 * math.pi * 440 * i / 8000)))
                               for i in range(int(8000 * seconds))))
    return path


def sample_call(n: int, outcome: str, agent: str) -> dict:
    start = f"2026-11-{2 + n % 20:02d}T0{n % 9}:00:00.000000+00:00"
    return {"id": f"call-{n:03d}", "agent_id": agent, "caller_number": "+8613800138000", "line_call_id": f"{n}-99@127.0.0.1",
            "started_at": start, "answered_at": start.replace(":00:00.", ":00:03."),
            "closure_confirmed_at": start.replace(":00:00.", ":02:00."),
            "hangup_allowed_at": start.replace(":00:00.", ":02:02."),
            "hangup_prompted_at": start.replace(":00:00.", ":02:02."),
            "ended_at": start.replace(":00:00.", ":02:05."), "ended_by": "agent", "caller_class": "regular",
            "sub_reason": "", "explanations": 0, "warnings": 0, "agent_ended_early": 0,
            "customer_hung_up_in_grace": 0, "outcome": outcome, "class_reason": "",
            **OUTCOME_FIELDS[outcome]}


# what makes each outcome (core.qa_sample.outcome_of), so a call's facts agree with its outcome
OUTCOME_FIELDS = {
    "agent_before_allowed": {"agent_ended_early": 1, "closure_confirmed_at": None, "hangup_allowed_at": None,
                             "hangup_prompted_at": None},
    "agent_after_prompt": {},
    "customer_in_wait": {"ended_by": "customer", "customer_hung_up_in_grace": 1, "hangup_allowed_at": None,
                         "hangup_prompted_at": None},
    "no_value_after_warning": {"caller_class": "no_value", "sub_reason": "abuse", "class_reason": "abuse", "warnings": 1},
    "non_regular_after_explanations": {"caller_class": "non_regular", "sub_reason": "closed_case",
                                       "class_reason": "closed_case", "explanations": 3},
}


def batch_json(form, n: int = 10, batch_id: str = "batch-1") -> dict:
    calls = []
    for i in range(n):
        outcome = OUTCOMES[i % len(OUTCOMES)]
        call = sample_call(i, outcome, f"a{i % 3}")
        calls.append({"position": i, "call_id": call["id"], "agent_id": call["agent_id"], "outcome": outcome,
                      "call": {k: v for k, v in call.items() if k != "outcome"}, "note": f"note of call {i}"})
    return {"id": batch_id, "version": 1, "purpose": "problems", "filters": {}, "size": n, "seed": "7",
            "form": {"name": form.name, "version": form.version, "fingerprint": form.fingerprint,
                     "source": form.source},
            "created_by": "qa-1", "created_at": NOW, "calls": calls}


@pytest.fixture
def qa_db(tmp_path):
    db = open_db(tmp_path / "lead.db")
    yield db
    db.conn.close()


@pytest.fixture
def open_review(qtbot, qa_db, tmp_path):
    from hangup_coach.ui.qa_review import ReviewWindow

    def open_(n: int = 10, recordings: str = "", lang: str = "en"):
        form = load_form("standard")
        qa_store.save_batch(qa_db, batch_json(form, n), NOW)
        batch = qa_store.batch(qa_db, "batch-1")
        window = ReviewWindow(tmp_path / "lead.db", "batch-1", batch_form(batch), Policy(), load_qa_texts(lang), lang,
                              "qa-1", RecordingSource.parse(recordings), tmp_path / "cache", 480, lambda: NOW)
        qtbot.addWidget(window)
        with qtbot.waitSignal(window.loaded, timeout=30_000):     # the batch is read off the GUI thread
            window.show()
        qtbot.waitExposed(window)
        return window
    return open_
