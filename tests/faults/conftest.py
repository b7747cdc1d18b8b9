"""Fixtures for the fault tests: the app's real pieces (store worker on a real file, controller, card)
and real filesystems (a small tmpfs for a full or read-only disk; CI runs as root)."""

import dataclasses
import socket
import sqlite3
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hangup_coach.app.controller import Controller, Fill
from hangup_coach.app.qt_clock import QtScheduler, SystemClock
from hangup_coach.app.resources import load_policy, load_scripts, load_texts
from hangup_coach.app.store_worker import StoreWorker
from hangup_coach.ui.card import CoachCard


@dataclass
class Desk:
    controller: Controller
    card: CoachCard
    db_path: Path
    statuses: list = field(default_factory=list)     # store_status reports, in order

    def rows(self, sql="SELECT c.*, n.text AS note FROM calls c LEFT JOIN notes n ON n.call_id = c.id"
                       " ORDER BY c.started_at", params=()):
        conn = sqlite3.connect(self.db_path)
        conn.row_factory = sqlite3.Row
        try:
            return [dict(r) for r in conn.execute(sql, params)]
        finally:
            conn.close()


@pytest.fixture
def open_desk(qtbot):
    """The card as the app builds it: the database opened by the store worker, off the GUI thread."""
    made = []

    def open_(db_path: Path, softphone=None, grace: float = 0.2) -> Desk:
        policy = dataclasses.replace(load_policy(), grace_seconds=grace)
        controller = Controller(None, policy, load_scripts("en"), SystemClock(), QtScheduler(), Fill("1024"), softphone)
        card = CoachCard(controller, load_texts("en"))
        qtbot.addWidget(card)
        card.show()
        desk = Desk(controller, card, db_path)
        controller.store_status.connect(lambda kind, _detail: desk.statuses.append(kind))
        with qtbot.waitSignal(controller.store_ready, timeout=10_000):
            controller.attach_worker(StoreWorker(db_path))
        if softphone is not None:
            softphone.start()
        made.append(desk)
        return desk

    yield open_
    for desk in made:
        desk.controller.close(5)
        if desk.controller.softphone is not None:
            desk.controller.softphone.stop()


@pytest.fixture
def small_disk(tmp_path):
    """A real 8 MiB filesystem (tmpfs), unmounted afterwards. Yields its folder."""
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", str(mount)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"cannot mount a tmpfs for the disk tests (CI runs as root): {done.stderr}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_disk(folder: Path) -> Path:
    """Write a file until the filesystem is full; delete it to free the space."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:   # unbuffered: nothing left to fail at close
        try:
            while True:
                f.write(b"\0" * 65536)
                f.flush()
        except OSError:
            pass
    return filler


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopWatch:
    """Counts the GUI event loop's turns with a 20 ms timer, and the longest gap between them."""

    def __init__(self):
        from PySide6.QtCore import QTimer
        self.ticks, self.longest, self._last = 0, 0.0, time.monotonic()
        self.timer = QTimer(interval=20)
        self.timer.timeout.connect(self._tick)
        self.timer.start()

    def _tick(self):
        now = time.monotonic()
        self.longest = max(self.longest, now - self._last)
        self._last, self.ticks = now, self.ticks + 1

    def stop(self):
        self.timer.stop()
