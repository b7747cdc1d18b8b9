"""Start-up: `hangup-coach calls` (no Qt) and the card (`run_card`, parts in card_app.py)."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

from ..store.db import StoreError, open_db
from ..store.calls import CallStore
from ..app.cli import print_calls
from ..app.paths import AppPaths

log = logging.getLogger(__name__)
_T0_WALL = time.time()


def list_calls(args: argparse.Namespace) -> int:
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
    from ..app.settings import Settings
    from ..app.single_instance import InstanceServer, ask_running_instance_to_show
    from .card_app import CannotStart, CardApp, start_qt

    paths = AppPaths.detect()
    paths.make_private()   # umask 077 and private folders before the first file is made
    app = start_qt(paths, args.verbose)
    settings = Settings(paths.settings_file, machine=paths.machine_settings_file)
    db_path = paths.database(args.db, demo=args.command == "demo")
    if ask_running_instance_to_show(str(db_path)):
        print("hangup-coach is already running; its card was brought forward.")
        return 0
    instance = InstanceServer(str(db_path), app)
    try:
        card_app = CardApp(args, paths, settings, db_path, app, _T0_WALL)
    except CannotStart as exc:
        log.error("cannot start: %s", exc)
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 2
    instance.show_requested.connect(card_app.show_card)
    return card_app.run()
