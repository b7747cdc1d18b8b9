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
    from ..app.resources import centre_file, load_policy, pick_language
    from ..core.policy import PolicyError
    from ..store.db import StoreError, open_db

    paths = AppPaths.detect()
    db_path = paths.database(args.db)
    try:
        policy = load_policy(centre_file(paths.config, "policy.toml"))
    except PolicyError as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 2
    if args.command != "import-feedback" and not db_path.exists():
        print(f"hangup-coach: no call database at {db_path}", file=sys.stderr)
        return 1
    language = args.lang or _settings_language(paths.settings_file)
    if language not in ("zh_CN", "en"):
        language = pick_language(None) if args.command == "dashboard" else _environment_language()
    try:
        db = open_db(db_path)
    except StoreError as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 1
    if args.command == "import-feedback":
        return import_feedback(db, Path(args.file), policy.region)
    if args.command == "report":
        return report(db, args, policy, language)
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


def import_feedback(db, path: Path, region: str) -> int:
    from ..store.feedback import FeedbackError, import_file

    try:
        count = import_file(db, path, region)
    except FeedbackError as exc:
        print(f"hangup-coach: {exc}; nothing was imported", file=sys.stderr)
        return 2
    print(f"imported {count} feedback row(s) from {path.name}")
    return 0


def report(db, args: argparse.Namespace, policy, language: str) -> int:
    from ..app.report_format import default_range, load_texts, render
    from ..core.stats import DEFAULT_SCENARIOS, parse_scenario
    from ..store.reports import ReportQuery, build_report

    today, utc_offset = here()
    first, last = default_range(today)
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
    query = ReportQuery(first, last, tuple(args.agent), tuple(args.classes), utc_offset)
    result = build_report(db, query, policy, scenarios)
    texts = load_texts(language)
    sys.stdout.write(render(result, args.format, texts, policy.explanations_before_polite_end, policy.grace_seconds))
    if args.png:
        for path in write_charts(result, texts, Path(args.png)):
            print(f"wrote {path}", file=sys.stderr)
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
    from ..ui.dashboard import Dashboard

    today, utc_offset = here()
    default_first, default_last = default_range(today, 90)
    return Dashboard(db_path, policy, load_texts(language), utc_offset, first or default_first, last or default_last)


def open_my_day(db_path: Path, policy, language: str, agent_id: str):
    from ..app.report_format import load_texts
    from ..ui.my_day import MyDay

    today, utc_offset = here()
    return MyDay(db_path, policy, load_texts(language), agent_id, today, utc_offset)


def tray_entries(db_path: Path, policy, language: str, agent_id: str, role: str) -> list[tuple[str, object]]:
    """("My day", open) for everyone, ("Dashboard", open) for a lead; windows made on first use."""
    from ..app.resources import resource_path

    labels = {}
    for lang in ("en", language):
        path = resource_path("translations", f"dashboard-{lang}.toml")
        labels.update(tomllib.loads(path.read_text(encoding="utf-8")).get("dashboard", {}))
    windows: dict[str, object] = {}

    def show(name: str, make) -> None:
        if name not in windows:
            windows[name] = make()
        windows[name].show()
        windows[name].raise_()
        windows[name].reload()

    entries = [(labels["my_day_title"], lambda: show("my_day", lambda: open_my_day(db_path, policy, language, agent_id)))]
    if role == "lead" and charts_installed():
        entries.append((labels["title"], lambda: show("dashboard", lambda: open_dashboard(db_path, policy, language))))
    return entries
