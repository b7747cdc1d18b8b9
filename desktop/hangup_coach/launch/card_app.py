"""The running card: builds the parts from settings and resources while the card's shell is on
screen (launch/main.py), wires them together, shows the card in the shell's place, and opens the
store one event-loop turn later."""

from __future__ import annotations

import argparse
import gc
import logging
import sys
import time
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication

from ..app.controller import Controller, Fill
from ..app.logging_setup import install_excepthook
from ..app.paths import AppPaths
from ..app.qt_clock import QtScheduler, SystemClock, keep_gui_thread_responsive
from ..app.resources import (NotAFile, centre_file, load_policy, load_scripts, load_texts, pick_language,
                             resource_path)
from ..app.settings import Settings
from ..core.phone import normalise
from ..core.policy import PolicyError
from ..core.scripts import ScriptError
from ..store.db import StoreError, set_aside
from ..ui.card import CoachCard
from ..ui.card_shell import default_position
from ..ui.error_report import ErrorReporter
from ..ui.hotkeys import system_hotkeys
from ..ui.qt_translations import install_qt_translations
from ..ui.tray import make_tray

log = logging.getLogger(__name__)


class CannotStart(Exception):
    """A file or setting the card cannot start with; the message says which and why."""


class CardApp:
    def __init__(self, args: argparse.Namespace, paths: AppPaths, settings: Settings, db_path: Path,
                 app: QApplication, started_at: float, shown_at: float) -> None:
        self.args, self.paths, self.settings, self.db_path, self.app = args, paths, settings, db_path, app
        self.started_at = started_at
        self.shown_at = shown_at   # the card's first frame (its shell), epoch seconds
        keep_gui_thread_responsive()
        app.setWindowIcon(QIcon(str(resource_path("icons", "hangup-coach.svg"))))
        self.demo = args.command == "demo"
        self.language = pick_language(args.lang or settings.get("language"))
        self.texts = load_texts(self.language, cache=paths.data / f"texts-{self.language}.json")
        install_qt_translations(app, self.language)
        self.policy, self.scripts = self._centre_files()
        speed = getattr(args, "speed", 1.0) if self.demo else 1.0
        self.clock, self.scheduler = SystemClock(speed), QtScheduler(app, speed)
        self.softphone = self._softphone()
        self.shift = self._shift()
        self.controller = Controller(None, self.policy, self.scripts, self.clock, self.scheduler, self._fill(),
                                     self.softphone, app)   # the store comes in open_store()
        self.card = self._card()
        if "softphone" in settings.fell_back:   # a bad URL in settings.ini: manual mode, and the card says why
            self.controller.problem.emit(self.texts["softphone_setting_bad"])
        from .reports import tray_entries   # My day; Dashboard for a lead (windows made on first use)
        review = tray_entries(db_path, self.policy, self.language, self.controller.fill.agent_id, settings.get("role"),
                              moved=self.controller.store_file_event)   # they read where the calls are now
        self._review_queue = None
        if settings.get("role") in ("lead", "manager"):   # the blocklist's review queue, from ☰ and the tray
            review.append((self.texts["review_queue"], self.open_review_queue))
            first = self.card.card_menu.actions()[0]
            self.card.card_menu.insertAction(first, self.card.card_menu.addAction(self.texts["review_queue"],
                                                                                  self.open_review_queue))
        self.tray = make_tray(app.windowIcon(), self.texts, self.show_card, self.open_settings, self.quit_app,
                              extra=review)
        self._wire()
        self.player = None
        self.sync = None
        self.first_run = None   # the agent-number prompt, on a first run

    # ----- building ------------------------------------------------------------------------------
    def _centre_files(self):
        try:
            machine = self.paths.machine   # IT's machine-wide folder; the agent's own files win
            return (load_policy(centre_file(self.paths.config, "policy.toml", machine_dir=machine)),
                    load_scripts(self.language, self.paths.config, machine))
        except (PolicyError, ScriptError, NotAFile) as exc:
            raise CannotStart(str(exc)) from exc

    def _softphone(self):
        if self.demo:
            from ..telephony.simulator import SimulatedLine
            return SimulatedLine(self.app)
        url = self.args.softphone if self.args.softphone is not None else self.settings.get("softphone")
        if not url:
            return None   # manual mode
        from ..app.settings import cti_token
        from ..telephony.factory import softphone_from_url
        try:
            token = cti_token(self.paths.config) if url.strip().startswith("json:") else None
            return softphone_from_url(url, self.app, token)
        except ValueError as exc:
            raise CannotStart(str(exc)) from exc

    def _shift(self):
        if not self.demo:
            return None
        from .demo import Shift, ShiftError
        try:
            return Shift.load(Path(self.args.shift) if self.args.shift else resource_path("demo", "shift.toml"))
        except (OSError, ShiftError, KeyError) as exc:
            raise CannotStart(f"bad demo shift: {exc}") from exc

    def _fill(self) -> Fill:
        s = self.settings
        agent_id = self.shift.agent_id if self.shift else s.get("agent_id")
        return Fill(agent_id=agent_id, branch_hours=s.get("branch_hours"))

    def _card(self) -> CoachCard:
        card = CoachCard(self.controller, self.texts, self.settings.get("card_scale"))
        card.set_keys(self.settings.hotkeys())
        card.place_at(self.settings.card_position() or default_position(card.width()))   # kept on screen: the monitor it was saved on may be gone
        card.position_changed.connect(self.settings.save_card_position)
        card.end_of_wait.bell = self.settings.get("end_of_wait_bell")
        return card

    def _wire(self) -> None:
        card = self.card
        card.hide_button.setVisible(self.tray is not None)   # without a tray a hidden card could not come back
        card.settings_requested.connect(self.open_settings)
        card.quit_requested.connect(self.quit_app)
        self.app.aboutToQuit.connect(card.flush_note)
        self.controller.store_ready.connect(self.store_ready)
        self.controller.store_refused.connect(self.store_refused)
        install_excepthook(ErrorReporter(card, self.texts, self.paths.log_file).report)

    # ----- what the agent asks for ----------------------------------------------------------------
    def show_card(self) -> None:
        self.card.show()
        self.card.raise_()
        self.card.keep_on_screen()

    def open_settings(self) -> None:
        from ..sync.credentials import Credentials
        from ..telephony.factory import softphone_from_url
        from ..ui.settings_dialog import SettingsDialog
        s = self.settings
        SettingsDialog(s, self.texts, validate_softphone=lambda url: softphone_from_url(url, None),
                       sync_server=Credentials(self.paths.config).server()).exec()
        self.card.set_scale(s.get("card_scale"))
        self.card.set_keys(s.hotkeys())
        self.card.end_of_wait.bell = s.get("end_of_wait_bell")
        self.controller.fill.branch_hours = s.get("branch_hours")
        if s.get("agent_id") != self.controller.fill.agent_id and not self.demo:
            self.controller.set_agent_id(s.get("agent_id"))
        self.card.render()

    def open_review_queue(self) -> None:
        if self._review_queue is None:
            from ..app.blocklist_remote import BlocklistRemote
            from ..app.blocklist_server import BlocklistServer
            from ..ui.review_queue import ReviewQueueWindow
            remote = BlocklistRemote(lambda: BlocklistServer(self.paths), self.app)
            self._review_queue = ReviewQueueWindow(remote, self.texts, self.scripts.label, self.policy.region)
        self._review_queue.show()
        self._review_queue.raise_()
        self._review_queue.activateWindow()
        self._review_queue.reload()

    def quit_app(self) -> None:
        self.card.flush_note()
        self.app.quit()

    def save_now(self) -> None:
        """The desktop session is ending: the note and every change to the database (or the
        journal) now, in case the session does not wait for the card to quit."""
        self.card.flush_note()
        if self.controller.worker is not None:
            self.controller.worker.wait_saved(2.0)

    # ----- running ---------------------------------------------------------------------------------
    def run(self, shell=None) -> int:
        """The card replaces `shell` (drawn at the same place with the same header) and runs."""
        from ..app.graceful_end import end_gracefully
        end_gracefully(self.app, self.quit_app, self.save_now)
        self.card.show()
        if shell is not None:
            shell.close()
            shell.deleteLater()
        gc.freeze()   # what start-up built (Qt bindings, modules, the card) lives on: full collections
                      # skip it instead of pausing the card for ~0.1 s in the middle of a burst of calls
        QTimer.singleShot(0, self._first_turn)
        rc = self.app.exec()
        self.card.flush_note()
        self.controller.close()   # a last write; anything the database refuses stays in the journal
        if self.tray is not None:
            self.tray.hide()
        return rc

    def _first_turn(self) -> None:
        """The card's first event-loop turn: it is on screen; now the slower parts."""
        self.open_store()
        self.ask_agent_number()
        self.card.use_hotkeys(system_hotkeys(self.app.platformName(), int(self.card.winId())))

    def ask_agent_number(self) -> None:
        """First run: no agent number yet (the demo has its own). Calls may come meanwhile: they
        are kept and take the number when it is given."""
        if self.demo or self.settings.get("agent_id") or self.args.smoke:
            return
        from ..ui.first_run import AgentNumberPrompt

        def given(number: str) -> None:
            self.settings.set("agent_id", number)
            self.controller.set_agent_id(number)
        self.first_run = AgentNumberPrompt(self.texts, given, beside=self.card)
        self.first_run.show()

    def open_store(self) -> None:
        """Open the database in the store worker once the card is on screen (sqlite-utils' import,
        the migrations and quick_check stay off the GUI thread); the softphone starts once it is ready."""
        from ..app.store_worker import StoreWorker
        self.controller.attach_worker(StoreWorker(self.db_path))

    def store_ready(self) -> None:
        normalise("13800138000")  # loads phonenumbers now rather than on the first ring
        if not self.demo:  # the demo shift never reaches a real server
            from ..app.sync_setup import start_sync
            self.sync = start_sync(self.paths, self.db_path, self.controller, self.card, self.tray, self.texts,
                                   self.app)
        if self.softphone is not None:
            self.softphone.start()
        log.info("card shown (db %s, language %s, softphone %s)", self.db_path, self.language,
                 type(self.softphone).__name__ if self.softphone else "manual")
        if self.args.smoke:
            # Wall-clock epochs, so a benchmark can subtract the moment it started the process.
            print(f"card shown at {self.shown_at:.6f}, ready at {time.time():.6f}, "
                  f"{(time.time() - self.started_at) * 1000:.0f} ms after import", flush=True)
            self.app.quit()
        if self.demo:
            self.start_demo()

    def store_refused(self, exc: StoreError) -> None:
        """Never a card that pretends to save: say what is wrong and what to do, then exit 2."""
        from ..ui.startup_refusal import StartupRefusal
        print(f"hangup-coach: {exc}", file=sys.stderr)
        self.card.hide()
        if not self.args.smoke and StartupRefusal(exc, self.texts).wants_new_database():
            aside = set_aside(self.db_path, time.strftime("%Y%m%d-%H%M%S"))
            log.warning("damaged call database kept aside as %s; starting a new one", aside)
            self.card.show()
            self.open_store()
            return
        self.app.exit(2)

    def start_demo(self) -> None:
        from .demo import ShiftPlayer, seed_history
        self.controller.worker.call(lambda store: seed_history(store, self.shift, self.controller), timeout=30)
        self.player = ShiftPlayer(self.shift, self.softphone, self.card, self.controller, self.scheduler, self.app,
                                  by_hand=self.args.by_hand)
        self.player.finished.connect(self.shift_over)
        self.player.start()

    def shift_over(self, count: int) -> None:
        done = self.texts["demo_done"].format(count=count, seeded=len(self.shift.seed.get("calls", [])))
        self.card.status.setText(done)
        print(done)
        if self.args.exit_when_done:
            QTimer.singleShot(0, self.quit_app)
