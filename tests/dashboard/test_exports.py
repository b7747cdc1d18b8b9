"""Exports ready to present or analyse: the .xlsx workbook (a sheet per table, raw numbers with
number formats), titled chart PNGs, and `report --every day|week --to DIR` for a scheduled task."""

import re
import zipfile
from datetime import date
from xml.etree import ElementTree

import pytest

from hangup_coach.app.report_format import load_texts, scheduled_range
from hangup_coach.app.report_xlsx import write_workbook
from hangup_coach.app.resources import load_policy, load_targets
from hangup_coach.store.reports import ReportQuery, build_report

from .conftest import add_call
from .test_cli import run, team_db  # noqa: F401  (the fixture)

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main"}


def read_workbook(path) -> dict[str, list[list]]:
    """{sheet name: rows of values} straight from the file's XML (numbers as floats)."""
    with zipfile.ZipFile(path) as z:
        strings = [si.findtext(".//m:t", "", NS) for si in
                   ElementTree.fromstring(z.read("xl/sharedStrings.xml")).findall("m:si", NS)]
        book = ElementTree.fromstring(z.read("xl/workbook.xml"))
        names = [s.get("name") for s in book.find("m:sheets", NS)]
        sheets = {}
        for n, name in enumerate(names, start=1):
            rows = []
            for row in ElementTree.fromstring(z.read(f"xl/worksheets/sheet{n}.xml")).iter(f"{{{NS['m']}}}row"):
                rows += [[]] * (int(row.get("r")) - 1 - len(rows))   # rows with nothing in them are left out
                cells = {}
                for c in row.findall("m:c", NS):
                    col = re.match(r"[A-Z]+", c.get("r")).group()
                    value = c.findtext("m:v", None, NS)
                    cells[ord(col[-1]) - 65] = strings[int(value)] if c.get("t") == "s" else float(value)
                rows.append([cells.get(i) for i in range(max(cells) + 1)] if cells else [])
            sheets[name] = rows
    return sheets


def test_the_workbook_has_a_sheet_per_table_with_raw_numbers(db, tmp_path):
    for day in range(1, 4):
        add_call(db, f"2026-06-0{day} 10:00:00", agent="1001", ended_by="agent")
        add_call(db, f"2026-06-0{day} 11:00:00", agent="1002", ended_by="customer", talk=125)
    report = build_report(db, ReportQuery(date(2026, 6, 1), date(2026, 6, 3), utc_offset_minutes=480), load_policy())
    book = read_workbook(write_workbook(report, load_texts("zh_CN"), load_targets(), tmp_path / "r.xlsx"))
    assert list(book) == ["概要", "坐席", "客户类型", "每日", "非常规客户：每通解释次数分布", "坐席主动挂机占比（按周）"]
    agents = book["坐席"]
    assert agents[0][0] == "挂机规范成效看板: 2026-06-01 – 2026-06-03"      # the period says itself
    assert agents[2][:4] == ["坐席", "排名", "通话数", "坐席挂机占比"]
    assert agents[3][:4] == ["1001", 1.0, 3.0, 1.0] and agents[4][:4] == ["1002", 2.0, 3.0, 0.0]   # numbers, not text
    assert agents[4][5] == pytest.approx(125.0)                                       # average handling, in seconds
    days = book["每日"]
    assert [r[0] for r in days[3:]] == ["2026-06-01", "2026-06-02", "2026-06-03"] and days[3][1] == 2.0
    summary = book["概要"]
    assert summary[3][0] == "坐席主动挂机占比" and summary[3][1] == 0.5 and summary[3][3] == "达标"


def test_scheduled_ranges_are_the_last_whole_day_or_week():
    thursday = date(2026, 12, 3)
    assert scheduled_range(thursday, "day") == (date(2026, 12, 2), date(2026, 12, 2))
    assert scheduled_range(thursday, "week") == (date(2026, 11, 23), date(2026, 11, 29))
    assert scheduled_range(date(2026, 11, 30), "week") == (date(2026, 11, 23), date(2026, 11, 29))   # a Monday


def test_report_every_week_writes_the_files_a_scheduled_task_leaves(team_db, tmp_path):  # noqa: F811
    out = run("report", "--db", str(team_db), "--every", "week", "--since", "2026-06-01", "--until", "2026-06-07",
              "--to", str(tmp_path / "out"), "--lang", "en", tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert names == [f"hangup-coach-week-2026-06-01_2026-06-07.{x}" for x in ("csv", "md", "xlsx")]
    md = (tmp_path / "out" / names[1]).read_text(encoding="utf-8")
    assert md.startswith("# Hang-up policy review: 2026-06-01 – 2026-06-07")
    assert "Agents" in read_workbook(tmp_path / "out" / names[2])
    out = run("report", "--db", str(team_db), "--every", "day", tmp_path=tmp_path)
    assert out.returncode == 2 and "--every needs --to DIR" in out.stderr
    out = run("report", "--db", str(team_db), "--since", "2026-06-01", "--until", "2026-06-30",
              "--xlsx", str(tmp_path / "june.xlsx"), "--format", "json", tmp_path=tmp_path)
    assert out.returncode == 0 and set(read_workbook(tmp_path / "june.xlsx")) >= {"概要", "坐席"}
