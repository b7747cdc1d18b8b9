"""Targets are data (resources/targets.toml, a centre's copy overrides it); figures are flagged
against them and carry their trend in words."""

from datetime import date, timedelta

import pytest

from hangup_coach.app.report_format import figures, load_texts, summary_lines
from hangup_coach.app.resources import centre_file, load_policy, load_targets
from hangup_coach.core.stats import Tally
from hangup_coach.core.targets import AMBER, GREEN, RED, TargetError, targets_from_toml
from hangup_coach.store.reports import ReportQuery, build_report

from .conftest import add_call


def test_flags_follow_the_direction_of_each_target():
    targets = load_targets()
    share, handle = targets["agent_share"], targets["average_handle_seconds"]
    assert [share.flag(v) for v in (0.40, 0.30, 0.10, None)] == [GREEN, AMBER, RED, None]
    assert [handle.flag(v) for v in (200, 400, 900)] == [GREEN, AMBER, RED]


def test_a_centre_file_overrides_the_shipped_targets_and_a_bad_one_is_refused(tmp_path):
    (tmp_path / "targets.toml").write_text('[agent_share]\nbetter = "higher"\ngreen = 0.5\namber = 0.4\n')
    mine = load_targets(centre_file(tmp_path, "targets.toml"))
    assert mine["agent_share"].flag(0.45) == AMBER and "average_handle_seconds" not in mine
    with pytest.raises(TargetError, match="amber 0.6 is beyond green 0.5"):
        targets_from_toml({"agent_share": {"better": "higher", "green": 0.5, "amber": 0.6}})
    with pytest.raises(TargetError, match="better must be"):
        targets_from_toml({"x": {"better": "more", "green": 1, "amber": 2}})


def test_figures_carry_flag_target_and_a_signed_trend_in_words(db):
    # two weeks: the agent ends 1 of 4 calls in the first, 3 of 4 in the second
    first = date(2026, 6, 1)
    for week, agent_ended in ((0, 1), (1, 3)):
        for n in range(4):
            day = first + timedelta(days=7 * week + n)
            add_call(db, f"{day.isoformat()} 10:00:00", ended_by="agent" if n < agent_ended else "customer")
    report = build_report(db, ReportQuery(first, first + timedelta(days=13), utc_offset_minutes=480), load_policy())
    shown = {f.key: f for f in figures(report, load_texts("en"), load_targets())}
    share = shown["agent_share"]
    assert share.value == "50.0 %" and share.flag == GREEN and share.target == "target ≥ 35.0 %"
    assert share.trend == "last 7 days vs the 7 before: +50.0 pp (up)" and share.improved is True
    zh = {f.key: f for f in figures(report, load_texts("zh_CN"), load_targets())}
    assert zh["agent_share"].trend == "近 7 天较前 7 天: +50.0 个百分点 (上升)"
    assert shown["satisfaction"].value == "—" and shown["satisfaction"].flag is None


def test_an_empty_period_says_no_calls_yet(db):
    report = build_report(db, ReportQuery(date(2026, 6, 1), date(2026, 6, 30), utc_offset_minutes=480),
                          load_policy())
    assert report.total == Tally()
    assert summary_lines(report, load_texts("zh_CN"))[0] == "此期间还没有通话。"
    assert summary_lines(report, load_texts("en"))[0] == "No calls yet in this period."


def test_a_significant_change_is_highlighted_in_the_details_and_the_markdown(db):
    from hangup_coach.app.report_format import render, significant_lines
    from hangup_coach.store.feedback import import_file

    ids = [add_call(db, f"2026-05-{d:02d} 10:00:00") for d in range(1, 29)] + \
          [add_call(db, f"2026-06-{d:02d} 10:00:00") for d in range(2, 30)]
    rows = "call_id,date,score\n" + "".join(f"{c},2026-05-{i % 28 + 1:02d},{5 - i % 2}\n" for i, c in enumerate(ids[:28]))
    rows += "".join(f"{c},2026-06-{i % 28 + 2:02d},{2 - i % 2}\n" for i, c in enumerate(ids[28:]))
    path = db.conn.execute("PRAGMA database_list").fetchone()[2] + ".csv"
    with open(path, "w", encoding="utf-8") as f:
        f.write(rows)
    from pathlib import Path
    import_file(db, Path(path))
    report = build_report(db, ReportQuery(date(2026, 5, 1), date(2026, 6, 30), utc_offset_minutes=480), load_policy())
    assert report.satisfaction().significant is True
    flags = significant_lines(report)
    assert flags[4] is True and flags[5] is False
    md = render(report, "md", load_texts("en"))
    assert "- **Satisfaction (score 1–5): 4.50 before, 1.50 since the policy, −3.00 (down), significant at 95 %**" in md
