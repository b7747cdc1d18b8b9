"""The centre's case facts reach the server (`server import-cases FILE.csv`, `PUT /v1/cases`) and
travel in caller profiles: `/v1/profiles/<e164>` and the next `/v1/changes` pull. A real server
process on SQLite and PostgreSQL (the `database` fixture)."""

import os
import subprocess
import sys

import httpx

from tests.server import records

NUMBER = "+8613800138000"
OTHER = "+8613900139000"


def import_cases(server, tmp_path, content: str) -> subprocess.CompletedProcess:
    path = tmp_path / "cases.csv"
    path.write_text(content, encoding="utf-8")
    return subprocess.run([sys.executable, "-m", "hangup_coach", "server", "import-cases", "--database",
                           server.database, str(path)], capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, HANGUP_COACH_HOME=str(tmp_path / "home")))


def test_an_imported_csv_becomes_the_numbers_case_in_its_profile(server, devices, tmp_path):
    agent = devices("1024")
    assert agent.push([records.call("1024", NUMBER)]).status_code == 200
    result = import_cases(server, tmp_path, "number,case_id,closed_at,branch_only\n"
                                            "138 0013 8000,TS-2026-118,2026-11-20 15:30,否\n"
                                            "\n"
                                            "13900139000,TS-2026-205,,是\n")
    assert result.returncode == 0, result.stderr
    assert "2 case(s) read" in result.stdout

    closed = agent.get(f"/v1/profiles/{NUMBER}").json()
    assert (closed["case_id"], closed["case_closed_at"], closed["branch_only"]) == \
        ("TS-2026-118", "2026-11-20T07:30:00.000000+00:00", False)          # 15:30 China time
    assert len(closed["evidence"]) == 1                                     # its calls still there
    open_case = agent.get(f"/v1/profiles/{OTHER}").json()                   # a case without calls
    assert (open_case["case_id"], open_case["case_closed_at"], open_case["branch_only"]) == \
        ("TS-2026-205", None, True)
    assert open_case["evidence"] == []


def test_a_malformed_csv_names_its_line_and_stores_nothing(server, devices, tmp_path):
    result = import_cases(server, tmp_path, "number,case_id,closed_at,branch_only\n"
                                            "13800138000,TS-1,2026-11-20,1\n"
                                            "13900139000,TS-2,20 Nov,0\n")
    assert result.returncode == 1
    assert "line 3" in result.stderr and "closed_at" in result.stderr and "nothing was stored" in result.stderr
    agent = devices("1024")
    assert agent.get(f"/v1/profiles/{NUMBER}").status_code == 404       # the good first row neither
    pages, _ = agent.pull_all()
    assert pages[0]["profiles"] == []

    bad_flag = import_cases(server, tmp_path, "number,case_id,closed_at,branch_only\n13800138000,TS-1,,maybe\n")
    assert bad_flag.returncode == 1 and "line 2" in bad_flag.stderr and "branch_only" in bad_flag.stderr
    no_header = import_cases(server, tmp_path, "13800138000,TS-1,,1\n")
    assert no_header.returncode == 1 and "line 1" in no_header.stderr


def test_put_cases_needs_a_lead_or_an_admin(server, devices):
    body = [{"number": NUMBER, "case_id": "TS-9", "closed_at": "2026-11-20T08:00:00Z", "branch_only": 0}]
    assert httpx.put(server.url + "/v1/cases", json=body, timeout=30).status_code == 401
    bad_token = httpx.put(server.url + "/v1/cases", json=body, headers={"Authorization": "Bearer nope"}, timeout=30)
    assert bad_token.status_code == 401
    agent, lead, admin = devices("1024"), devices("lead-1", "lead"), devices("root", "admin")
    assert agent.http.put("/v1/cases", json=body).status_code == 403
    assert agent.get(f"/v1/profiles/{NUMBER}").status_code == 404       # the refused ones stored nothing

    stored = lead.http.put("/v1/cases", json=body)
    assert stored.status_code == 200, stored.text
    assert (stored.json()["cases"], stored.json()["changed"]) == (1, 1)
    again = admin.http.put("/v1/cases", json=[dict(body[0], closed_at=None, branch_only=True)])
    assert again.status_code == 200 and again.json()["changed"] == 1
    profile = agent.get(f"/v1/profiles/{NUMBER}").json()
    assert (profile["case_id"], profile["case_closed_at"], profile["branch_only"]) == ("TS-9", None, True)


def test_a_bad_case_in_a_request_is_refused_by_index_and_nothing_is_stored(server, devices):
    lead, agent = devices("lead-1", "lead"), devices("1024")
    good = {"number": NUMBER, "case_id": "TS-1", "closed_at": "", "branch_only": "no"}
    for bad, word in [({"number": "not a number", "case_id": "TS-2"}, "number"),
                      ({"number": OTHER, "case_id": ""}, "case_id"),
                      ({"number": OTHER, "case_id": "TS-2", "closed_at": "yesterday"}, "closed_at"),
                      ({"number": OTHER, "case_id": "TS-2", "colour": "red"}, "expected an object")]:
        refused = lead.http.put("/v1/cases", json=[good, bad])
        assert refused.status_code == 422, bad
        assert refused.json()["where"] == "case 1" and word in refused.json()["error"]
    assert lead.http.put("/v1/cases", json={"cases": [good]}).status_code == 422
    assert agent.get(f"/v1/profiles/{NUMBER}").status_code == 404


def test_a_pull_after_an_import_carries_the_case_and_an_unchanged_import_moves_nothing(server, devices, tmp_path):
    agent = devices("1024")
    assert agent.push([records.call("1024", NUMBER)]).status_code == 200
    _, cursor = agent.pull_all()

    csv = "number,case_id,closed_at,branch_only\n+8613800138000,TS-7,2026-11-28T09:00:00+00:00,0\n"
    assert import_cases(server, tmp_path, csv).returncode == 0
    pages, cursor = agent.pull_all(since=cursor)
    [profile] = pages[0]["profiles"]
    assert profile["number"] == NUMBER and profile["case_id"] == "TS-7"
    assert profile["case_closed_at"] == "2026-11-28T09:00:00.000000+00:00"
    assert len(profile["evidence"]) == 1

    again = import_cases(server, tmp_path, csv)
    assert again.returncode == 0 and "0 changed" in again.stdout
    pages, cursor = agent.pull_all(since=cursor)
    assert pages[0]["profiles"] == []

    # A change of facts and a new call interleave in one seq order: a small page brings both, once each.
    lead = devices("lead-1", "lead")
    assert lead.http.put("/v1/cases", json=[{"number": OTHER, "case_id": "TS-8"}]).status_code == 200
    assert agent.push([records.call("1024", NUMBER)]).status_code == 200
    pages, _ = agent.pull_all(since=cursor, limit=1)
    assert [p["number"] for page in pages for p in page["profiles"]] == [OTHER, NUMBER]
