"""Command-line options of `hangup-coach report`, `dashboard` and `import-feedback` (no Qt here)."""

from __future__ import annotations

import argparse
from datetime import date

COMMANDS = ("report", "dashboard", "import-feedback")


def add_report_commands(sub, common: argparse.ArgumentParser) -> None:
    report = sub.add_parser("report", parents=[common], help="the hang-up policy review figures")
    _range_options(report)
    report.add_argument("--agent", action="append", default=[], metavar="ID",
                        help="only this agent (repeat for several; default: every agent in the file)")
    report.add_argument("--team", metavar="NAME", help="only this team or shift (teams.toml in the config directory)")
    report.add_argument("--class", dest="classes", action="append", default=[], metavar="CLASS",
                        choices=("regular", "no_value", "non_regular", "unknown"), help="only this caller class")
    report.add_argument("--format", choices=("table", "csv", "json", "md"), default="table")
    report.add_argument("--server", action="store_true",
                        help="every team your login may read (a manager: the site), from the centre's server "
                             "(hangup-coach login first); only --since/--until and --format apply")
    report.add_argument("--png", metavar="DIR", help="also write the charts as PNG files into DIR")
    report.add_argument("--xlsx", metavar="FILE", help="also write the tables as an Excel workbook (a sheet each)")
    report.add_argument("--every", choices=("day", "week"),
                        help="for a scheduled task: the last whole day (yesterday) or week (Monday–Sunday), "
                             "written as .md, .csv and .xlsx into --to DIR")
    report.add_argument("--to", metavar="DIR", help="where --every writes its files")
    report.add_argument("--what-if", nargs="*", metavar="SPEC", dest="what_if",
                        help="what other thresholds would have released: explanations=N, grace=SECONDS "
                             "(no SPEC: explanations=2, explanations=4, grace=3)")

    dashboard = sub.add_parser("dashboard", parents=[common], help="the team lead's dashboard window")
    _range_options(dashboard)

    feedback = sub.add_parser("import-feedback", parents=[common],
                              help="import satisfaction scores / complaints from a CSV file")
    feedback.add_argument("file", metavar="FILE.csv",
                          help="header row with date, call_id or number, and score or complaint; "
                               "separated by , ; or tab")
    feedback.add_argument("--encoding", metavar="NAME",
                          help="the file's encoding (default: detected: UTF-8, UTF-8/16 with BOM, else GB18030/GBK)")


def _range_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--since", type=_day, metavar="YYYY-MM-DD",
                        help="first day, local time (default: 30 days ago, for report and dashboard alike)")
    parser.add_argument("--until", type=_day, metavar="YYYY-MM-DD", help="last day, local time (default: today)")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
