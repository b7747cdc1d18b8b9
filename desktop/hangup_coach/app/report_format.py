"""The review report as data (json/csv) and as text (table/md), shared by the CLI and the dashboard.

No Qt here: `hangup-coach report` without `--png` never loads it.
"""

from __future__ import annotations

import csv
import io
import json
import tomllib
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from ..core.stats import Difference, Scenario, Tally, WhatIf, histogram
from ..core.targets import Target, median, metric
from ..store.reports import EXPLANATION_BUCKETS, WARNING_BUCKETS, Report
from .resources import resource_path

FORMATS = ("table", "csv", "json", "md")
UNITS = {"share": "%", "points": "pp", "seconds": "s", "hours": "h"}   # of a figure's kind, in heads


def load_texts(language: str, scale: tuple[float, float] = (1.0, 5.0)) -> dict[str, str]:
    """The dashboard's texts (`resources/translations/dashboard-<lang>.toml`), English filling gaps;
    `scale` is the centre's satisfaction scale the texts name ("score 1–5")."""
    texts: dict[str, str] = {}
    for lang in ("en", language):
        path = resource_path("translations", f"dashboard-{lang}.toml")
        texts.update(tomllib.loads(path.read_text(encoding="utf-8")).get("dashboard", {}))
    low, high = (f"{v:g}" for v in scale)
    texts["score_scale"] = texts["score_scale"].format(low=low, high=high)
    texts["score_value"] = texts["score_value"].replace("{high}", high)
    return texts


# ----- values ----------------------------------------------------------------------------------------
def percent(value: float | None, digits: int = 1) -> str:
    return "—" if value is None else f"{value * 100:.{digits}f} %"


def duration(seconds: float | None, texts: dict | None = None) -> str:
    """With its unit: "2 min 35 s", "1 h 02 min" past an hour (texts: the language's units)."""
    if seconds is None:
        return "—"
    units = texts or _UNITS
    s = int(round(seconds))
    if s >= 3600:
        return units["unit_h_min"].format(h=f"{s // 3600:,}", m=f"{s // 60 % 60:02d}")
    return units["unit_min_s"].format(m=s // 60, s=f"{s % 60:02d}") if s >= 60 else units["unit_s"].format(s=s)


def hours(seconds: float | None, texts: dict | None = None) -> str:
    """A long total in hours: "7,484.8 h" (never "449,090.6 min"); under an hour, minutes and seconds."""
    if seconds is None or seconds < 3600:
        return duration(seconds, texts)
    return (texts or _UNITS)["unit_h"].format(h=f"{seconds / 3600:,.1f}")


_UNITS = {"unit_h_min": "{h} h {m} min", "unit_min_s": "{m} min {s} s", "unit_s": "{s} s", "unit_h": "{h} h"}


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
        "week_on_week": {k: tally_dict(t) for k, t in zip(("before", "now"), report.periods.get("week", ()))},
        "month_on_month": {k: tally_dict(t) for k, t in zip(("before", "now"), report.periods.get("month", ()))},
        "agent_weeks": {a: [{"week": m.isoformat(), "calls": t.calls, "agent_ended": t.agent_ended,
                              "customer_ended": t.customer_ended, "agent_share": _round(t.agent_share, 4)}
                             for m, t in weeks] for a, weeks in report.agent_weeks.items()},
    }


def render(report: Report, fmt: str, texts: dict, explanations_now: int = 3, grace_now: float = 2.0,
           targets: dict[str, Target] | None = None, hours: dict | None = None) -> str:
    if fmt == "json":
        return json.dumps(as_data(report), ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        return _csv(as_data(report))
    return _text(report, texts, markdown=fmt == "md", explanations_now=explanations_now, grace_now=grace_now,
                 targets=targets or {}, hours=hours)


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
    for section in ("week_on_week", "month_on_month"):
        for key, values in data[section].items():
            emit(section, key, values)
    for agent, weeks in data["agent_weeks"].items():
        for row in weeks:
            emit("agent_weeks", f"{agent} {row['week']}", {k: v for k, v in row.items() if k != "week"})
    return out.getvalue()


def change_words(change: float | None, texts: dict, digits: int = 1, scale: float = 1.0, unit: str = "") -> str:
    """A signed change with its direction in words: "+2.3 points (up)", "−0.12 (down)", "no change"."""
    if change is None:
        return "—"
    shown = round(change * scale, digits)
    if shown == 0:
        return texts["no_change"]
    word = texts["up" if shown > 0 else "down"]
    return f"{shown:+,.{digits}f}{unit} ({word})".replace("-", "−")


def summary_lines(report: Report, texts: dict) -> list[str]:
    t, sat, rate = report.total, report.satisfaction(), report.complaint_rate()

    def sig(d: Difference) -> str:
        return "" if d.significant is None else texts["significant" if d.significant else "not_significant"]

    no_value = report.classes.get("no_value", Tally())
    per_call = no_value.warnings / no_value.answered if no_value.answered else None
    lines = [
        texts["summary_share"].format(share=percent(t.agent_share), baseline=percent(report.baseline_agent_share, 0),
                                      before=percent(report.before.agent_share), after=percent(report.after.agent_share)),
        texts["summary_handle"].format(calls=f"{t.calls:,}", answered=f"{t.answered:,}",
                                       handle=duration(t.average_handle_seconds, texts)),
        texts["summary_released"].format(hours=hours(t.after_allowed_seconds, texts)),
        texts["summary_no_value"].format(warnings=number(per_call, 2),
                                         to_end=duration(report.no_value_seconds_to_end, texts),
                                         after=duration(report.no_value_seconds_after_allowed, texts)),
        texts["summary_satisfaction"].format(before=number(sat.before, 2), after=number(sat.after, 2),
                                             scale=texts["score_scale"], change=change_words(sat.change, texts, 2),
                                             significance=sig(sat)),
        texts["summary_complaints"].format(before=number(rate.before and rate.before * 1000, 2),
                                           after=number(rate.after and rate.after * 1000, 2),
                                           change=change_words(rate.change, texts, 2, 1000), significance=sig(rate)),
    ]
    if not t.calls:
        lines.insert(0, texts["no_calls_yet"])
    return lines


def significant_lines(report: Report) -> tuple[bool, ...]:
    """Which of summary_lines() tell a change significant at 95 % (the lines to highlight)."""
    flags = (False, False, False, False, bool(report.satisfaction().significant),
             bool(report.complaint_rate().significant))
    return flags if report.total.calls else (False, *flags)


# ----- the per-agent table: raw values, formatted on the way out ---------------------------------------
@dataclass(frozen=True)
class Column:
    key: str
    head: str
    kind: str            # text, rank, count, share, points, seconds, hours
    target: Target | None = None

    @property
    def unit(self) -> str:
        return UNITS.get(self.kind, "")


@dataclass(frozen=True)
class AgentTable:
    columns: list[Column]
    rows: list[list]                  # raw values (None: no value), ranked by agent share
    medians: dict[str, float | None]  # the team's median of each figure


def agent_table(report: Report, texts: dict, targets: dict[str, Target] | None = None) -> AgentTable:
    """The per-agent table: every agent of the range, ranked by agent share (highest first)."""
    targets = targets or {}
    columns = [Column("agent", texts["col_agent"], "text"), Column("rank", texts["col_rank"], "rank"),
               Column("calls", texts["col_calls"], "count"),
               Column("agent_share", texts["col_agent_share"], "share", targets.get("agent_share")),
               Column("vs_baseline", texts["col_vs_baseline"], "points"),
               Column("average_handle_seconds", texts["col_avg_handle"], "seconds",
                      targets.get("average_handle_seconds")),
               Column("after_allowed_seconds", texts["col_after_allowed_per_call"], "seconds",
                      targets.get("after_allowed_seconds")),
               Column("after_allowed_total", texts["col_after_allowed"], "hours"),
               Column("early_share", texts["col_early_share"], "share", targets.get("early_share")),
               Column("left_in_grace", texts["left_in_grace"], "count"),
               Column("agent_after_prompt", texts["agent_after_prompt"], "count"),
               Column("agent_in_wait", texts["agent_in_wait"], "count"),
               Column("agent_before_closure", texts["agent_before_closure"], "count"),
               Column("agent_early", texts["col_early"], "count")]
    rows = []
    for agent, t in report.agents.items():
        g = report.regular_by_agent.get(agent, Tally())
        versus = None if t.agent_share is None else t.agent_share - report.baseline_agent_share
        rows.append([agent, None, t.calls, t.agent_share, versus, t.average_handle_seconds,
                     metric("after_allowed_seconds", t), t.after_allowed_seconds / 3600, metric("early_share", t),
                     g.left_in_grace, g.agent_after_prompt, g.agent_in_wait, g.agent_before_closure, t.agent_early])
    rows.sort(key=lambda r: (r[3] is None, -(r[3] or 0), r[0]))
    for rank, row in enumerate(rows, start=1):
        row[1] = rank
    medians = {c.key: median([r[i] for r in rows]) for i, c in enumerate(columns) if c.kind not in ("text", "rank")}
    return AgentTable(columns, rows, medians)


def cell(value, kind: str, texts: dict) -> str:
    """One figure as the window and the text report show it."""
    if value is None:
        return "—"
    if kind in ("text", "rank"):
        return str(value)
    if kind == "count":
        return f"{int(value):,}"
    if kind == "share":
        return percent(value)
    if kind == "points":
        return f"{value * 100:+.1f}".replace("-", "−")
    if kind == "seconds":
        return duration(value, texts)
    return hours(value * 3600, texts)


def target_text(target: Target | None, kind: str, texts: dict) -> str:
    if target is None:
        return ""
    return texts["target_" + target.better].format(value=cell(target.green, kind, texts))


def agent_rows(report: Report, texts: dict, targets: dict[str, Target] | None = None):
    """The per-agent table as text (text report): heads and rows."""
    table = agent_table(report, texts, targets)
    return ([c.head for c in table.columns],
            [[cell(v, c.kind, texts) for v, c in zip(row, table.columns)] for row in table.rows])


def agent_csv_rows(table: AgentTable) -> tuple[list[str], list[list]]:
    """Raw numbers for a spreadsheet, the unit in each head ("agent share (%)"); shares as percent."""
    return csv_rows([c.head for c in table.columns], [c.kind for c in table.columns], table.rows)


def csv_rows(heads: list[str], kinds: list[str], rows: list[list]) -> tuple[list[str], list[list]]:
    """Any table of figures as raw numbers for a spreadsheet: the unit in each head, shares and
    points as percent, times rounded to hundredths, no value an empty cell."""
    def raw(v, kind):
        if v is None:
            return ""
        if kind in ("share", "points"):
            return round(v * 100, 2)
        if kind in ("seconds", "hours"):
            return round(v, 2)
        return v
    return ([f"{h} ({UNITS[k]})" if k in UNITS else h for h, k in zip(heads, kinds)],
            [[raw(v, k) for v, k in zip(row, kinds)] for row in rows])


def write_csv(path: Path, heads: list[str], rows: list[list]) -> Path:
    """A table as a CSV file Excel opens as UTF-8 (with a BOM)."""
    with open(path, "w", newline="", encoding="utf-8-sig") as f:
        writer = csv.writer(f)
        writer.writerow(heads)
        writer.writerows(rows)
    return Path(path)


# ----- the summary a lead acts on: a few figures, each with its trend and flag --------------------------
@dataclass(frozen=True)
class Figure:
    key: str
    title: str
    value: str
    flag: str | None       # green / amber / red against the centre's target, None without one
    target: str            # "target ≥ 35.0 %"
    trend: str             # "vs the previous 7 days: +2.3 pp (up)"
    improved: bool | None  # the change went the target's way (None: no change, no target)
    significant: bool = False
    raw: float | None = None   # the value as a number (shares as 0–1, times in seconds)


# the figures of the summary: their change over the last days (key, kind), then since the policy (key: scale)
RECENT_FIGURES = (("agent_share", "share"), ("average_handle_seconds", "seconds"),
                  ("after_allowed_seconds", "seconds"), ("early_share", "share"))
SURVEY_FIGURES = {"satisfaction": 1, "complaints_per_1000": 1000}


def _change_scale(kind: str, texts: dict) -> tuple[float, int, str]:
    """(scale, digits, unit) of a recent figure's change: shares in points, times in seconds."""
    return (100, 1, texts["unit_pp"]) if kind == "share" else (1, 0, texts["unit_s_change"])


def trend_room(key: str, texts: dict) -> str:
    """The longest trend the figure's tile may show (a large fall, the longer significance note):
    the tile keeps room for it before the figures come, so nothing moves when they do."""
    kinds = dict(RECENT_FIGURES)
    if key in kinds:
        scale, digits, unit = _change_scale(kinds[key], texts)
        change = -0.999 if kinds[key] == "share" else -9999 / scale
        return f"{texts['trend_days'].format(days=7)}: {change_words(change, texts, digits, scale, unit)}"
    note = max(texts["significant"], texts["not_significant"], key=len)
    return f"{texts['trend_policy']}: {change_words(-999.99 / SURVEY_FIGURES[key], texts, 2, SURVEY_FIGURES[key])}{note}"


def figures(report: Report, texts: dict, targets: dict[str, Target]) -> list[Figure]:
    t = report.total
    earlier, later, days = recent_halves(report.days)
    since = texts["trend_days"].format(days=days)
    out = []
    for key, kind in RECENT_FIGURES:
        target, value = targets.get(key), metric(key, t)
        before, after = metric(key, earlier), metric(key, later)
        change = None if before is None or after is None else after - before
        scale, digits, unit = _change_scale(kind, texts)
        out.append(Figure(key, texts[f"figure_{key}"], cell(value, kind, texts),
                          target.flag(value) if target else None, target_text(target, kind, texts),
                          f"{since}: {change_words(change, texts, digits, scale, unit)}",
                          _improved(target, change, digits, scale), raw=value))
    policy = texts["trend_policy"]
    for key, difference in (("satisfaction", report.satisfaction()), ("complaints_per_1000", report.complaint_rate())):
        scale, digits = SURVEY_FIGURES[key], 2
        target = targets.get(key)
        value = None if difference.after is None else difference.after * scale
        if value is None and difference.before is not None:
            value = difference.before * scale
        shown = (texts["score_value"].format(score=number(value, 2)) if key == "satisfaction" and value is not None
                 else number(value, 2))
        note = ("" if difference.significant is None
                else texts["significant" if difference.significant else "not_significant"])
        out.append(Figure(key, texts[f"figure_{key}"], shown, target.flag(value) if target else None,
                          texts["target_" + target.better].format(value=number(target.green, 2)) if target else "",
                          f"{policy}: {change_words(difference.change, texts, digits, scale)}{note}",
                          _improved(target, difference.change, digits, scale), bool(difference.significant), value))
    return out


def _improved(target: Target | None, change: float | None, digits: int, scale: float) -> bool | None:
    """Did the figure move the target's way? None when it did not move as shown (or no target)."""
    if target is None or change is None or round(change * scale, digits) == 0:
        return None
    return target.improved(change)


def figure_line(f: Figure, texts: dict) -> str:
    """A figure as one line of the text report: "Satisfaction: 4.10 / 5 [on target, target ≥ 4.20] …"."""
    flag = f"[{texts[f'flag_{f.flag}']}, {f.target}]" if f.flag else ""
    trend = f"**{f.trend}**" if f.significant else f.trend
    return " ".join(part for part in (f"{f.title}: {f.value}", flag, f"— {trend}") if part)


def recent_halves(days: list[tuple[date, Tally]]) -> tuple[Tally, Tally, int]:
    """The last 7 days of the range against the 7 before (week on week); a range shorter than
    two weeks is cut in two halves. Returns (earlier, later, days in each)."""
    n = 7 if len(days) >= 14 else len(days) // 2
    earlier, later = Tally(), Tally()
    for _, t in days[len(days) - 2 * n:len(days) - n]:
        earlier += t
    for _, t in days[len(days) - n:] if n else []:
        later += t
    return earlier, later, n


# ----- trends: week on week, month on month, per agent; hours of the week ------------------------------
PERIOD_FIGURES = (("calls", "count"), ("agent_share", "share"), ("average_handle_seconds", "seconds"),
                  ("after_allowed_seconds", "seconds"), ("early_share", "share"))


def _figure(key: str, t: Tally):
    return t.calls if key == "calls" else metric(key, t)


def period_rows(report: Report, texts: dict) -> tuple[list[str], list[list[str]]]:
    """Week on week and month on month for the figures of the calls: before, now, change in words."""
    heads = [texts["xlsx_figure"]]
    for name in ("week", "month"):
        heads += [texts[f"period_{name}_before"], texts[f"period_{name}_now"], texts[f"period_{name}_change"]]
    rows = []
    for key, kind in PERIOD_FIGURES:
        row = [texts[f"figure_{key}"]]
        for name in ("week", "month"):
            before, now = (_figure(key, t) for t in report.periods.get(name, (Tally(), Tally())))
            change = None if before is None or now is None else now - before
            scale, digits, unit = {"share": (100, 1, texts["unit_pp"]), "seconds": (1, 0, texts["unit_s_change"]),
                                   "count": (1, 0, "")}[kind]
            row += [cell(before, kind, texts), cell(now, kind, texts), change_words(change, texts, digits, scale, unit)]
        rows.append(row)
    return heads, rows


def agent_week_rows(report: Report, texts: dict, weeks: int = 8) -> tuple[list[str], list[list[str]]]:
    """Each agent's share of hang-ups in the last `weeks` weeks of the range (the per-agent trend)."""
    mondays = sorted({w for series in report.agent_weeks.values() for w, _ in series})[-weeks:]
    heads = [texts["col_agent"]] + [texts["week_of"].format(day=m.strftime("%m-%d")) for m in mondays] + [
        texts["col_trend"]]
    rows = []
    for agent in sorted(report.agent_weeks):
        by_week = dict(report.agent_weeks[agent])
        shares = [by_week.get(m, Tally()).agent_share for m in mondays]
        known = [v for v in shares if v is not None]
        change = known[-1] - known[-2] if len(known) >= 2 else None
        rows.append([agent] + [percent(v) for v in shares] + [change_words(change, texts, 1, 100, texts["unit_pp"])])
    return heads, rows


def hour_rows(grid: dict, texts: dict) -> tuple[list[str], list[list[str]]]:
    """Calls by weekday (rows) and hour of the day (columns), hours with no call left out."""
    hours = sorted({h for _, h in grid})
    heads = [texts["weekday"]] + [f"{h:02d}" for h in hours]
    days = texts["weekdays"].split()
    return heads, [[days[w]] + [f"{grid.get((w, h), (0, 0, 0))[0]:,}" for h in hours] for w in range(7)]


def class_rows(report: Report, texts: dict) -> tuple[list[str], list[list[str]]]:
    heads = [texts["caller_class"], texts["col_calls"], texts["col_agent_share"], texts["col_avg_handle"],
             texts["col_after_allowed"]]
    rows = [[texts.get(f"class_{c}", c), f"{t.calls:,}", percent(t.agent_share),
             duration(t.average_handle_seconds, texts), hours(t.after_allowed_seconds, texts)]
            for c, t in report.classes.items()]
    return heads, rows


def what_if_rows(report: Report, texts: dict, explanations_now: int, grace_now: float):
    heads = [texts["col_scenario"], texts["col_touched"], texts["col_released"], texts["col_change"]]
    rows = [[scenario_label(w.scenario, texts, explanations_now, grace_now), f"{w.calls_touched:,}",
             hours(w.after_allowed_seconds, texts),
             change_words(w.released_change_minutes / 60, texts, 1, 1, texts["unit_h_change"])] for w in report.what_if]
    return heads, rows


def _text(report: Report, texts: dict, markdown: bool, explanations_now: int, grace_now: float,
          targets: dict[str, Target], hours: dict | None = None) -> str:
    q = report.query
    lines = [("# " if markdown else "") + f"{texts['title']}: {q.first.isoformat()} – {q.last.isoformat()}"]
    if q.agents:
        lines.append(f"{texts['agent']}: {', '.join(q.agents)}")
    lines.append("")
    lines += [("- " if markdown else "") + (f"**{line}**" if markdown and strong else line)
              for line, strong in zip(summary_lines(report, texts), significant_lines(report))]
    lines.append("")
    lines += [("- " if markdown else "") + figure_line(f, texts) for f in figures(report, texts, targets)]
    sections = [(texts["caller_class"], class_rows(report, texts)),
                (texts["tab_agents"], agent_rows(report, texts, targets))]
    bars = histogram(report.explanations, EXPLANATION_BUCKETS)
    sections.append((texts["chart_explanations"], ([texts["axis_explanations"], texts["col_calls"]],
                                                   [[k, f"{n:,}"] for k, n in bars])))
    if report.periods:
        sections.append((texts["tab_trends"], period_rows(report, texts)))
    if report.agent_weeks:
        sections.append((texts["agent_trend"], agent_week_rows(report, texts)))
    if hours:
        sections.append((texts["tab_hours"], hour_rows(hours, texts)))
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


def scheduled_range(today: date, every: str) -> tuple[date, date]:
    """The last whole period before today: yesterday, or last Monday–Sunday."""
    if every == "day":
        return today - timedelta(days=1), today - timedelta(days=1)
    last_sunday = today - timedelta(days=today.weekday() + 1)
    return last_sunday - timedelta(days=6), last_sunday


def default_range(today: date, days: int = 30) -> tuple[date, date]:
    """The last `days` days up to today (the one-month review)."""
    return today - timedelta(days=days - 1), today
