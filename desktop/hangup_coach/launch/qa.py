"""The QA windows' wiring: `hangup-coach qa review BATCH`, `qa setup`, and the dashboard's way from
an agent's figures to their calls.

The review window works on a batch kept on this PC: it is pulled first when the server answers,
and without it the window works on the copy pulled earlier. Reviews are saved locally and queued
in the outbox (the card's sync worker, or `hangup-coach sync --once`, pushes them).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, datetime, timezone


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def _offset_minutes() -> int:
    return int(datetime.now().astimezone().utcoffset().total_seconds() // 60)


def run_review(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from ..app import qa_cli
    from ..sync.client import SyncFailure

    try:
        qa_cli.pull_batch(args)
    except (SyncFailure, ValueError) as exc:
        print(f"hangup-coach: working offline on the batch kept on this PC ({exc})", file=sys.stderr)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = open_review(args.batch_id, args.db, args.lang)
    if window is None:
        return 2
    app.exec()
    return 0


def open_review(batch_id: str, db_override: str | None = None, lang: str | None = None):
    """`qa review BATCH`: the review window on a batch of this PC's database (shown), or None after
    saying why not. Read before the window exists (the command's start, not the GUI thread's work)."""
    from ..app.paths import AppPaths
    from ..app.qa import batch_form
    from ..core.qa_form import FormError
    from ..store import qa as qa_store
    from ..store.db import open_db

    paths = AppPaths.detect()
    database = paths.database(db_override)
    db = open_db(database)
    try:
        batch = qa_store.batch(db, batch_id)
    finally:
        db.conn.close()
    if batch is None:
        print(f"hangup-coach: batch {batch_id} is not on this PC; pull it once online", file=sys.stderr)
        return None
    try:
        form = batch_form(batch, paths.config)
    except FormError as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return None
    return review_window(database, batch["id"], form, lang)


def review_window(database, batch_id: str | None, form, lang: str | None, calls: list | None = None):
    """The review window (shown) on this PC's file: a batch's calls, read by the window's own
    threads, or (`batch_id` None) the `calls` given, to browse. None when the recordings setting
    is wrong (said)."""
    from PySide6.QtCore import Qt

    from ..app.paths import AppPaths
    from ..app.qa import load_qa_texts
    from ..app.resources import load_policy, pick_language
    from ..app.settings import Settings
    from ..core.qa_recordings import RecordingConfigError, RecordingSource
    from ..ui.qa_review import ReviewWindow

    paths = AppPaths.detect()
    paths.make_private()
    settings = Settings(paths.settings_file, machine=paths.machine_settings_file)
    try:
        source = RecordingSource.parse(settings.get("recordings"))
    except RecordingConfigError as exc:
        if batch_id is not None:
            print(f"hangup-coach: {exc}", file=sys.stderr)
            return None
        source = RecordingSource("none")               # browsing goes on without recordings
    lang = pick_language(lang or settings.get("language"))
    window = ReviewWindow(database, batch_id, form, load_policy(), load_qa_texts(lang), lang, settings.get("agent_id"),
                          source, paths.data / "recordings", _offset_minutes(), _now, calls=calls,
                          download=_server_download)
    window.setAttribute(Qt.WA_DeleteOnClose)
    window.show()
    return window


def _server_download(call_id: str) -> bytes | None:
    """The recording a card uploaded (recordings = server), with this PC's login (worker thread)."""
    from ..app import qa_cli

    with qa_cli._client() as client:
        return client.download_recording(call_id)


def open_setup(lang: str | None = None, agents: tuple[str, ...] = (), since: date | None = None,
               until: date | None = None, outcomes: tuple[str, ...] = (), calls: list[str] | None = None,
               database=None):
    """The batch set-up window; drawing a batch keeps it in `database` (the file the calls behind a
    figure were read from; this PC's file by default) and opens the review window on it there."""
    from ..app import qa_cli
    from ..app.paths import AppPaths
    from ..app.qa import batch_form, form_files, load_form, load_qa_texts
    from ..app.resources import pick_language
    from ..app.settings import Settings
    from ..store import qa as qa_store
    from ..store.db import open_db
    from ..ui.qa_batch_setup import BatchSetup

    paths = AppPaths.detect()
    database = database or paths.database()
    settings = Settings(paths.settings_file, machine=paths.machine_settings_file)
    lang = pick_language(lang or settings.get("language"))
    forms = [load_form(name, paths.config) for name in form_files(paths.config)]
    opened, drawn_forms = [], {}

    def create(body: dict) -> tuple[str, int]:          # on the set-up's thread (no Qt object here)
        with qa_cli._client() as client:
            batch = client.qa("POST", "batches", body)
        db = open_db(database)
        try:
            qa_store.save_batch(db, batch, _now())
            kept = qa_store.batch(db, batch["id"])   # the form as kept (batch_form reads the kept row's fields)
        finally:
            db.conn.close()
        drawn_forms[batch["id"]] = batch_form(kept, paths.config)
        return batch["id"], len(batch["calls"])

    def drawn(batch_id: str, count: int) -> None:        # back on the GUI thread
        form = drawn_forms.pop(batch_id)
        if count:
            opened.append(review_window(database, batch_id, form, lang))

    window = BatchSetup(load_qa_texts(lang), lang, forms, create, date.today(), since, until, agents, outcomes, calls)
    window.drawn.connect(drawn)
    window.opened = opened   # keeps the review windows alive with it
    window.show()
    return window


def run_sheet(args: argparse.Namespace) -> int:
    """`qa sheet ID --show`: written as asked, then shown in its window until closed."""
    from PySide6.QtWidgets import QApplication

    from ..app import qa_cli
    from ..ui.qa_sheet_window import SheetWindow

    def show(texts: dict, page: str, csv_text: str, name: str) -> None:
        app = QApplication.instance() or QApplication(sys.argv[:1])
        window = SheetWindow(texts, page, csv_text, name)
        window.show()
        app.exec()

    return qa_cli.run(args, lambda a: qa_cli.write_sheet(a, show))


def run_setup(args: argparse.Namespace) -> int:
    from PySide6.QtWidgets import QApplication

    from ..app.paths import AppPaths

    app = QApplication.instance() or QApplication(sys.argv[:1])
    window = open_setup(args.lang, database=AppPaths.detect().database(args.db))   # noqa: F841 (kept alive)
    app.exec()
    return 0


# the figure behind which the dashboard opens an agent's calls: the early hang-ups
DASHBOARD_OUTCOME = "agent_before_allowed"


def calls_behind(db_path, agent_id: str, first: date, last: date, outcome: str = DASHBOARD_OUTCOME) -> list:
    """The agent's calls of the period (the lead's file: own and team-pull calls) with that outcome,
    with their notes, as the review window shows them (store.qa.BatchCall)."""
    from datetime import timedelta

    from ..core.qa_sample import outcome_of
    from ..store.db import open_db
    from ..store.qa import BatchCall

    db = open_db(db_path)
    try:
        cursor = db.execute("SELECT * FROM review_calls WHERE agent_id = ? AND started_at >= ? AND started_at < ?"
                            " ORDER BY started_at", [agent_id, first.isoformat(), (last + timedelta(days=1)).isoformat()])
        names = [d[0] for d in cursor.description]
        rows = [r for r in (dict(zip(names, values)) for values in cursor.fetchall()) if outcome_of(r) == outcome]
        notes = dict(db.execute("SELECT call_id, text FROM notes UNION ALL SELECT call_id, text FROM team_notes")
                     .fetchall()) if rows else {}
    finally:
        db.conn.close()
    return [BatchCall(n, r["id"], r["agent_id"], outcome, r, notes.get(r["id"], "")) for n, r in enumerate(rows)]


def calls_behind_figure(db_path, agent_id: str, first: date, last: date, outcome: str = DASHBOARD_OUTCOME) -> list[str]:
    return [c.call_id for c in calls_behind(db_path, agent_id, first, last, outcome)]


def open_browse(calls: list, index: int, lang: str, database):
    """The review window on calls without a batch (listen and read; nothing is scored), on the file
    they were read from."""
    from ..app.paths import AppPaths
    from ..app.qa import load_form

    window = review_window(database, None, load_form("standard", AppPaths.detect().config), lang, calls)
    window.show_call(index)
    return window


def open_figure_calls(db_path, language: str, agent_id: str, first: date, last: date,
                      outcome: str = DASHBOARD_OUTCOME):
    """The calls behind a figure of one agent's period (changeable in the window), read from
    `db_path` (where the card's calls are when it opens: a followed "kept elsewhere" file too); they
    open in the review window, and a batch can be started from them, both on that same file."""
    from PySide6.QtCore import Qt

    from ..app.qa import load_qa_texts
    from ..ui.qa_figure_calls import FigureCalls

    opened = []
    window = FigureCalls(load_qa_texts(language), agent_id, first, last, outcome,
                         lambda o, since, until: calls_behind(db_path, agent_id, since, until, o), _offset_minutes())
    window.open_calls.connect(lambda calls, index: opened.append(open_browse(calls, index, language, db_path)))
    window.start_batch.connect(lambda o, ids, since, until: opened.append(
        open_setup(language, (agent_id,), since, until, (o,), ids, database=db_path)))
    window.opened = opened     # keeps the windows it opened alive with it
    window.setAttribute(Qt.WA_DeleteOnClose)
    window.show()
    return window


def connect_dashboard(dashboard, language: str) -> None:
    """Enter or a double click on an agent's row opens that agent's calls behind a figure (the early
    hang-ups of the dashboard's period first): browse them in the review window, or start a batch."""
    opened = []

    def open_agent(agent_id: str) -> None:
        first, last = dashboard.first.date().toPython(), dashboard.last.date().toPython()
        opened.append(open_figure_calls(dashboard.loader.db_path, language, agent_id, first, last))   # followed

    dashboard.agent_table.agent_activated.connect(open_agent)
    dashboard.qa_windows = opened


def attach_my_calls(my_day, language: str, agent_id: str, today: date) -> None:
    """My day gains a button to the agent's own calls behind the figures: this week's first, any
    period chosen in the window (last week's, say)."""
    from datetime import timedelta

    from PySide6.QtWidgets import QPushButton

    from ..app.qa import load_qa_texts

    button = QPushButton(load_qa_texts(language)["my_calls_button"])
    opened = []
    button.clicked.connect(lambda: opened.append(open_figure_calls(   # where the card's calls are now
        my_day.loader.db_path, language, agent_id, today - timedelta(days=today.weekday()), today)))
    my_day.layout().addWidget(button)
    my_day.my_calls_button, my_day.qa_windows = button, opened


def attach_coaching(my_day, language: str) -> None:
    """My day gains the agent's own reviews and actions, fetched from the server as this user's device."""
    from ..app import qa_cli
    from ..app.qa import load_form, load_qa_texts
    from ..core.qa_form import FormError
    from ..ui.qa_coaching import MyCoaching

    try:
        form = load_form("standard")
    except FormError:
        form = None

    def label(role: str, key: str) -> str:
        field = form.by_role(role) if form else None
        try:
            return field.option(key).label(language) if field else key
        except KeyError:
            return key

    def fetch():
        with qa_cli._client() as client:
            return client.qa("GET", "my-reviews")["reviews"], client.qa("GET", "actions")["actions"]

    my_day.coaching = MyCoaching(load_qa_texts(language), label, fetch)
    my_day.layout().addWidget(my_day.coaching)
