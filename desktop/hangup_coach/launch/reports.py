"""Composition of the review tools: `hangup-coach report | dashboard | import-feedback`, and the
tray's "Dashboard" (a lead) and "My day" (the agent) entries on the card.

Light to import (the card imports it for its tray): Qt, pyqtgraph and sqlite-utils are loaded
only when a command runs or a window opens.
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from datetime import date, datetime
from pathlib import Path


def here() -> tuple[date, int]:
    """The local calendar the figures are read in: today and the UTC offset (minutes) of this machine."""
    now = datetime.now().astimezone()
    return now.date(), int(now.utcoffset().total_seconds() // 60)


LEAD_PACKAGE_MISSING = ("hangup-coach: the dashboard and the charts come with the lead/QA package "
                        "(hangup-coach-lead), which is not installed here")


def charts_installed() -> bool:
    """pyqtgraph is there: a source install, or the lead/QA package next to the agent's."""
    import importlib.util
    return importlib.util.find_spec("pyqtgraph") is not None


def run(args: argparse.Namespace) -> int:
    if (args.command == "dashboard" or args.command == "report" and args.png) and not charts_installed():
        print(LEAD_PACKAGE_MISSING, file=sys.stderr)
        return 2
    from ..app.paths import AppPaths
    from ..app.resources import NotAFile, centre_file, load_policy, load_score_scale, pick_language
    from ..core.policy import PolicyError
    from ..store.db import StoreError, open_db

    from ..app.report_format import load_texts

    paths = AppPaths.detect()
    db_path = paths.database(args.db)
    try:
        policy = load_policy(centre_file(paths.config, "policy.toml"))
        scale = load_score_scale(centre_file(paths.config, "feedback.toml"))
    except (PolicyError, NotAFile) as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 2
    language = args.lang or _settings_language(paths.settings_file)
    if language not in ("zh_CN", "en"):
        language = pick_language(None) if args.command == "dashboard" else _environment_language()
    texts = load_texts(language, scale)
    if args.command == "report" and args.server:   # the teams' figures come from the server, not a file
        return team_report(args, texts)
    if not db_path.exists():   # every review tool reads an existing file: a mistyped --db makes none
        print(f"hangup-coach: {texts['no_database'].format(path=db_path)}", file=sys.stderr)
        return 1
    try:
        db = open_db(db_path)
    except StoreError as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 1
    if args.command == "import-feedback":
        return import_feedback(db, Path(args.file), policy.region, texts, scale, args.encoding)
    if args.command == "report":
        return report(db, args, policy, texts)
    db.conn.close()
    return dashboard(db_path, args, policy, language)


def _environment_language() -> str:
    """zh_CN unless LC_ALL / LC_MESSAGES / LANG say English: the system's choice without loading Qt."""
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name)
        if value:
            return "en" if value.lower().startswith("en") else "zh_CN"
    return "zh_CN"


def _settings_language(settings_file: Path) -> str | None:
    """The language saved in the card's settings, read without Qt (report must not load it)."""
    try:
        for line in settings_file.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            if key.strip() == "language" and value.strip():
                return value.strip()
    except OSError:
        pass
    return None


def import_feedback(db, path: Path, region: str, texts: dict, scale, encoding: str | None) -> int:
    from ..store.feedback import FeedbackError, import_file

    def progress(count: int) -> None:
        if count % 200_000 == 0:
            print(texts["feedback_progress"].format(count=f"{count:,}"), file=sys.stderr)
    try:
        result = import_file(db, path, region, encoding=encoding, scale=scale, progress=progress)
    except FeedbackError as exc:
        print(f"hangup-coach: {texts['feedback_refused'].format(error=exc.message(texts))}", file=sys.stderr)
        return 2
    print(texts["feedback_imported"].format(count=f"{result.rows:,}", file=path.name, encoding=result.encoding))
    if result.unknown_calls:
        print(texts["feedback_unknown_calls"].format(count=f"{result.unknown_calls:,}"), file=sys.stderr)
    return 0


def report(db, args: argparse.Namespace, policy, texts: dict) -> int:
    from ..app.report_format import default_range, render, scheduled_range
    from ..core.stats import DEFAULT_SCENARIOS, parse_scenario
    from ..store.reports import ReportQuery, agent_ids, build_report, hour_grid

    today, utc_offset = here()
    if args.every and not args.to:
        print("hangup-coach: --every needs --to DIR (where the reports are written)", file=sys.stderr)
        return 2
    first, last = scheduled_range(today, args.every) if args.every else default_range(today)
    first, last = args.since or first, args.until or last
    if first > last:
        print(f"hangup-coach: --since {first} is after --until {last}", file=sys.stderr)
        return 2
    try:
        scenarios = () if args.what_if is None else (
            tuple(parse_scenario(s) for s in args.what_if) or DEFAULT_SCENARIOS)
    except ValueError as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 2
    known = agent_ids(db)
    for agent in args.agent:
        if agent not in known:
            print(f"hangup-coach: {texts['unknown_agent'].format(agent=agent, known=', '.join(known) or '—')}",
                  file=sys.stderr)
            return 2
    if args.team:   # a team member may have no calls yet: the team's list is the centre's word
        teams = centre_teams()
        if args.team not in teams:
            print(f"hangup-coach: {texts['unknown_team'].format(team=args.team, known=', '.join(teams) or '—')}",
                  file=sys.stderr)
            return 2
        args.agent = [*args.agent, *teams[args.team]]
    query = ReportQuery(first, last, tuple(args.agent), tuple(args.classes), utc_offset)
    result = build_report(db, query, policy, scenarios)
    targets, now = centre_targets(), (policy.explanations_before_polite_end, policy.grace_seconds)
    hours = hour_grid(db, query) if args.every or args.xlsx or args.format in ("table", "md") else None
    if args.every:
        return write_scheduled(result, texts, targets, now, Path(args.to), args.every, hours)
    sys.stdout.write(render(result, args.format, texts, *now, targets, hours))
    if args.xlsx:
        print(f"wrote {write_xlsx(result, texts, targets, now, Path(args.xlsx), hours)}", file=sys.stderr)
    if args.png:
        for path in write_charts(result, texts, Path(args.png)):
            print(f"wrote {path}", file=sys.stderr)
    return 0


def team_report(args: argparse.Namespace, texts: dict) -> int:
    """`report --server`: the figures of every team this PC's login may read, from the server."""
    from ..app.report_format import default_range
    from ..app.team_report import NotLoggedIn, fetch_logged_in, problem, render
    from ..sync.client import AuthRefused, Refused, SyncFailure

    today, utc_offset = here()
    first, last = default_range(today)
    first, last = args.since or first, args.until or last
    if args.agent or args.team or args.classes or args.png or args.xlsx or args.every or args.what_if is not None:
        print(f"hangup-coach: {texts['teams_only_period']}", file=sys.stderr)
        return 2
    try:
        figures = fetch_logged_in(first, last, utc_offset)
    except NotLoggedIn as exc:
        print(f"hangup-coach: {problem(exc, texts)}", file=sys.stderr)
        return 2
    except SyncFailure as exc:
        print(f"hangup-coach: {problem(exc, texts)}", file=sys.stderr)
        return 2 if isinstance(exc, (AuthRefused, Refused)) else 1   # 1: worth trying again later
    sys.stdout.write(render(figures, args.format, texts, centre_targets()))
    return 0


def write_xlsx(result, texts: dict, targets: dict, now: tuple, path: Path, hours: dict | None = None) -> Path:
    try:
        from ..app.report_xlsx import write_workbook
        return write_workbook(result, texts, targets, path, *now, hours=hours)
    except ModuleNotFoundError as exc:   # the agent's package has no XlsxWriter
        raise SystemExit(f"hangup-coach: {exc.name} is not installed (the lead's package has it)") from None


def write_scheduled(result, texts: dict, targets: dict, now: tuple, folder: Path, every: str, hours: dict) -> int:
    """`report --every day|week --to DIR`: the last whole day or week as Markdown, CSV and .xlsx
    named after the period (run again, it writes the same files: safe to repeat)."""
    from ..app.report_format import render

    q = result.query
    stem = f"hangup-coach-{every}-{q.first.isoformat()}" + ("" if q.first == q.last else f"_{q.last.isoformat()}")
    folder.mkdir(parents=True, exist_ok=True)
    for fmt, suffix in (("md", ".md"), ("csv", ".csv")):
        path = folder / (stem + suffix)
        path.write_text(render(result, fmt, texts, *now, targets, hours),
                        encoding="utf-8-sig" if fmt == "csv" else "utf-8")
        print(f"wrote {path}", file=sys.stderr)
    print(f"wrote {write_xlsx(result, texts, targets, now, folder / (stem + '.xlsx'), hours)}", file=sys.stderr)
    return 0


def write_charts(result, texts: dict, folder: Path) -> list[Path]:
    """Render the charts off screen (no window, works over ssh) and write them as PNG files."""
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(["hangup-coach", "-platform", "offscreen"])
    from ..ui.charts import write_pngs
    written = write_pngs(result, texts, folder)
    app.processEvents()
    return written


def dashboard(db_path: Path, args: argparse.Namespace, policy, language: str) -> int:
    from PySide6.QtWidgets import QApplication

    from ..app.qt_clock import keep_gui_thread_responsive

    keep_gui_thread_responsive()   # the report worker must not hold the GIL for long
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("hangup-coach")
    window = open_dashboard(db_path, policy, language, first=args.since, last=args.until)
    window.show()
    return app.exec()


def open_dashboard(db_path: Path, policy, language: str, first: date | None = None, last: date | None = None):
    from ..app.report_format import default_range, load_texts
    from ..app.team_report import fetch_logged_in
    from ..ui.dashboard import Dashboard

    today, utc_offset = here()
    default_first, default_last = default_range(today)
    window = Dashboard(db_path, policy, load_texts(language, centre_scale()), utc_offset, first or default_first,
                       last or default_last, targets=centre_targets(), teams=centre_teams(),
                       teams_from=fetch_logged_in)   # the Teams tab: the server's figures of the login's teams
    from .qa import connect_dashboard
    connect_dashboard(window, language)   # an agent's row → their calls behind the figure (QA)
    return window


def centre_scale() -> tuple[float, float]:
    """The centre's satisfaction scale: its own feedback.toml beside policy.toml, else 1–5."""
    from ..app.paths import AppPaths
    from ..app.resources import centre_file, load_score_scale

    return load_score_scale(centre_file(AppPaths.detect().config, "feedback.toml"))


def centre_teams() -> dict:
    """The centre's teams or shifts: its own teams.toml beside policy.toml, else none."""
    from ..app.paths import AppPaths
    from ..app.resources import centre_file, load_teams

    return load_teams(centre_file(AppPaths.detect().config, "teams.toml"))


def centre_targets() -> dict:
    """The centre's targets: its own targets.toml beside policy.toml, else the shipped one."""
    from ..app.paths import AppPaths
    from ..app.resources import centre_file, load_targets

    return load_targets(centre_file(AppPaths.detect().config, "targets.toml"))


def open_my_day(db_path: Path, policy, language: str, agent_id: str):
    from ..app.report_format import load_texts
    from ..ui.my_day import MyDay

    today, utc_offset = here()
    window = MyDay(db_path, policy, load_texts(language), agent_id, today, utc_offset)
    from .qa import attach_coaching, attach_my_calls
    attach_coaching(window, language)   # the reviews of the agent's own calls and the actions naming them (QA)
    attach_my_calls(window, language, agent_id, today)   # ...and the calls behind the week's figures
    return window


def tray_entries(db_path: Path, policy, language: str, agent_id: str, role: str,
                 moved=None) -> list[tuple[str, object]]:
    """("My day", open) for everyone, ("Dashboard", open) for a lead; windows made on first use.
    `moved`: the card's Controller.store_file_event; the windows read where the calls are now."""
    from ..app.resources import resource_path

    labels = {}
    for lang in ("en", language):
        path = resource_path("translations", f"dashboard-{lang}.toml")
        labels.update(tomllib.loads(path.read_text(encoding="utf-8")).get("dashboard", {}))
    windows: dict[str, object] = {}
    where = [db_path]   # the file the card's calls are in now
    if moved is not None:
        moved.connect(lambda _event, path: where.append(Path(path)))

    def show(name: str, make) -> None:
        if name not in windows:
            windows[name] = make()
            if moved is not None:
                moved.connect(windows[name].loader.database_moved)
        windows[name].show()
        windows[name].raise_()
        windows[name].reload()

    entries = [(labels["my_day_title"], lambda: show("my_day", lambda: open_my_day(where[-1], policy, language, agent_id)))]
    if role == "lead" and charts_installed():
        entries.append((labels["title"], lambda: show("dashboard", lambda: open_dashboard(where[-1], policy, language))))
    return entries
