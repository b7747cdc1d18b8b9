"""`hangup-coach qa review BATCH`: the review window on a batch kept on this PC.

The batch is pulled first when the server answers; without it the window works on the copy
pulled earlier. Reviews are saved locally and queued in the outbox; closing the window pushes
them once (the card's sync worker pushes whatever is left).
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime, timezone


def run_review(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from ..app import qa_cli
    from ..app.paths import AppPaths
    from ..app.qa import batch_form, load_qa_texts
    from ..app.resources import load_policy, pick_language
    from ..app.settings import Settings
    from ..core.qa_form import FormError
    from ..core.qa_recordings import RecordingConfigError, RecordingSource
    from ..store import qa as qa_store
    from ..store.db import open_db
    from ..sync.client import SyncFailure
    from ..ui.qa_review import ReviewWindow

    paths = AppPaths.detect()
    paths.make_private()
    try:
        qa_cli.pull_batch(args)
    except (SyncFailure, ValueError) as exc:
        print(f"hangup-coach: working offline on the batch kept on this PC ({exc})", file=sys.stderr)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    settings = Settings(paths.settings_file, machine=paths.machine_settings_file)
    db = open_db(paths.database(args.db))
    batch = qa_store.batch(db, args.batch_id)
    if batch is None:
        print(f"hangup-coach: batch {args.batch_id} is not on this PC; pull it once online", file=sys.stderr)
        return 2
    try:
        form = batch_form(batch, paths.config)
        source = RecordingSource.parse(settings.get("recordings"))
    except (FormError, RecordingConfigError) as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return 2
    lang = pick_language(args.lang or settings.get("language"))
    offset = int(datetime.now().astimezone().utcoffset().total_seconds() // 60)
    window = ReviewWindow(db, batch["id"], form, load_policy(), load_qa_texts(lang), lang, settings.get("agent_id"),
                          source, paths.data / "recordings", offset,
                          lambda: datetime.now(timezone.utc).isoformat(timespec="microseconds"))
    window.show()
    app.exec()
    db.conn.close()
    return 0
