"""Building the app: paths, logging, settings, store, softphone, controller, card, tray."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
from pathlib import Path

from ..core.phone import normalise
from ..core.policy import PolicyError
from ..core.scripts import ScriptError
from ..store.db import StoreError, open_db
from ..store.calls import CallStore
from ..app.cli import print_calls
from ..app.paths import AppPaths

log = logging.getLogger(__name__)
_T0_WALL = time.time()


def list_calls(args: argparse.Namespace) -> int:
    paths = AppPaths.detect()
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
        print_calls(store.list_calls(since=args.since), args.format, args.unmasked)
        sys.stdout.flush()
    except BrokenPipeError:   # `calls | head`: the reader has all it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())   # no second error at exit
    return 0


def run_card(args: argparse.Namespace) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from ..ui.card import CoachCard
    from ..ui.error_report import ErrorReporter
    from ..ui.hotkeys import system_hotkeys
    from ..ui.qt_translations import install_qt_translations
    from ..ui.tray import make_tray
    from ..app.controller import Controller, Fill
    from ..app.logging_setup import install_excepthook, route_qt_messages, setup_logging
    from ..app.qt_clock import QtScheduler, SystemClock, keep_gui_thread_responsive
    from ..app.resources import centre_file, load_policy, load_scripts, load_texts, pick_language, resource_path
    from ..app.settings import Settings
    from ..app.single_instance import InstanceServer, ask_running_instance_to_show

    demo = args.command == "demo"
    paths = AppPaths.detect()
    setup_logging(paths.log_file, args.verbose)
    route_qt_messages()
    keep_gui_thread_responsive()
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("hangup-coach")
    app.setQuitOnLastWindowClosed(False)
    icon = QIcon(str(resource_path("icons", "hangup-coach.svg")))
    app.setWindowIcon(icon)

    settings = Settings(paths.settings_file)
    db_path = paths.database(args.db, demo=demo)
    if ask_running_instance_to_show(str(db_path)):
        print("hangup-coach is already running; its card was brought forward.")
        return 0
    instance = InstanceServer(str(db_path), app)

    language = pick_language(args.lang or settings.get("language"))
    texts = load_texts(language)
    install_qt_translations(app, language)
    try:
        policy = load_policy(centre_file(paths.config, "policy.toml"))
        scripts = load_scripts(language, paths.config)
    except (PolicyError, ScriptError) as exc:
        log.error("cannot start: %s", exc)
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 2

    speed = getattr(args, "speed", 1.0) if demo else 1.0
    clock = SystemClock(speed)
    scheduler = QtScheduler(app, speed)
    softphone = None
    if demo:
        from ..telephony.simulator import SimulatedLine
        softphone = SimulatedLine(app)
    else:
        url = args.softphone if args.softphone is not None else settings.get("softphone")
        if url:
            from ..telephony.factory import softphone_from_url
            try:
                softphone = softphone_from_url(url, app)
            except ValueError as exc:
                print(f"hangup-coach: {exc}", file=sys.stderr)
                return 2

    shift = None
    if demo:
        from .demo import Shift, ShiftError
        try:
            shift = Shift.load(Path(args.shift) if args.shift else resource_path("demo", "shift.toml"))
        except (OSError, ShiftError, KeyError) as exc:
            print(f"hangup-coach: bad demo shift: {exc}", file=sys.stderr)
            return 2
    agent_id = shift.agent_id if shift else settings.get("agent_id")
    fill = Fill(agent_id=agent_id, branch_hours=settings.get("branch_hours"), hotline=settings.get("hotline"))
    controller = Controller(None, policy, scripts, clock, scheduler, fill, softphone, app)  # store: open_store()
    card = CoachCard(controller, texts, settings.get("card_scale"))
    card.set_keys(settings.hotkeys())
    position = settings.card_position()
    if position is not None:
        card.move(position)
        card.keep_on_screen()   # the monitor it was saved on may be gone (an undocked laptop)
    else:
        geometry = app.primaryScreen().availableGeometry()
        card.move(geometry.right() - card.width() - 24, geometry.top() + 80)
    card.position_changed.connect(settings.save_card_position)

    def show_card() -> None:
        card.show()
        card.raise_()
        card.keep_on_screen()

    def open_settings() -> None:
        from ..telephony.factory import softphone_from_url
        from ..ui.settings_dialog import SettingsDialog
        SettingsDialog(settings, texts, validate_softphone=lambda url: softphone_from_url(url, None)).exec()
        card.set_scale(settings.get("card_scale"))
        card.set_keys(settings.hotkeys())
        controller.fill.branch_hours = settings.get("branch_hours")
        controller.fill.hotline = settings.get("hotline")
        card.render()

    def quit_app() -> None:
        card.flush_note()
        app.quit()

    tray = make_tray(icon, texts, show_card, open_settings, quit_app)
    card.hide_button.setVisible(tray is not None)   # without a tray a hidden card could not come back
    card.settings_requested.connect(open_settings)
    card.quit_requested.connect(quit_app)
    instance.show_requested.connect(show_card)
    app.aboutToQuit.connect(card.flush_note)

    install_excepthook(ErrorReporter(card, texts, paths.log_file).report)
    card.show()
    shown_at, alive = [], []   # alive: objects made in callbacks that must outlive them
    QTimer.singleShot(0, lambda: shown_at.append(time.time()))   # the card's first event-loop turn

    def open_store() -> None:
        """Open the database once the card is on screen: sqlite-utils' import and the migrations
        take ~200 ms. Queued input waits meanwhile; the softphone starts only after."""
        try:
            store = CallStore(open_db(db_path))
        except StoreError as exc:
            log.error("cannot start: %s", exc)
            print(f"hangup-coach: {exc}", file=sys.stderr)
            app.exit(2)
            return
        controller.attach_store(store)
        normalise("13800138000")  # loads phonenumbers now rather than on the first ring
        if softphone is not None:
            softphone.start()
        log.info("card shown (db %s, language %s, softphone %s)", db_path, language,
                 type(softphone).__name__ if softphone else "manual")
        if args.smoke:
            # Wall-clock epochs, so a benchmark can subtract the moment it started the process.
            print(f"card shown at {shown_at[0]:.6f}, ready at {time.time():.6f}, "
                  f"{(time.time() - _T0_WALL) * 1000:.0f} ms after import", flush=True)
            app.quit()
        if demo:
            alive.append(start_demo(store))

    def start_demo(store: CallStore):
        from .demo import ShiftPlayer, seed_history
        seed_history(store, shift, controller)
        player = ShiftPlayer(shift, softphone, card, controller, scheduler, app)

        def shift_over(count: int) -> None:
            done = texts["demo_done"].format(count=count, seeded=len(shift.seed.get("calls", [])))
            card.status.setText(done)
            print(done)
            if args.exit_when_done:
                QTimer.singleShot(0, quit_app)
        player.finished.connect(shift_over)
        player.start()
        return player

    QTimer.singleShot(0, open_store)
    QTimer.singleShot(0, lambda: card.use_hotkeys(system_hotkeys(app.platformName(), int(card.winId()))))

    rc = app.exec()
    card.flush_note()
    if tray is not None:
        tray.hide()
    return rc
