"""Command-line interface: `hangup-coach [run]`, `hangup-coach demo`, `hangup-coach calls`, `login`, `sync`."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from .resources import LANGUAGES

if TYPE_CHECKING:   # csv, json, datetime and masking are imported where used: the card's first frame
    from datetime import datetime   # parses its arguments here and needs none of them


def parse_args(argv: list[str]) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="PATH", help="the call database (default: per-user data dir; "
                        "env HANGUP_COACH_DB)")
    common.add_argument("--lang", choices=LANGUAGES, help="language (default: settings, then the system)")
    common.add_argument("--verbose", action="store_true", help="log debug messages")

    parser = argparse.ArgumentParser(prog="hangup-coach", parents=[common],
                                     description="The agent's hang-up coach card.")
    parser.add_argument("--softphone", metavar="URL",
                        help="baresip://127.0.0.1:4444 or json://127.0.0.1:PORT (default: settings; none = manual)")
    parser.add_argument("--version", action=_PrintVersion)
    parser.add_argument("--smoke", action="store_true", help="start, show the card, exit 0 (for checks)")
    parser.add_argument("--autostart", action="store_true", help="as the session's autostart entry starts it: "
                        "nothing happens if this user switched starting with the session off (Settings)")
    sub = parser.add_subparsers(dest="command")

    demo = sub.add_parser("demo", parents=[common], help="play a demo shift on the built-in simulator")
    demo.add_argument("--speed", type=float, default=1.0, help="play N times faster")
    demo.add_argument("--exit-when-done", action="store_true", help="quit after the last call")
    demo.add_argument("--shift", metavar="TOML", help="another shift file (default: the shipped demo)")
    demo.add_argument("--by-hand", action="store_true",
                      help="you work the card (the line rings the calls and waits); the customer's side "
                           "comes from stdin: 'hangs-up' or 'drops', one per line")

    calls = sub.add_parser("calls", parents=[common], help="list recorded calls")
    calls.add_argument("--since", type=_date, help="YYYY-MM-DD (UTC) or an ISO time")
    calls.add_argument("--format", choices=("table", "csv", "json"), default="table")
    calls.add_argument("--unmasked", action="store_true", help="show full numbers (personal data!)")
    calls.add_argument("--notes", action="store_true", help="add each call's note (what the agent wrote)")

    if _command(argv) in CARD_COMMANDS and not {"-h", "--help"} & set(argv):
        return _checked(parser, argv)   # the card: its first frame need not wait for the others' modules
    from .recover_cli import add_command as add_recover_command
    add_recover_command(sub, common)
    from .report_cli import add_report_commands
    add_report_commands(sub, common)
    from .sync_cli import add_commands as add_sync_commands
    add_sync_commands(sub, common)   # login, sync
    from .qa_cli import add_commands as add_qa_commands
    add_qa_commands(sub, common)     # qa batch|review|sheet|actions|action
    from .blocklist_cli import add_commands as add_blocklist_commands
    add_blocklist_commands(sub, common)
    from ..server.cli import add_parser as add_server_parser
    add_server_parser(sub)

    return _checked(parser, argv)


CARD_COMMANDS = (None, "demo", "calls")   # parsed without the other commands' modules
_VALUED = ("--db", "--lang", "--softphone")   # top-level options whose value is the next word


def _command(argv: list[str]) -> str | None:
    """The sub-command named in `argv` (None: the card)."""
    words = iter(argv)
    for word in words:
        if word in _VALUED:
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def _checked(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    args = parser.parse_args(argv)
    if getattr(args, "speed", 1.0) <= 0:
        parser.error("--speed must be positive")
    return args


class _PrintVersion(argparse.Action):
    """`--version`, reading the version only when asked (see hangup_coach.__getattr__)."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, help="print the version and exit")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        from .. import __version__
        print(f"hangup-coach {__version__}")
        parser.exit()


def _date(text: str) -> datetime:
    from datetime import datetime, timezone

    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


CALL_COLUMNS = ("started_at", "caller", "caller_class", "sub_reason", "class_source", "ended_by",
                "explanations", "warnings", "customer_hung_up_in_grace", "agent_ended_early",
                "hangup_prompted_at", "disposition")


NOTE_CELL = 60   # characters of a note in the table (csv and json keep it whole)


def print_calls(rows: list[dict], fmt: str, unmasked: bool, out=sys.stdout,
                notes: dict[str, str] | None = None) -> None:
    """The calls; with `notes` (call id → text) a last column holds each call's note."""
    import csv
    import json
    from datetime import datetime

    from ..core.phone import mask

    columns = CALL_COLUMNS + (("note",) if notes is not None else ())
    table = []
    for r in rows:
        item = {k: r.get(k) for k in CALL_COLUMNS if k != "caller"}
        # unmasked: what the line or the agent gave when it is not a number, so QA still sees it
        item["caller"] = (r["caller_number"] or r["caller_raw"] or "withheld") if unmasked else mask(r["caller_number"])
        item["customer_hung_up_in_grace"] = bool(r["customer_hung_up_in_grace"])
        item["agent_ended_early"] = bool(r["agent_ended_early"])
        if notes is not None:
            item["note"] = notes.get(r["id"], "")
        table.append({k: item[k] for k in columns})
    if fmt == "json":
        json.dump(table, out, ensure_ascii=False, indent=1)
        out.write("\n")
    elif fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=columns)
        writer.writeheader()
        writer.writerows(table)
    else:
        short = {"customer_hung_up_in_grace": "left_in_grace", "agent_ended_early": "early",
                 "hangup_prompted_at": "prompted", "class_source": "source"}
        heads = [short.get(c, c) for c in columns]
        offset = datetime.now().astimezone().strftime("%z")   # +0800
        out.write(f"times are local (UTC{offset[:3]}:{offset[3:]}); csv and json keep UTC\n")
        cells = [[_cell(row[c]) if c != "note" else _note_cell(row[c]) for c in columns] for row in table]
        widths = [max([len(h)] + [len(row[i]) for row in cells]) for i, h in enumerate(heads)]
        out.write("  ".join(h.ljust(w) for h, w in zip(heads, widths)).rstrip() + "\n")
        for row in cells:
            out.write("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() + "\n")
        out.write(f"{len(table)} call(s)\n")


def _note_cell(text: str) -> str:
    """A note on one table line: line breaks shown as ⏎, cut with … past NOTE_CELL characters."""
    line = " ⏎ ".join(text.splitlines())
    return line if len(line) <= NOTE_CELL else line[:NOTE_CELL - 1] + "…"


def _cell(value) -> str:
    from datetime import datetime

    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else ""
    text = str(value)
    if len(text) > 19 and text[4:5] == "-" and "T" in text:   # a stored UTC time: show it locally
        try:
            return datetime.fromisoformat(text).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        except ValueError:
            return text[:19]
    return text
