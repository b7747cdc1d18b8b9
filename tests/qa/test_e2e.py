"""Done means: a demo team's synced calls, a batch of ten drawn by `qa batch create`, ten reviews typed
in the review window with key events only, pushed through the outbox, and the exported CSV read back.
Real server process, real `hangup-coach` commands, per-user HANGUP_COACH_HOME."""

from __future__ import annotations

import csv
import json
from datetime import timedelta

import httpx
import pytest
from PySide6.QtCore import Qt

from hangup_coach.app.qa import batch_form, load_qa_texts
from hangup_coach.core.policy import Policy
from hangup_coach.core.qa_recordings import RecordingSource
from hangup_coach.store import outbox
from hangup_coach.store import qa as qa_store
from hangup_coach.ui.qa_review import ReviewWindow
from tests.server.harness import ServerProcess, add_device
from tests.sync.agents import Agent

# the shipped form: necessary, self-service, solved, call again, root causes (multi: toggles, then ↓),
# techniques (multi, optional: ↓), the verdict; the comment stays empty
VERDICT_KEYS = {Qt.Key_1: "as_policy", Qt.Key_2: "too_early", Qt.Key_3: "too_late", Qt.Key_4: "not_applicable"}


def outcome_fields(n: int, start) -> dict:
    kind = n % 5
    if kind == 0:
        return dict(agent_ended_early=True)
    if kind == 1:
        return dict(hangup_prompted_at=start + timedelta(seconds=20))
    if kind == 2:
        return dict(ended_by="customer", customer_hung_up_in_grace=True)
    if kind == 3:
        return dict(caller_class="no_value", sub_reason="abuse", warnings=1)
    return dict(caller_class="non_regular", sub_reason="closed_case", explanations=3)


@pytest.fixture
def centre(tmp_path):
    with ServerProcess(str(tmp_path / "server.db")) as server:
        people = {}
        for agent_id, role in (("1001", "agent"), ("1002", "agent"), ("1003", "agent"), ("qa-1", "qa")):
            _, token = add_device(server.database, agent_id, role)
            person = Agent(tmp_path / f"home-{agent_id}", agent_id)
            assert person.login(server.url, token).returncode == 0
            person.token = token
            people[agent_id] = person
        yield server, people
        for person in people.values():
            person.close()


def test_ten_reviews_by_keys_only_and_the_csv_read_back(qtbot, centre, tmp_path):
    server, people = centre
    for agent_id in ("1001", "1002", "1003"):
        agent = people[agent_id]
        for n in range(8):
            call_id = agent.record_call(n + 1, note=f"{agent_id} note {n}")
            call = agent.store.get_call(call_id)
            agent.record_call(n + 1, note=f"{agent_id} note {n}", **outcome_fields(n, call.started_at))
        assert agent.sync().returncode == 0
    qa = people["qa-1"]

    made = qa.run("qa", "batch", "create", "--purpose", "problems", "--size", "10", "--seed", "42")
    assert made.returncode == 0, made.stderr
    batch_id = made.stdout.strip().splitlines()[-1]
    shown = json.loads(qa.run("qa", "batch", "show", batch_id, "--format", "json").stdout)
    assert len(shown["calls"]) == 10 and shown["seed"] == "42"
    assert set(shown["outcomes"].values()) == {"agent_before_allowed", "agent_after_prompt", "customer_in_wait",
                                               "no_value_after_warning", "non_regular_after_explanations"}
    again = qa.run("qa", "batch", "create", "--purpose", "problems", "--size", "10", "--seed", "42")
    again_id = again.stdout.strip().splitlines()[-1]
    assert json.loads(qa.run("qa", "batch", "show", again_id, "--format", "json").stdout)["calls"] == shown["calls"]

    # which calls: by caller class and sub-reason too
    abuse = qa.run("qa", "batch", "create", "--purpose", "techniques", "--size", "50", "--seed", "1",
                   "--caller-class", "no_value", "--sub-reason", "abuse")
    assert abuse.returncode == 0, abuse.stderr
    abuse_calls = json.loads(qa.run("qa", "batch", "show", abuse.stdout.strip().splitlines()[-1], "--format",
                                    "json").stdout)["outcomes"]
    assert len(abuse_calls) == 3 and set(abuse_calls.values()) == {"no_value_after_warning"}   # one per agent

    # an agent never reads batches, and sees only reviews of its own calls
    agent_http = httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {people['1001'].token}"})
    assert agent_http.get(f"/v1/qa/batches/{batch_id}").status_code == 403
    # an agent cannot push a review
    assert qa.run("qa", "batch", "pull", batch_id, "--db", str(qa.db_path)).returncode == 0

    batch = qa_store.batch(qa.store.db, batch_id)
    window = ReviewWindow(qa.db_path, batch_id, batch_form(batch), Policy(), load_qa_texts("en"), "en", "qa-1",
                          RecordingSource.parse(""), tmp_path / "cache", 480, lambda: "2026-12-01T10:00:00+00:00")
    qtbot.addWidget(window)
    with qtbot.waitSignal(window.loaded, timeout=30_000):
        window.show()
    qtbot.waitExposed(window)
    verdicts = {}
    for i in range(10):
        call_id = window.calls[window.index].call_id
        verdict_key = (Qt.Key_1, Qt.Key_2, Qt.Key_3, Qt.Key_4)[i % 4]
        cause = (Qt.Key_1, Qt.Key_3, Qt.Key_4)[i % 3]
        for key in (Qt.Key_1, Qt.Key_2, Qt.Key_1, Qt.Key_1, cause, Qt.Key_Down, Qt.Key_Down, verdict_key,
                    Qt.Key_Return):
            qtbot.keyClick(window.focusWidget() or window, key)
        verdicts[call_id] = VERDICT_KEYS[verdict_key]
    qtbot.waitUntil(lambda: "All calls of this batch are reviewed" in window.status.text(), timeout=60_000)
    assert len(qa_store.reviews(qa.store.db, batch_id)) == 10
    assert "All calls of this batch are reviewed" in window.status.text()
    assert outbox.pending_count(qa.store.db) == 10

    synced = qa.sync()
    assert synced.returncode == 0, synced.stderr
    assert outbox.pending_count(qa.store.db) == 0

    out = tmp_path / "reviews.csv"
    exported = qa.run("qa", "batch", "export", batch_id, "--format", "csv", "--out", str(out))
    assert exported.returncode == 0, exported.stderr
    with open(out, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 10
    assert {r["call_id"]: r["verdict"] for r in rows} == verdicts
    assert {r["call_id"] for r in rows} == set(shown["calls"])
    assert all(r["reviewer_id"] == "qa-1" and r["call_necessary"] == "yes" for r in rows)

    # the agent's own reviews, never another's
    mine = agent_http.get("/v1/qa/my-reviews").json()["reviews"]
    assert {r["call_id"] for r in mine} == {r["call_id"] for r in rows if r["agent_id"] == "1001"}

    # the meeting sheet: its counts are the reviews'
    sheet_csv, sheet_html, sheet_pdf = tmp_path / "sheet.csv", tmp_path / "sheet.html", tmp_path / "sheet.pdf"
    done = qa.run("qa", "sheet", batch_id, "--csv", str(sheet_csv), "--html", str(sheet_html), "--pdf", str(sheet_pdf),
                  "--lang", "zh_CN")
    assert done.returncode == 0, done.stderr
    with open(sheet_csv, encoding="utf-8-sig", newline="") as f:
        sheet = list(csv.DictReader(f))
    for verdict in VERDICT_KEYS.values():
        counted = sum(int(r["count"]) for r in sheet if r["part"] == "verdict" and r["key"] == verdict)
        assert counted == sum(v == verdict for v in verdicts.values())
    causes = {r["key"]: int(r["count"]) for r in sheet if r["part"] == "root_cause"}
    assert causes["system"] == sum(1 for r in rows if "system" in r["root_causes"].split(";"))
    assert "复盘会议表" in sheet_html.read_text(encoding="utf-8")
    assert sheet_pdf.read_bytes().startswith(b"%PDF")      # its text is read back in test_sheet_pdf.py

    # an action by command, with the version the caller saw
    added = qa.run("qa", "action", "add", "--batch", batch_id, "--kind", "training", "--title", "2 s wait drill",
                   "--owner", "lead-1", "--agent", "1001", "--due", "2026-12-31", "--figure", "early_rate")
    assert added.returncode == 0, added.stderr
    action_id = added.stdout.strip().splitlines()[-1]
    assert qa.run("qa", "action", "status", action_id, "in_progress", "--expected-version", "1").returncode == 0
    stale = qa.run("qa", "action", "status", action_id, "done", "--expected-version", "1")
    assert stale.returncode == 2 and "409" in stale.stderr
    listed = json.loads(qa.run("qa", "actions", "--format", "json").stdout)
    assert [(a["id"], a["status"], a["version"]) for a in listed] == [(action_id, "in_progress", 2)]
    assert [a["id"] for a in agent_http.get("/v1/qa/actions").json()["actions"]] == [action_id]   # it names 1001

    # My day's coaching part shows the agent's own reviews and the action naming it
    from hangup_coach.ui.qa_coaching import MyCoaching
    coaching = MyCoaching(load_qa_texts("en"), lambda role, key: key,
                          lambda: (agent_http.get("/v1/qa/my-reviews").json()["reviews"],
                                   agent_http.get("/v1/qa/actions").json()["actions"]))
    qtbot.addWidget(coaching)
    qtbot.waitUntil(lambda: "review(s) of your calls" in coaching.status.text(), timeout=10_000)
    assert coaching.reviews.rowCount() == len(mine) and coaching.actions.rowCount() == 1
    assert coaching.actions.item(0, 0).text() == "2 s wait drill" and coaching.actions.item(0, 1).text() == "in progress"
    agent_http.close()
