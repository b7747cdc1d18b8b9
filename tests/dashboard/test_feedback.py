"""Importing satisfaction scores and complaints, and the before/after comparison they feed."""

import dataclasses
from datetime import date

import pytest

from hangup_coach.app.resources import load_policy
from hangup_coach.store.feedback import FeedbackError, import_file, parse
from hangup_coach.store.reports import ReportQuery, build_report

from .conftest import add_call

POLICY = dataclasses.replace(load_policy(), policy_start=date(2026, 6, 10))


def write(tmp_path, text, name="survey.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def test_rows_by_call_id_or_number_in_english_or_chinese_headers():
    rows = parse("call_id,number,date,score,complaint\nc1,,2026-06-01,4,0\n,138 0013 8000,2026/06/12,,是\n")
    assert [(r.call_id, r.caller_number, r.day, r.score, r.complaint, r.line) for r in rows] == [
        ("c1", None, date(2026, 6, 1), 4.0, False, 2), (None, "+8613800138000", date(2026, 6, 12), None, True, 3)]
    zh = parse("\ufeff号码,日期,满意度\n13800138000,2026-06-01T09:30:00,5\n\n")
    assert len(zh) == 1 and zh[0].score == 5.0 and zh[0].complaint is None


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("when,score\n2026-06-01,3\n", "line 1: the header needs"),
    ("call_id,date,score\nc1,2026-06-01,3\nc2,June 2nd,3\n", "line 3: date 'June 2nd'"),
    ("call_id,date,score\nc1,2026-06-01,good\n", "line 2: score 'good' is not a number"),
    ("call_id,date,score\nc1,2026-06-01,nan\n", "line 2: score 'nan'"),
    ("call_id,date,complaint\nc1,2026-06-01,maybe\n", "line 2: complaint 'maybe'"),
    ("call_id,number,date,score\n,,2026-06-01,3\n", "line 2: needs a call_id or a number"),
    ("number,date,score\nabc,2026-06-01,3\n", "line 2: the number is not a phone number"),
    ("call_id,date,score,complaint\nc1,2026-06-01,,\n", "line 2: needs a score or a complaint"),
    ('call_id,date,score\nc1,2026-06-01,3\n"c2,2026-06-02,4\n', "line"),
])
def test_a_malformed_file_is_refused_naming_the_line(text, message):
    with pytest.raises(FeedbackError, match=message):
        parse(text, "survey.csv")


def test_a_bad_file_imports_nothing_and_a_second_import_replaces(db, tmp_path):
    bad = write(tmp_path, "call_id,date,score\nc1,2026-06-01,4\nc2,2026-06-02,x\n")
    with pytest.raises(FeedbackError, match="survey.csv, line 3"):
        import_file(db, bad)
    assert db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0
    good = write(tmp_path, "call_id,date,score\nc1,2026-06-01,4\nc2,2026-06-02,5\n")
    assert import_file(db, good) == 2
    again = write(tmp_path, "call_id,date,score\nc1,2026-06-01,2\n")
    assert import_file(db, again) == 1
    assert dict(db.execute("SELECT call_id, score FROM feedback ORDER BY call_id").fetchall()) == {"c1": 2.0, "c2": 5.0}
    with pytest.raises(FeedbackError, match="line 2: not UTF-8"):
        import_file(db, write(tmp_path, "call_id,date,score\nc1,2026-06-01,满意\n", encoding="gbk"))
    with pytest.raises(FeedbackError, match="cannot read"):
        import_file(db, tmp_path / "missing.csv")


def test_satisfaction_and_complaints_before_and_after_the_policy_start(db, tmp_path):
    ids = [add_call(db, f"2026-06-0{d} 10:00:00", agent="1001") for d in range(1, 5)]        # before
    ids += [add_call(db, f"2026-06-1{d} 10:00:00", agent="1002") for d in range(1, 5)]       # after
    rows = ["call_id,number,date,score,complaint"]
    rows += [f"{ids[i]},,2026-06-0{i + 1},{s}," for i, s in enumerate((5, 4, 4, 3))]
    rows += [f"{ids[4 + i]},,2026-06-1{i + 1},{s},{c}" for i, (s, c) in enumerate(((3, 1), (2, 0), (3, 0), (4, 1)))]
    rows += [",13800138000,2026-06-15,,1"]                                    # a complaint by number only
    import_file(db, write(tmp_path, "\n".join(rows) + "\n"))
    r = build_report(db, ReportQuery(date(2026, 6, 1), date(2026, 6, 30), utc_offset_minutes=480), POLICY)
    sat = r.satisfaction()
    assert (sat.before, sat.after, sat.change) == (4.0, 3.0, -1.0)
    assert (r.feedback.complaints_before, r.feedback.complaints_after) == (0, 3)
    rate = r.complaint_rate()
    assert rate.before == 0 and rate.after == pytest.approx(3 / 4)
    # one agent: only feedback naming that agent's calls counts
    one = build_report(db, ReportQuery(date(2026, 6, 1), date(2026, 6, 30), agents=("1002",),
                                       utc_offset_minutes=480), POLICY)
    assert one.feedback.complaints_after == 2 and one.feedback.scores_before.n == 0
