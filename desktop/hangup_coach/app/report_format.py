"""The review report as data (json/csv) and as text (table/md), shared by the CLI and the dashboard.

No Qt here: `hangup-coach report` without `--png` never loads it.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from datetime import date, timedelta

from ..core.stats import Difference, Scenario, Tally, WhatIf, histogram
from ..store.reports import EXPLANATION_BUCKETS, WARNING_BUCKETS, Report
from .resources import resource_path

FORMATS = ("table", "csv", "json", "md")


def load_texts(language: str) -> dict[str, str]:
    """The dashboard's texts (`resources/translations/dashboard-<lang>.toml`), English filling gaps."""
    texts: dict[str, str] = {}
    for lang in ("en", language):
        path = resource_path("translations", f"dashboard-{lang}.toml")
        texts.update(tomllib.loads(path.read_text(encoding="utf-8")).get("dashboard", {}))
    return texts


# ----- values ----------------------------------------------------------------------------------------
def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def duration(seconds: float | None) -> str:
    """2:35 (minutes:seconds), or 1:02:05 past an hour."""
    if seconds is None:
        return "—"
    s = int(round(seconds))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def number(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def signed(value: float | None, digits: int = 1, scale: float = 1.0) -> str:
    return "—" if value is None else f"{value * scale:+,.{digits}f}"


def scenario_label(s: Scenario, texts: dict, explanations_now: int, grace_now: float) -> str:
    if s.explanations is not None:
        return texts["scenario_explanations"].format(n=s.explanations, now=explanations_now)
    return texts["scenario_grace"].format(s=f"{s.grace_seconds:g}", now=f"{grace_now:g}")


# ----- the report as plain data ----------------------------------------------------------------------
def tally_dict(t: Tally) -> dict:
    return {
        "calls": t.calls, "answered": t.answered, "agent_ended": t.agent_ended, "customer_ended": t.customer_ended,
        "other_ended": t.other_ended, "agent_share": _round(t.agent_share, 4),
        "average_handle_seconds": _round(t.average_handle_seconds, 1),
        "allowed": t.allowed, "after_allowed_minutes": round(t.after_allowed_minutes, 1),
        "left_in_grace": t.left_in_grace, "agent_after_prompt": t.agent_after_prompt,
        "agent_in_wait": t.agent_in_wait, "agent_before_closure": t.agent_before_closure,
        "agent_early": t.agent_early, "explanations": t.explanations, "warnings": t.warnings,
    }


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _difference(d: Difference, digits: int = 4) -> dict:
    return {"before": _round(d.before, digits), "after": _round(d.after, digits), "change": _round(d.change, digits),
            "low95": _round(d.low, digits), "high95": _round(d.high, digits), "significant": d.significant}


def what_if_dict(w: WhatIf) -> dict:
    return {"scenario": w.scenario.key, "calls_touched": w.calls_touched,
            "after_allowed_minutes": round(w.after_allowed_seconds / 60, 1),
            "current_minutes": round(w.current_seconds / 60, 1),
            "released_change_minutes": round(w.released_change_minutes, 1)}


def as_data(report: Report) -> dict:
    q = report.query
    return {
        "range": {"first": q.first.isoformat(), "last": q.last.isoformat(), "agents": list(q.agents),
                  "classes": list(q.classes), "utc_offset_minutes": q.utc_offset_minutes},
        "policy": {"start": report.policy_start.isoformat() if report.policy_start else None,
                   "baseline_agent_share": report.baseline_agent_share},
        "total": tally_dict(report.total),
        "before_policy": tally_dict(report.before), "since_policy": tally_dict(report.after),
        "classes": {c: tally_dict(t) for c, t in report.classes.items()},
        "agents": {a: tally_dict(t) for a, t in report.agents.items()},
        "regular_by_agent": {a: tally_dict(t) for a, t in report.regular_by_agent.items()},
        "days": [{"day": d.isoformat(), **tally_dict(t)} for d, t in report.days],
        "explanations_per_non_regular_call": dict(histogram(report.explanations, EXPLANATION_BUCKETS)),
        "warnings_per_no_value_call": dict(histogram(report.warnings, WARNING_BUCKETS)),
        "no_value": {"seconds_to_end": _round(report.no_value_seconds_to_end, 1),
                     "seconds_after_allowed": _round(report.no_value_seconds_after_allowed, 1)},
        "satisfaction": {**_difference(report.satisfaction()), "n_before": report.feedback.scores_before.n,
                         "n_after": report.feedback.scores_after.n},
        "complaints_per_answered_call": {**_difference(report.complaint_rate(), 6),
                                         "complaints_before": report.feedback.complaints_before,
                                         "complaints_after": report.feedback.complaints_after},
        "what_if": [what_if_dict(w) for w in report.what_if],
    }


def render(report: Report, fmt: str, texts: dict, explanations_now: int = 3, grace_now: float = 2.0) -> str:
    if fmt == "json":
        return json.dumps(as_data(report), ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        return _csv(as_data(report))
    return _text(report, texts, markdown=fmt == "md", explanations_now=explanations_now, grace_now=grace_now)


def _csv(data: dict) -> str:
    """Long format, one figure a row: section, key, metric, value (opens in any spreadsheet)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "metric", "value"])

    def emit(section: str, key: str, values: dict) -> None:
        for metric, value in values.items():
            writer.writerow([section, key, metric, "" if value is None else value])

    for section in ("range", "policy", "no_value", "satisfaction", "complaints_per_answered_call"):
        emit(section, "", {k: (";".join(v) if isinstance(v, list) else v) for k, v in data[section].items()})
    for section in ("total", "before_policy", "since_policy"):
        emit(section, "", data[section])
    for section in ("classes", "agents", "regular_by_agent"):
        for key, values in data[section].items():
            emit(section, key, values)
    for row in data["days"]:
        emit("days", row["day"], {k: v for k, v in row.items() if k != "day"})
    for section in ("explanations_per_non_regular_call", "warnings_per_no_value_call"):
        for key, n in data[section].items():
            writer.writerow([section, key, "calls", n])
    for row in data["what_if"]:
        emit("what_if", row["scenario"], {k: v for k, v in row.items() if k != "scenario"})
    return out.getvalue()


def summary_lines(report: Report, texts: dict) -> list[str]:
    t, sat, rate = report.total, report.satisfaction(), report.complaint_rate()

    def sig(d: Difference) -> str:
        return "" if d.significant is None else texts["significant" if d.significant else "not_significant"]

    no_value = report.classes.get("no_value", Tally())
    per_call = no_value.warnings / no_value.answered if no_value.answered else None
    return [
        texts["summary_share"].format(share=percent(t.agent_share), baseline=percent(report.baseline_agent_share, 0),
                                      before=percent(report.before.agent_share), after=percent(report.after.agent_share)),
        texts["summary_handle"].format(calls=f"{t.calls:,}", answered=f"{t.answered:,}",
                                       handle=duration(t.average_handle_seconds)),
        texts["summary_released"].format(minutes=number(t.after_allowed_minutes)),
        texts["summary_no_value"].format(warnings=number(per_call, 2), to_end=duration(report.no_value_seconds_to_end),
                                         after=duration(report.no_value_seconds_after_allowed)),
        texts["summary_satisfaction"].format(before=number(sat.before, 2), after=number(sat.after, 2),
                                             change=signed(sat.change, 2), significance=sig(sat)),
        texts["summary_complaints"].format(before=number(rate.before and rate.before * 1000, 2),
                                           after=number(rate.after and rate.after * 1000, 2),
                                           change=signed(rate.change, 2, 1000), significance=sig(rate)),
    ]


def agent_rows(report: Report, texts: dict) -> tuple[list[str], list[list[str]]]:
    """The per-agent table (dashboard and text report): heads and rows."""
    heads = [texts["col_agent"], texts["col_calls"], texts["col_agent_share"], texts["col_vs_baseline"],
             texts["col_avg_handle"], texts["col_after_allowed"], texts["left_in_grace"], texts["agent_after_prompt"],
             texts["agent_in_wait"], texts["agent_before_closure"], texts["col_early"]]
    rows = []
    for agent, t in report.agents.items():
        g = report.regular_by_agent.get(agent, Tally())
        versus = None if t.agent_share is None else t.agent_share - report.baseline_agent_share
        rows.append([agent, f"{t.calls:,}", percent(t.agent_share), signed(versus, 1, 100),
                     duration(t.average_handle_seconds),
                     number(t.after_allowed_minutes), f"{g.left_in_grace:,}", f"{g.agent_after_prompt:,}",
                     f"{g.agent_in_wait:,}", f"{g.agent_before_closure:,}", f"{t.agent_early:,}"])
    return heads, rows


def class_rows(report: Report, texts: dict) -> tuple[list[str], list[list[str]]]:
    heads = [texts["caller_class"], texts["col_calls"], texts["col_agent_share"], texts["col_avg_handle"],
             texts["col_after_allowed"]]
    rows = [[texts.get(f"class_{c}", c), f"{t.calls:,}", percent(t.agent_share), duration(t.average_handle_seconds),
             number(t.after_allowed_minutes)] for c, t in report.classes.items()]
    return heads, rows


def what_if_rows(report: Report, texts: dict, explanations_now: int, grace_now: float):
    heads = [texts["col_scenario"], texts["col_touched"], texts["col_released"], texts["col_change"]]
    rows = [[scenario_label(w.scenario, texts, explanations_now, grace_now), f"{w.calls_touched:,}",
             number(w.after_allowed_seconds / 60), signed(w.released_change_minutes)] for w in report.what_if]
    return heads, rows


def _text(report: Report, texts: dict, markdown: bool, explanations_now: int, grace_now: float) -> str:
    q = report.query
    lines = [("# " if markdown else "") + f"{texts['title']}: {q.first.isoformat()} – {q.last.isoformat()}"]
    if q.agents:
        lines.append(f"{texts['agent']}: {', '.join(q.agents)}")
    lines.append("")
    lines += [("- " if markdown else "") + line for line in summary_lines(report, texts)]
    sections = [(texts["caller_class"], class_rows(report, texts)), (texts["tab_agents"], agent_rows(report, texts))]
    bars = histogram(report.explanations, EXPLANATION_BUCKETS)
    sections.append((texts["chart_explanations"], ([texts["axis_explanations"], texts["col_calls"]],
                                                   [[k, f"{n:,}"] for k, n in bars])))
    if report.what_if:
        sections.append((texts["tab_what_if"], what_if_rows(report, texts, explanations_now, grace_now)))
    for title, (heads, rows) in sections:
        lines += ["", ("## " if markdown else "") + title]
        lines += _markdown_table(heads, rows) if markdown else _plain_table(heads, rows)
    if report.what_if:
        lines += ["", texts["what_if_note"]]
    return "\n".join(lines) + "\n"


def _markdown_table(heads: list[str], rows: list[list[str]]) -> list[str]:
    out = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    return out + ["| " + " | ".join(cell.replace("|", "/") for cell in row) + " |" for row in rows]


def _width(text: str) -> int:
    """Terminal columns: CJK characters take two."""
    return sum(2 if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" else 1 for ch in text)


def _plain_table(heads: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(_width(c) for c in col) for col in zip(heads, *rows)]

    def line(cells):
        return "  ".join(c + " " * (w - _width(c)) for c, w in zip(cells, widths)).rstrip()
    return [line(heads)] + [line(r) for r in rows]


def default_range(today: date, days: int = 30) -> tuple[date, date]:
    """The last `days` days up to today (the one-month review)."""
    return today - timedelta(days=days - 1), today
