"""Starting the sync worker for the card, when this card has logged in to a server.

The worker's status goes to a small label on the card and to the tray's tooltip; the card's
ring-time profile lookups go to the worker (off the GUI thread) and come back as a
re-classification of the call on the card.
"""

from __future__ import annotations

import logging
from pathlib import Path

from typing import TYPE_CHECKING

from ..sync.credentials import Credentials
from .paths import AppPaths

if TYPE_CHECKING:   # httpx and tenacity load only on a card that has logged in to a server
    from ..sync.worker import SyncStatus, SyncWorker

log = logging.getLogger(__name__)


def describe(status: SyncStatus, texts: dict[str, str]) -> str:
    when = status.last_success.astimezone().strftime("%H:%M") if status.last_success else texts["sync_never"]
    return texts[f"sync_{status.state}"].format(time=when, pending=max(status.pending, 0))


def clock_warning(skew: float | None, texts: dict[str, str]) -> str:
    """What the card says when this machine's clock is minutes off the server's ("" when it is not).
    `skew` is the server's clock minus ours: positive means ours is slow."""
    if not skew:
        return ""
    minutes = abs(skew) / 60
    if minutes < 120:
        amount = texts["clock_minutes"].format(n=round(minutes))
    elif minutes < 48 * 60:
        amount = texts["clock_hours"].format(n=round(minutes / 60))
    else:
        amount = texts["clock_days"].format(n=round(minutes / 1440))
    return texts["clock_slow" if skew > 0 else "clock_fast"].format(amount=amount)


def start_sync(paths: AppPaths, db_path: Path, controller, card, tray, texts: dict[str, str], app) -> SyncWorker | None:
    credentials = Credentials(paths.config)
    server = credentials.server()
    if server is None:
        return None   # never logged in: the card works alone, as before
    from ..sync.worker import SyncWorker
    from .recording_upload import uploader
    worker = SyncWorker(db_path, credentials.load, parent=app, uploader=uploader(paths))   # where turned on

    def show(status: SyncStatus) -> None:
        text = describe(status, texts)
        card.set_sync_status(text, f"{server}\n{status.detail}".strip(), status.state in ("offline", "refused", "expired"))
        card.set_clock_warning(clock_warning(status.clock_skew, texts))
        if tray is not None:
            tray.setToolTip(f"{texts['app_name']} · {text}")

    worker.status_changed.connect(show)
    worker.profile_arrived.connect(controller.profile_arrived)
    controller.store_file_event.connect(worker.database_moved)   # the calls went into another file
    controller.lookup_profile = worker.lookup
    app.aboutToQuit.connect(worker.stop)
    worker.start()
    log.info("syncing with %s", server)
    return worker
