"""Importing satisfaction scores and complaints, and the before/after comparison they feed."""

import dataclasses
import io
from datetime import date, datetime, timezone

import pytest

from hangup_coach.app.report_format import load_texts
from hangup_coach.app.resources import load_policy
from hangup_coach.store.feedback import FeedbackError, import_file, read_rows
from hangup_coach.store.reports import ReportQuery, build_report

from .conftest import add_call

POLICY = dataclasses.replace(load_policy(), policy_start=date(2026, 6, 10))
EN, ZH = load_texts("en"), load_texts("zh_CN")
NOW = datetime(2026, 7, 1, 9, 0, tzinfo=timezone.utc)


def parse(text, source="feedback.csv", scale=(1.0, 5.0)):
    return list(read_rows(io.StringIO(text), source, "CN", scale, NOW.date()))


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
    ("", "the file is empty"),
    ("when,score\n2026-06-01,3\n", "line 1: the header needs"),
    ("call_id,date,score\nc1,2026-06-01,3\nc2,June 2nd,3\n", "line 3: date 'June 2nd' is not a date"),
    ("call_id,date,score\nc1,2026-06-01,good\n", "line 2: score 'good' is not a number"),
    ("call_id,date,score\nc1,2026-06-01,nan\n", "line 2: score nan is outside"),
    ("call_id,date,complaint\nc1,2026-06-01,maybe\n", "line 2: complaint 'maybe'"),
    ("call_id,number,date,score\n,,2026-06-01,3\n", "line 2: needs a call_id or a number"),
    ("number,date,score\nabc,2026-06-01,3\n", "line 2: the number 'abc' is not a phone number"),
    ("call_id,date,score,complaint\nc1,2026-06-01,,\n", "line 2: needs a score or a complaint"),
    ('call_id,date,score\nc1,2026-06-01,3\n"c2,2026-06-02,4\n', "line"),
])
def test_a_malformed_file_is_refused_naming_the_line(text, message):
    with pytest.raises(FeedbackError) as refused:
        parse(text, "survey.csv")
    assert message in refused.value.message(EN)


def test_a_bad_file_imports_nothing_and_a_second_import_replaces(db, tmp_path):
    bad = write(tmp_path, "call_id,date,score\nc1,2026-06-01,4\nc2,2026-06-02,x\n")
    with pytest.raises(FeedbackError) as refused:
        import_file(db, bad, now=NOW)
    assert refused.value.message(EN).startswith("survey.csv, line 3: ")
    assert db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 0
    good = write(tmp_path, "call_id,date,score\nc1,2026-06-01,4\nc2,2026-06-02,5\n")
    assert import_file(db, good, now=NOW).rows == 2
    again = write(tmp_path, "call_id,date,score\nc1,2026-06-01,2\n")
    assert import_file(db, again, now=NOW).rows == 1
    assert dict(db.execute("SELECT call_id, score FROM feedback ORDER BY call_id").fetchall()) == {"c1": 2.0, "c2": 5.0}
    with pytest.raises(FeedbackError) as refused:   # told to read UTF-8, a GBK file is refused at its line
        import_file(db, write(tmp_path, "call_id,date,score\nc1,2026-06-01,3\nc2,2026-06-01,满意\n",
                              encoding="gbk"), encoding="utf-8", now=NOW)
    assert refused.value.message(EN).startswith("survey.csv, line 3: not utf-8 text")
    with pytest.raises(FeedbackError) as refused:
        import_file(db, tmp_path / "missing.csv", now=NOW)
    assert refused.value.message(EN).startswith("cannot read")


def test_satisfaction_and_complaints_before_and_after_the_policy_start(db, tmp_path):
    ids = [add_call(db, f"2026-06-0{d} 10:00:00", agent="1001") for d in range(1, 5)]        # before
    ids += [add_call(db, f"2026-06-1{d} 10:00:00", agent="1002") for d in range(1, 5)]       # after
    rows = ["call_id,number,date,score,complaint"]
    rows += [f"{ids[i]},,2026-06-0{i + 1},{s}," for i, s in enumerate((5, 4, 4, 3))]
    rows += [f"{ids[4 + i]},,2026-06-1{i + 1},{s},{c}" for i, (s, c) in enumerate(((3, 1), (2, 0), (3, 0), (4, 1)))]
    rows += [",13800138000,2026-06-15,,1"]                                    # a complaint by number only
    import_file(db, write(tmp_path, "\n".join(rows) + "\n"), now=NOW)
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


# ----- what a centre's Excel really writes ------------------------------------------------------------
@pytest.mark.parametrize("encoding, detected", [
    ("gbk", "gb18030"),            # Excel's plain "CSV (逗号分隔)" on a Chinese system
    ("gb18030", "gb18030"),
    ("utf-8-sig", "utf-8-sig"),    # "CSV UTF-8"
    ("utf-8", "utf-8"),
    ("utf-16", "utf-16"),          # "Unicode text" (with its BOM)
])
def test_the_encodings_excel_writes_are_detected(db, tmp_path, encoding, detected):
    call = add_call(db, "2026-06-01 10:00:00")
    text = "通话编号,号码,日期,满意度,投诉\n" + f"{call},,2026/6/1,4,否\n,13800138000,2026/6/2,,是\n"
    result = import_file(db, write(tmp_path, text, encoding=encoding), now=NOW)
    assert (result.rows, result.encoding, result.unknown_calls) == (2, detected, 0)
    assert db.execute("SELECT call_id, day, score, complaint FROM feedback ORDER BY day").fetchall() == [
        (call, "2026-06-01", 4.0, 0), (None, "2026-06-02", None, 1)]


def test_an_encoding_named_on_the_command_line_wins(db, tmp_path):
    path = write(tmp_path, "号码,日期,投诉\n13800138000,2026-06-01,是\n", encoding="gbk")
    assert import_file(db, path, encoding="gb18030", now=NOW).rows == 1
    with pytest.raises(FeedbackError) as refused:
        import_file(db, path, encoding="latin-9x", now=NOW)
    assert "unknown encoding latin-9x" in refused.value.message(EN)


@pytest.mark.parametrize("raw, day", [
    ("2026/6/1", date(2026, 6, 1)), ("2026/06/01 09:05", date(2026, 6, 1)), ("2026-6-1 9:05:00", date(2026, 6, 1)),
    ("2026.6.1", date(2026, 6, 1)), ("2026年6月1日", date(2026, 6, 1)), ("2026-06-01T09:30:00+08:00", date(2026, 6, 1)),
])
def test_dates_as_excel_writes_them(raw, day):
    assert parse(f"call_id,date,score\nc1,{raw},3\n")[0].day == day


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_semicolon_tab_or_comma_between_the_fields(delimiter):
    text = delimiter.join(["call_id", "date", "score"]) + "\n" + delimiter.join(["c1", "2026-06-01", "4.5"]) + "\n"
    rows = parse(text)
    assert [(r.call_id, r.day, r.score) for r in rows] == [("c1", date(2026, 6, 1), 4.5)]


@pytest.mark.parametrize("row, message_en, message_zh", [
    ("c1,2026-06-01,500", "line 2: score 500 is outside the centre's scale 1–5", "第 2 行：满意度 500 超出本中心的评分范围 1–5"),
    ("c1,2026-06-01,-3", "line 2: score -3 is outside the centre's scale 1–5", "满意度 -3 超出"),
    ("c1,1900-01-01,3", "line 2: date 1900-01-01 is impossible", "日期 1900-01-01 不可能"),
    ("c1,9999-12-31,3", "line 2: date 9999-12-31 is impossible", "日期 9999-12-31 不可能"),
    ("c1,2026-07-03,3", "line 2: date 2026-07-03 is impossible (before 2000-01-01 or after 2026-07-02)", "晚于 2026-07-02"),
    ("c1,2026/2/30,3", "line 2: date '2026/2/30' is not a date", "日期“2026/2/30”不是日期"),
])
def test_scores_off_the_scale_and_impossible_dates_are_refused_with_their_line(row, message_en, message_zh):
    with pytest.raises(FeedbackError) as refused:
        parse("call_id,date,score\n" + row + "\n", "survey.csv")
    assert message_en in refused.value.message(EN)
    assert message_zh in refused.value.message(ZH)


def test_the_centre_scale_decides_what_a_score_may_be():
    assert parse("call_id,date,score\nc1,2026-06-01,9\n", scale=(1.0, 10.0))[0].score == 9.0
    with pytest.raises(FeedbackError) as refused:
        parse("call_id,date,score\nc1,2026-06-01,0\n", scale=(1.0, 10.0))
    assert "outside the centre's scale 1–10" in refused.value.message(EN)


def test_unknown_call_ids_are_imported_counted_and_warned(db, tmp_path):
    known = add_call(db, "2026-06-01 10:00:00")
    text = f"call_id,date,score\n{known},2026-06-01,4\nnowhere-1,2026-06-02,1\nnowhere-2,2026-06-02,2\n"
    result = import_file(db, write(tmp_path, text), now=NOW)
    assert (result.rows, result.unknown_calls) == (3, 2)
    assert db.execute("SELECT count(*) FROM feedback").fetchone()[0] == 3


def test_a_refused_file_leaves_every_figure_as_it_was(db, tmp_path):
    ids = [add_call(db, f"2026-06-0{d} 10:00:00") for d in range(1, 5)] + \
          [add_call(db, f"2026-06-1{d} 10:00:00") for d in range(1, 5)]
    good = "call_id,date,score,complaint\n" + "".join(
        f"{c},2026-06-{1 + i if i < 4 else 7 + i:02d},{3 + i % 2},{i % 2}\n" for i, c in enumerate(ids))
    import_file(db, write(tmp_path, good), now=NOW)
    query = ReportQuery(date(2026, 6, 1), date(2026, 6, 30), utc_offset_minutes=480)
    before = build_report(db, query, POLICY)
    for bad in (f"call_id,date,score\n{ids[0]},2026-06-01,1\n{ids[5]},2026-06-12,500\n",       # off the scale
                f"call_id,date,score\n{ids[0]},2026-06-01,1\n{ids[5]},1900-06-12,2\n",         # impossible date
                f"call_id,date,score\n{ids[0]},2026-06-01,1\n{ids[5]},2026-06-12,x\n"):        # not a number
        with pytest.raises(FeedbackError):
            import_file(db, write(tmp_path, bad), now=NOW)
        after = build_report(db, query, POLICY)
        assert after.feedback == before.feedback
        assert after.satisfaction() == before.satisfaction() and after.complaint_rate() == before.complaint_rate()
