"""The review figures, added up in SQL: a year of calls comes back as a few hundred tallies.

The figures are read from tallies kept as calls are written (store/tallies.py): `report_cells`
holds one `core.stats.Tally` per (local day, agent, class) of `review_calls` (the file's own
`calls` and, on a lead's card, the team's calls the sync pulled into `team_calls`).

`build_report()` then groups the cells in SQL by day, agent and class for a date range and
optional agent / class filters, and runs a few small queries straight on `review_calls` (what-if,
feedback's call filter) and one on `feedback`. Every per-agent figure groups by `agent_id`,
because a lead's file holds the whole team's calls. Days are the centre's
local days: the caller passes the UTC offset. Times are compared as stored text (UTC
ISO-8601, one format), which keeps the indexes usable.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta, timezone
from typing import TYPE_CHECKING

from ..core import stats
from ..core.policy import Policy
from ..core.stats import Sample, Scenario, Tally, WhatIf
from .tallies import keep_tallies

if TYPE_CHECKING:
    from .database import Database

CLASSES = ("regular", "no_value", "non_regular", "unknown")
EXPLANATION_BUCKETS = 6    # 0…5 and "6+"
WARNING_BUCKETS = 3        # 0…2 and "3+"


@dataclass(frozen=True)
class ReportQuery:
    first: date                          # local days, both inclusive
    last: date
    agents: tuple[str, ...] = ()         # empty: every agent in the file
    classes: tuple[str, ...] = ()        # empty: every class
    utc_offset_minutes: int = 0          # the centre's local time (China: +480)

    def bounds(self) -> tuple[str, str]:
        """The range as stored UTC ISO text: [first 00:00 local, last+1 00:00 local)."""
        tz = timezone(timedelta(minutes=self.utc_offset_minutes))
        start = datetime.combine(self.first, time(), tz).astimezone(timezone.utc)
        end = datetime.combine(self.last + timedelta(days=1), time(), tz).astimezone(timezone.utc)
        return start.isoformat(timespec="milliseconds"), end.isoformat(timespec="milliseconds")

    def where(self, alias: str = "") -> tuple[str, list]:
        col = f"{alias}." if alias else ""
        start, end = self.bounds()
        sql, params = f"{col}started_at >= ? AND {col}started_at < ?", [start, end]
        if self.agents:
            sql += f" AND {col}agent_id IN ({', '.join('?' * len(self.agents))})"
            params += list(self.agents)
        if self.classes:
            sql += f" AND {col}caller_class IN ({', '.join('?' * len(self.classes))})"
            params += list(self.classes)
        return sql, params

    @property
    def day_modifier(self) -> str:
        return f"{self.utc_offset_minutes:+d} minutes"


@dataclass(frozen=True)
class Feedback:
    """Imported satisfaction scores and complaints, before and from the policy's start."""

    scores_before: Sample = Sample()
    scores_after: Sample = Sample()
    complaints_before: int = 0
    complaints_after: int = 0


@dataclass(frozen=True)
class Report:
    query: ReportQuery
    policy_start: date | None
    baseline_agent_share: float
    days: list[tuple[date, Tally]]       # every day of the range, empty days included
    agents: dict[str, Tally]
    classes: dict[str, Tally]
    regular_by_agent: dict[str, Tally]   # the grace-window outcomes, per agent
    before: Tally                        # before the policy's start (all of it without a start)
    after: Tally                         # from the policy's start
    explanations: dict[int, int]         # non-regular answered calls by explanations given
    warnings: dict[int, int]             # no-value answered calls by warnings given
    feedback: Feedback
    what_if: list[WhatIf] = field(default_factory=list)
    # week on week, month on month: {"week": (the 7 days before, the last 7 days of the range),
    # "month": (the 30 days before, the last 30 days)}, with the range's filters
    periods: dict[str, tuple[Tally, Tally]] = field(default_factory=dict)
    agent_weeks: dict[str, list[tuple[date, Tally]]] = field(default_factory=dict)   # per agent, per Monday

    @property
    def total(self) -> Tally:
        return self.before + self.after

    @property
    def no_value_seconds_to_end(self) -> float | None:
        """No-value calls: average seconds from answer to end."""
        return self.classes.get("no_value", Tally()).average_handle_seconds

    @property
    def no_value_seconds_after_allowed(self) -> float | None:
        """No-value calls the policy allowed to end (after the warning): average seconds they went on."""
        t = self.classes.get("no_value", Tally())
        return stats.ratio(t.after_allowed_seconds, t.allowed)

    def satisfaction(self) -> stats.Difference:
        return stats.compare_means(self.feedback.scores_before, self.feedback.scores_after)

    def complaint_rate(self) -> stats.Difference:
        """Complaints per answered call, before vs from the policy's start."""
        return stats.compare_rates(self.feedback.complaints_before, self.before.answered,
                                   self.feedback.complaints_after, self.after.answered)


PERIODS = {"week": 7, "month": 30}


def build_report(db: Database, query: ReportQuery, policy: Policy,
                 scenarios: tuple[Scenario, ...] = (), progress=None) -> Report:
    keep_tallies(db, query.utc_offset_minutes, progress)
    start = policy.policy_start
    split = _tallies(db, query, "day >= ?", [(start or date.max).isoformat()])
    return Report(
        query=query, policy_start=start, baseline_agent_share=policy.baseline_agent_share,
        days=stats.by_day({date.fromisoformat(d): t for d, t in _tallies(db, query, "day").items()},
                          query.first, query.last),
        agents=_tallies(db, query, "agent_id"), classes=_tallies(db, query, "caller_class"),
        regular_by_agent=_tallies(db, query, "agent_id", only_class="regular"),
        before=split.get(0, Tally()), after=split.get(1, Tally()),
        explanations=_histogram(db, query, "non_regular", "explanations"),
        warnings=_histogram(db, query, "no_value", "warnings"),
        feedback=feedback(db, query, start),
        what_if=what_if(db, query, policy, scenarios) if scenarios else [],
        periods={name: _period(db, query, days) for name, days in PERIODS.items()},
        agent_weeks=_agent_weeks(db, query),
    )


def build_days(db: Database, query: ReportQuery, policy: Policy, progress=None) -> Report:
    """The day-by-day figures only (what the first chart needs, a tenth of the time of the whole
    report): every other figure is empty. The dashboard draws it while the rest is added up."""
    keep_tallies(db, query.utc_offset_minutes, progress)
    days = stats.by_day({date.fromisoformat(d): t for d, t in _tallies(db, query, "day").items()},
                        query.first, query.last)
    return empty_report(query, policy, days)


def empty_report(query: ReportQuery, policy: Policy, days: list[tuple[date, Tally]] | None = None) -> Report:
    """A report with no figures but `days` (the dashboard's tiles before its first load)."""
    return Report(query=query, policy_start=policy.policy_start, baseline_agent_share=policy.baseline_agent_share,
                  days=days or [], agents={}, classes={}, regular_by_agent={}, before=Tally(), after=Tally(),
                  explanations={}, warnings={}, feedback=Feedback())


def _period(db: Database, query: ReportQuery, days: int) -> tuple[Tally, Tally]:
    """(the `days` before, the last `days` of the range), with the range's filters."""
    later = dataclasses.replace(query, first=query.last - timedelta(days=days - 1))
    earlier = dataclasses.replace(query, first=query.last - timedelta(days=2 * days - 1),
                                  last=query.last - timedelta(days=days))
    return (sum(_tallies(db, earlier, "1").values(), Tally()), sum(_tallies(db, later, "1").values(), Tally()))


def _agent_weeks(db: Database, query: ReportQuery) -> dict[str, list[tuple[date, Tally]]]:
    """Each agent's calls and who ended them per week (Monday to Sunday) of the range: the
    per-agent trend. Only calls, agent_ended and customer_ended are added up (the share needs no
    more, and a year of cells adds up in a third of the time)."""
    sql = ("SELECT agent_id, CAST((julianday(day) - 2440584.5) / 7 AS INTEGER) AS week,"   # weeks since Mon 1969-12-29
           " total(calls), total(agent_ended), total(customer_ended) FROM report_cells"
           " WHERE utc_offset = ? AND day BETWEEN ? AND ?")
    params: list = [query.utc_offset_minutes, query.first.isoformat(), query.last.isoformat()]
    for column, values in (("agent_id", query.agents), ("caller_class", query.classes)):
        if values:
            sql += f" AND {column} IN ({', '.join('?' * len(values))})"
            params += list(values)
    out: dict[str, list[tuple[date, Tally]]] = {}
    for agent, week, calls, agent_ended, customer_ended in db.execute(sql + " GROUP BY 1, 2 ORDER BY 1, 2", params):
        monday = date(1969, 12, 29) + timedelta(weeks=week)
        out.setdefault(agent, []).append((monday, Tally(calls=int(calls), agent_ended=int(agent_ended),
                                                        customer_ended=int(customer_ended))))
    return out


TALLY_COLUMNS = tuple(f.name for f in fields(Tally))
_INT_FIELDS = {f.name for f in fields(Tally) if f.type in (int, "int")}


def _tallies(db: Database, query: ReportQuery, key: str, key_params: list | None = None,
             only_class: str | None = None) -> dict:
    """The cells of the range (and filters) added up by the SQL expression `key`."""
    sql = (f"SELECT {key}, {', '.join(f'total({c})' for c in TALLY_COLUMNS)} FROM report_cells"
           " WHERE utc_offset = ? AND day BETWEEN ? AND ?")
    params = [*(key_params or []), query.utc_offset_minutes, query.first.isoformat(), query.last.isoformat()]
    for column, values in (("agent_id", query.agents), ("caller_class", query.classes)):
        if values:
            sql += f" AND {column} IN ({', '.join('?' * len(values))})"
            params += list(values)
    if only_class:
        sql += " AND caller_class = ?"
        params.append(only_class)
    out = {}
    for k, *values in db.execute(sql + " GROUP BY 1 ORDER BY 1", params):
        out[k] = Tally(*(int(v) if name in _INT_FIELDS else v for name, v in zip(TALLY_COLUMNS, values)))
    return out


def _histogram(db: Database, query: ReportQuery, caller_class: str, column: str) -> dict[int, int]:
    if query.classes and caller_class not in query.classes:
        return {}
    sql = (f"SELECT {column}, sum(calls) FROM report_counts WHERE utc_offset = ? AND day BETWEEN ? AND ?"
           " AND caller_class = ?")
    params = [query.utc_offset_minutes, query.first.isoformat(), query.last.isoformat(), caller_class]
    if query.agents:
        sql += f" AND agent_id IN ({', '.join('?' * len(query.agents))})"
        params += list(query.agents)
    return {int(value): int(n) for value, n in db.execute(sql + " GROUP BY 1", params)}


def feedback(db: Database, query: ReportQuery, policy_start: date | None) -> Feedback:
    """Scores and complaints dated inside the range. With an agent or class filter, only feedback
    naming a call of those agents / classes counts (a bare number cannot be attributed)."""
    sql = "SELECT day >= ?, count(score), total(score), total(score * score), total(complaint) FROM feedback" \
          " WHERE day >= ? AND day <= ?"
    params: list = [(policy_start or date.max).isoformat(), query.first.isoformat(), query.last.isoformat()]
    if query.agents or query.classes:
        where, extra = query.where()
        sql += f" AND call_id IN (SELECT id FROM review_calls WHERE {where})"
        params += extra
    found = {bool(after): (Sample(n, s, ss), int(c)) for after, n, s, ss, c in db.execute(sql + " GROUP BY 1", params)}
    before, after = found.get(False, (Sample(), 0)), found.get(True, (Sample(), 0))
    return Feedback(before[0], after[0], before[1], after[1])


def what_if(db: Database, query: ReportQuery, policy: Policy, scenarios: tuple[Scenario, ...]) -> list[WhatIf]:
    """Re-run the recorded calls under other thresholds (see README, "What-if").

    The store keeps how many explanations a call had, not when each was given, so the
    explanation scenarios assume they were evenly spaced: the k-th at answer + k·d, where d is
    (allowed − answered) / N when the policy's N-th explanation allowed the end, else
    (ended − answered) / (explanations + 1). The grace scenarios move "may end" to
    closure + g. Both compare with the same formula under the current threshold.
    """
    keep_tallies(db, query.utc_offset_minutes)
    n, g_now = policy.explanations_before_polite_end, policy.grace_seconds
    # report_what_if (store/tallies.py) holds these seconds per ended call: talk (answer → end),
    # to_allowed (answer → may end), since_closure (closure → end)
    step = f"(CASE WHEN to_allowed IS NOT NULL AND explanations >= {n} THEN to_allowed / {n} ELSE talk / (explanations + 1) END)"
    columns: dict[Scenario, list[str]] = {}
    for s in scenarios:
        if s.explanations is not None:
            k = s.explanations
            columns[s] = [f"total({k} != {n} AND explanations >= {min(k, n)})",
                          f"total(CASE WHEN explanations >= {k} THEN max(0, talk - {k} * {step}) END)",
                          f"total(CASE WHEN explanations >= {n} THEN max(0, talk - {n} * {step}) END)"]
        else:
            g = float(s.grace_seconds)
            columns[s] = [f"total({g!r} != {g_now!r} AND since_closure > {min(g, g_now)!r})",
                          f"total(max(0, since_closure - {g!r}))",
                          f"total(max(0, since_closure - {g_now!r}))"]
    found: dict[Scenario, WhatIf] = {}
    # one query per kind, each reading only its class's rows (the table's key starts with the class)
    for caller_class, kind, extra in (("non_regular", "explanations", "talk IS NOT NULL"),
                                      ("regular", "grace_seconds", "since_closure IS NOT NULL")):
        mine = [s for s in scenarios if getattr(s, kind) is not None]
        if not mine:
            continue
        if query.classes and caller_class not in query.classes:
            found.update((s, WhatIf(s, 0, 0.0, 0.0)) for s in mine)
            continue
        where, params = dataclasses.replace(query, classes=(caller_class,)).where()
        sums = ", ".join(c for s in mine for c in columns[s])
        row = db.execute(f"SELECT {sums} FROM report_what_if WHERE {where} AND {extra}", params).fetchone()
        found.update((s, WhatIf(s, int(row[3 * i]), row[3 * i + 1], row[3 * i + 2])) for i, s in enumerate(mine))
    return [found[s] for s in scenarios]


def agent_ids(db: Database) -> list[str]:
    """Every agent in the file (a lead's holds the team), for the dashboard's filter: those of
    `review_calls`, read side by side through the agent indexes (DISTINCT on the view scans every row)."""
    return [r[0] for r in db.execute("SELECT agent_id FROM calls UNION SELECT agent_id FROM team_pull_calls ORDER BY 1")]


def hour_grid(db: Database, query: ReportQuery) -> dict[tuple[int, int], tuple[int, int, int]]:
    """Calls by local weekday (0 = Monday) and hour of the day: {(weekday, hour): (calls,
    agent_ended, customer_ended)}, with the range's filters, from the kept per-hour tallies."""
    keep_tallies(db, query.utc_offset_minutes)
    sql = ("SELECT (CAST(strftime('%w', day) AS INTEGER) + 6) % 7, hour, total(calls), total(agent_ended),"
           " total(customer_ended) FROM report_hours WHERE utc_offset = ? AND day BETWEEN ? AND ?")
    params: list = [query.utc_offset_minutes, query.first.isoformat(), query.last.isoformat()]
    for column, values in (("agent_id", query.agents), ("caller_class", query.classes)):
        if values:
            sql += f" AND {column} IN ({', '.join('?' * len(values))})"
            params += list(values)
    return {(int(w), int(h)): (int(n), int(a), int(c)) for w, h, n, a, c in db.execute(sql + " GROUP BY 1, 2", params)}
