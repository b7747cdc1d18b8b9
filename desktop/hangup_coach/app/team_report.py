"""The manager's multi-team view: each team's figures as the centre's server adds them up
(GET /v1/reports/teams, server/domain/reports.py), since a lead's own file holds only their team.

Which teams come back is the server's decision from the device's role (a lead: their team, a
manager: their site, an admin: the centre). The figures are the card's own rules (a `Tally` per
team), so they read like the dashboard's: the same columns, targets and wording. No Qt here:
`hangup-coach report --server` and the dashboard's Teams tab share it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from datetime import date

from ..core.stats import Tally
from ..core.targets import Target, metric
from .report_format import cell, csv_rows, target_text

_TALLY_FIELDS = {f.name for f in fields(Tally)}
# (key, kind): the figures of a team, as the agent table has them
COLUMNS = (("calls", "count"), ("agent_share", "share"), ("average_handle_seconds", "seconds"),
           ("after_allowed_seconds", "seconds"), ("early_share", "share"))


class NotLoggedIn(Exception):
    """This PC has no saved server login (hangup-coach login --server URL)."""


@dataclass(frozen=True)
class TeamFigures:
    scope: str                              # team, site or centre: what the server let this device read
    first: date
    last: date
    teams: list[tuple[str, str, Tally]]     # (site, team, its figures), as the server sorted them
    total: Tally


def open_client():
    """A client of the server this PC logged in to (its saved token); NotLoggedIn without one."""
    from ..sync.client import SyncClient
    from ..sync.credentials import Credentials
    from .paths import AppPaths

    saved = Credentials(AppPaths.detect().config).load()
    if saved is None:
        raise NotLoggedIn()
    return SyncClient(saved.server, saved.token)


def fetch_logged_in(first: date, last: date, utc_offset: int) -> TeamFigures:
    """`fetch` through this PC's login (off the GUI thread: it waits on the network)."""
    with open_client() as client:
        return fetch(client, first, last, utc_offset)


def problem(error: Exception, texts: dict) -> str:
    """Why the teams' figures are not there, in the user's language."""
    from ..sync.client import AuthRefused, Refused

    if isinstance(error, NotLoggedIn):
        return texts["teams_not_logged_in"]
    if isinstance(error, AuthRefused):
        return texts["teams_refused"].format(error=error)
    if isinstance(error, Refused):
        return texts["teams_bad_request"].format(error=error)
    return texts["teams_unavailable"].format(error=error)


def fetch(client, first: date, last: date, utc_offset: int) -> TeamFigures:
    """Ask the server (a sync.client.SyncClient) for the teams' figures of the local days first…last."""
    body = client.team_reports(first.isoformat(), last.isoformat(), utc_offset)
    teams = [(str(t.get("site") or ""), str(t.get("team") or ""), _tally(t.get("tally")))
             for t in body["teams"] if isinstance(t, dict)]
    return TeamFigures(body["scope"], first, last, sorted(teams, key=lambda t: (t[0], t[1])), _tally(body["total"]))


def _tally(values) -> Tally:
    """A server's tally; a field a newer server adds is left out, a missing one is zero."""
    if not isinstance(values, dict):
        return Tally()
    return Tally(**{k: v for k, v in values.items() if k in _TALLY_FIELDS and isinstance(v, (int, float))})


def team_table(figures: TeamFigures, texts: dict, targets: dict[str, Target] | None = None, two_lines: bool = False,
               ) -> tuple[list[str], list[list], list[str]]:
    """(heads, rows of raw values, kinds): a row per team, then the total of them all; each head
    names its target, in brackets or (`two_lines`, the window's narrow columns) below it."""
    targets = targets or {}
    heads, kinds = [texts["site"], texts["team"]], ["text", "text"]
    for key, kind in COLUMNS:
        head = texts["col_calls"] if key == "calls" else texts[f"figure_{key}"]
        target = target_text(targets.get(key), kind, texts)
        heads.append((f"{head}\n{target}" if two_lines else f"{head} ({target})") if target else head)
        kinds.append(kind)
    rows = [[site, team, *_values(t)] for site, team, t in figures.teams]
    rows.append([texts["all_teams"], "", *_values(figures.total)])
    return heads, rows, kinds


def _values(t: Tally) -> list:
    return [t.calls if key == "calls" else metric(key, t) for key, _ in COLUMNS]


def team_rows(figures: TeamFigures, texts: dict, targets: dict[str, Target] | None = None, two_lines: bool = False,
              ) -> tuple[list[str], list[list[str]]]:
    """The team table as text: the dashboard's Teams tab and `report --server`."""
    heads, rows, kinds = team_table(figures, texts, targets, two_lines)
    return heads, [[cell(v, kind, texts) for v, kind in zip(row, kinds)] for row in rows]


def team_csv_rows(figures: TeamFigures, texts: dict, targets: dict[str, Target] | None = None,
                  ) -> tuple[list[str], list[list]]:
    """The team table as raw numbers for a spreadsheet, units in the heads (as the agent table's CSV)."""
    heads, rows, kinds = team_table(figures, texts, targets)
    return csv_rows(heads, kinds, rows)


def team_sheet(figures: TeamFigures, texts: dict, targets: dict[str, Target] | None = None):
    """The team table as a sheet of the dashboard's .xlsx workbook (app/report_xlsx.py)."""
    from .report_xlsx import Sheet, head_with_unit

    heads, rows, kinds = team_table(figures, texts, targets)
    return Sheet(texts["tab_teams"], title(figures, texts), [head_with_unit(h, k) for h, k in zip(heads, kinds)],
                 rows, kinds, {0: 16, 1: 16})


def title(figures: TeamFigures, texts: dict) -> str:
    """The table's title: the period and what the server let this device read."""
    return texts["teams_title"].format(first=figures.first.isoformat(), last=figures.last.isoformat(),
                                       scope=texts[f"scope_{figures.scope}"])


def render(figures: TeamFigures, fmt: str, texts: dict, targets: dict[str, Target] | None = None) -> str:
    """`report --server`: table, md, csv (raw numbers, shares in %) or json."""
    import csv
    import io
    import json

    from .report_format import _markdown_table, _plain_table

    if fmt == "json":
        return json.dumps({"scope": figures.scope, "first": figures.first.isoformat(), "last": figures.last.isoformat(),
                           "teams": [{"site": s, "team": t, "tally": asdict(tally)} for s, t, tally in figures.teams],
                           "total": asdict(figures.total)}, ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        heads, rows = team_csv_rows(figures, texts, targets)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(heads)
        writer.writerows(rows)
        return out.getvalue()
    heads, rows = team_rows(figures, texts, targets)
    lines = [("# " if fmt == "md" else "") + title(figures, texts), ""]
    lines += _markdown_table(heads, rows) if fmt == "md" else _plain_table(heads, rows)
    return "\n".join(lines) + "\n"
