"""Start-up: `hangup-coach calls` (no Qt) and the card (`run_card`, parts in card_app.py).

The card's first frame waits for nothing: its shell (ui/card_shell.py) is painted from Qt's widgets,
the settings and the texts alone; the policy, scripts, store, softphone and the card itself load after."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from ..app.paths import AppPaths

log = logging.getLogger(__name__)
_T0_WALL = time.time()


def list_calls(args: argparse.Namespace) -> int:
    from ..app.cli import print_calls
    from ..store.calls import CallStore
    from ..store.db import StoreError, open_db

    paths = AppPaths.detect()
    paths.make_private()
    db_path = paths.database(args.db)
    if not db_path.exists():
        print(f"hangup-coach: no call database at {db_path}", file=sys.stderr)
        return 1
    try:
        store = CallStore(open_db(db_path))
    except StoreError as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 1
    try:
        rows = store.list_calls(since=args.since)
        notes = {r["id"]: store.note(r["id"]) for r in rows} if args.notes else None
        print_calls(rows, args.format, args.unmasked, notes=notes)
        sys.stdout.flush()
    except BrokenPipeError:   # `calls | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
    return 0


def run_card(args: argparse.Namespace) -> int:
    """Show the card (`hangup-coach`, `hangup-coach demo`) until the agent quits."""
    try:
        from PySide6.QtWidgets import QApplication, QSystemTrayIcon
    except ImportError as exc:   # e.g. the server's install (`pip install 'hangup-coach[server]'`)
        print(f"hangup-coach: the card needs Qt ({exc}): install 'hangup-coach[card]' (pip) or the "
              "hangup-coach package (apt)", file=sys.stderr)
        return 2

    from ..app.logging_setup import hold_log_records, route_qt_messages, setup_logging
    from ..app.resources import load_texts, pick_language
    from ..app.settings import Settings
    from ..app.single_instance import InstanceLock
    from ..ui.card_shell import CardShell, default_position

    paths = AppPaths.detect()
    paths.make_private()   # umask 077 and private folders before the first file is made
    hold_log_records()     # the log file is opened once the first frame is on screen
    route_qt_messages()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("hangup-coach")
    app.setQuitOnLastWindowClosed(False)
    settings = Settings(paths.settings_file, machine=paths.machine_settings_file)
    if args.autostart and not settings.get("autostart"):   # this agent switched it off (Settings)
        setup_logging(paths.log_file, args.verbose)
        log.info("started by the session's autostart entry, which this user switched off: not starting")
        return 0
    demo = args.command == "demo"
    db_path = paths.database(args.db, demo=demo)
    lock = InstanceLock(paths.data, str(db_path))
    if not lock.acquire():
        from ..app.single_instance import ask_running_instance_to_show
        if ask_running_instance_to_show(str(db_path)):
            print("hangup-coach is already running; its card was brought forward.")
            return 0
        print(f"hangup-coach: another card for {db_path} is running but does not answer; close it (or end it "
              "in the task manager) and start again", file=sys.stderr)
        return 1
    scale = settings.get("card_scale")
    softphone = demo or bool(args.softphone if args.softphone is not None else settings.get("softphone"))
    language = pick_language(args.lang or settings.get("language"))
    shell = CardShell(load_texts(language, cache=paths.data / f"texts-{language}.json"), scale,
                      "offline" if softphone else "manual", tray=QSystemTrayIcon.isSystemTrayAvailable())
    shell.move(settings.card_position() or default_position(shell.width()))
    painted_at = shell.show_and_paint()
    setup_logging(paths.log_file, args.verbose)
    from ..app.single_instance import InstanceServer
    instance = InstanceServer(str(db_path), app)   # a second launch finds this card from now on

    from .card_app import CannotStart, CardApp   # the rest of the app: after the first frame
    try:
        card_app = CardApp(args, paths, settings, db_path, app, _T0_WALL, painted_at)
    except CannotStart as exc:
        shell.close()
        log.error("cannot start: %s", exc)
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 2
    instance.show_requested.connect(card_app.show_card)
    return card_app.run(shell)
