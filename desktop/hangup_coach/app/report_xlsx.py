"""The review report as an Excel workbook: a sheet per table, raw numbers with number formats
(a share is 0.279 shown as 27.9 %, a count adds up), the unit in each head. No Qt.

XlsxWriter is imported here only, when a workbook is written (the lead's package has it; the
agent's card never imports this module).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ..core.stats import Tally, histogram
from ..store.reports import EXPLANATION_BUCKETS, Report
from .report_format import UNITS, agent_table, figures, scenario_label

SHARE, COUNT, DECIMAL = "0.0%", "#,##0", "#,##0.0"
FORMAT_OF_KIND = {"share": SHARE, "points": "+0.0;-0.0;0.0", "count": COUNT, "rank": "0", "seconds": "#,##0",
                  "hours": DECIMAL}


def head_with_unit(head: str, kind: str) -> str:
    """A column's head with its unit, but a share's: its cells show "27.9 %" themselves."""
    return f"{head} ({UNITS[kind]})" if kind in UNITS and kind != "share" else head


@dataclass(frozen=True)
class Sheet:
    """A table as one sheet: raw values with the format of their kind, its caption above the heads."""
    name: str
    caption: str
    heads: list[str]
    rows: list[list]
    kinds: list[str | None]
    widths: dict[int, int] | None = None


def write_workbook(report: Report, texts: dict, targets: dict, path: Path, explanations_now: int = 3,
                   grace_now: float = 2.0, hours: dict | None = None, more: tuple[Sheet, ...] = ()) -> Path:
    """The report's tables, then `more` (the dashboard's Teams tab), a sheet each."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    try:
        formats = {name: book.add_format({"num_format": f}) for name, f in
                   {**FORMAT_OF_KIND, "decimal": DECIMAL}.items()}
        head = book.add_format({"bold": True, "text_wrap": True, "valign": "top", "bottom": 1})
        title = book.add_format({"bold": True, "font_size": 13})
        q = report.query
        caption = f"{texts['title']}: {q.first.isoformat()} – {q.last.isoformat()}"
        if q.agents:
            caption += f" · {texts['agent']} {', '.join(q.agents)}"
        if q.classes:
            caption += " · " + ", ".join(texts.get(f"class_{c}", c) for c in q.classes)

        def add(table: Sheet):
            ws = book.add_worksheet(table.name[:31])
            ws.write(0, 0, table.caption, title)
            ws.write_row(2, 0, table.heads, head)
            for r, row in enumerate(table.rows, start=3):
                for c, (value, kind) in enumerate(zip(row, table.kinds)):
                    if value is None:
                        continue
                    if kind in formats:
                        ws.write_number(r, c, value, formats[kind])
                    else:
                        ws.write(r, c, value)
            ws.freeze_panes(3, 1)
            for c, heading in enumerate(table.heads):
                ws.set_column(c, c, (table.widths or {}).get(c, max(10, min(40, len(heading) + 2))))
            if table.rows:
                ws.autofilter(2, 0, 2 + len(table.rows), len(table.heads) - 1)
            return ws

        def sheet(name: str, heads: list[str], rows: list[list], kinds: list[str | None], widths=None):
            return add(Sheet(name, caption, heads, rows, kinds, widths))

        # the figures a lead acts on
        shown = figures(report, texts, targets)
        kinds = {"agent_share": "share", "early_share": "share", "average_handle_seconds": "seconds",
                 "after_allowed_seconds": "seconds", "satisfaction": "decimal", "complaints_per_1000": "decimal"}
        units = {"share": "%", "seconds": "s"}
        sheet(texts["tab_summary"], [texts["xlsx_figure"], texts["xlsx_value"], texts["xlsx_unit"],
                                     texts["xlsx_flag"], texts["xlsx_target"], texts["xlsx_trend"]],
              [[f.title, f.raw, units.get(kinds[f.key], texts["score_scale"] if f.key == "satisfaction" else ""),
                texts[f"flag_{f.flag}"] if f.flag else "", f.target, f.trend] for f in shown],
              [None, None, None, None, None, None], {0: 34, 5: 48})
        ws = book.get_worksheet_by_name(texts["tab_summary"][:31])
        for r, f in enumerate(shown, start=3):   # the value again, in its own format
            if f.raw is not None:
                ws.write_number(r, 1, f.raw, formats[kinds[f.key]])

        # the agents: raw figures, the unit in each head
        table = agent_table(report, texts, targets)
        sheet(texts["tab_agents"], [head_with_unit(c.head, c.kind) for c in table.columns], table.rows,
              [c.kind for c in table.columns])

        # per class, per day
        class_heads = [texts["caller_class"], texts["col_calls"], texts["col_agent_share"],
                       f"{texts['col_avg_handle']} (s)", f"{texts['col_after_allowed']} (h)"]
        sheet(texts["caller_class"], class_heads,
              [[texts.get(f"class_{c}", c), t.calls, t.agent_share, t.average_handle_seconds,
                t.after_allowed_seconds / 3600] for c, t in report.classes.items()],
              [None, "count", "share", "seconds", "hours"])
        sheet(texts["xlsx_days"], [texts["axis_day"], texts["col_calls"], texts["agent_ended"],
                                   texts["customer_ended"], texts["col_agent_share"], f"{texts['col_avg_handle']} (s)",
                                   f"{texts['col_after_allowed']} (h)", texts["col_early"]],
              [[d.isoformat(), t.calls, t.agent_ended, t.customer_ended, t.agent_share, t.average_handle_seconds,
                t.after_allowed_seconds / 3600, t.agent_early] for d, t in report.days],
              [None, "count", "count", "count", "share", "seconds", "hours", "count"])
        sheet(texts["chart_explanations"], [texts["axis_explanations"], texts["col_calls"]],
              [[k, n] for k, n in histogram(report.explanations, EXPLANATION_BUCKETS)], [None, "count"])
        # per agent, per week: the agent share (the trend); calls by weekday and hour
        mondays = sorted({w for series in report.agent_weeks.values() for w, _ in series})
        if mondays:
            sheet(texts["agent_trend"], [texts["col_agent"]] + [m.isoformat() for m in mondays],
                  [[agent] + [dict(weeks).get(m, Tally()).agent_share for m in mondays]
                   for agent, weeks in sorted(report.agent_weeks.items())], [None] + ["share"] * len(mondays))
        if hours:
            hour_list = sorted({h for _, h in hours})
            days = texts["weekdays"].split()
            sheet(texts["tab_hours"], [texts["weekday"]] + [f"{h:02d}:00" for h in hour_list],
                  [[days[w]] + [hours.get((w, h), (0, 0, 0))[0] for h in hour_list] for w in range(7)],
                  [None] + ["count"] * len(hour_list))
        if report.what_if:
            sheet(texts["tab_what_if"], [texts["col_scenario"], texts["col_touched"], f"{texts['col_released']} (h)",
                                         f"{texts['col_change']} (h)"],
                  [[scenario_label(w.scenario, texts, explanations_now, grace_now), w.calls_touched,
                    w.after_allowed_seconds / 3600, w.released_change_minutes / 60] for w in report.what_if],
                  [None, "count", "hours", "hours"], {0: 28})
        for table in more:
            add(table)
    finally:
        book.close()
    return Path(path)
