"""`hangup-coach qa …`: review batches, their reviews, the meeting sheet and actions, as the lead
or `qa` device this user logged in with (`hangup-coach login`, per user and HANGUP_COACH_HOME).

    qa batch create --purpose problems|techniques [--since D] [--until D] [--agent ID] [--outcome KEY]
                    [--caller-class C] [--sub-reason R] --size N [--seed S] [--form NAME]     → the new batch's id alone on the last line
    qa batch show ID --format json|table                  → the sampled call ids
    qa batch export ID --format csv [--out FILE]           → the reviews, one row per reviewed call
    qa batch pull ID                                       → keep the batch on this PC for the review window
    qa review ID                                           → the review window (offline on the pulled batch)
    qa sheet ID --csv FILE --html FILE --pdf FILE          → the meeting sheet
    qa actions --format table|csv|json
    qa action add --batch ID --kind K --title T --owner O [--agent A] --due D --figure F
    qa action status ID STATUS --expected-version N
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import secrets
import sys
from datetime import date, datetime, timezone

from ..core.callers import CallerClass, SubReason
from ..core.qa_form import FormError
from ..core.qa_sample import OUTCOMES
from ..core.qa_sheet import ACTION_KINDS, ACTION_STATES, FIGURES
from .paths import AppPaths

EXIT_UNAVAILABLE, EXIT_REFUSED = 1, 2


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    qa = sub.add_parser("qa", parents=[common], help="QA review: batches, reviews, meeting sheet, actions")
    what = qa.add_subparsers(dest="qa_command", required=True)
    batch = what.add_parser("batch", parents=[common], help="review batches")
    verbs = batch.add_subparsers(dest="batch_command", required=True)
    create = verbs.add_parser("create", parents=[common], help="draw a new batch (three questions first)")
    create.add_argument("--purpose", choices=("problems", "techniques"), required=True)
    create.add_argument("--since", type=_day, help="YYYY-MM-DD (UTC), first day")
    create.add_argument("--until", type=_day, help="YYYY-MM-DD (UTC), last day")
    create.add_argument("--team", action="append", default=[],
                        help="a team to draw from (repeatable; default: every team in your QA scope)")
    create.add_argument("--agent", action="append", default=[], help="an agent id (repeatable)")
    create.add_argument("--outcome", action="append", default=[], choices=OUTCOMES, help="repeatable")
    create.add_argument("--caller-class", action="append", default=[], choices=[c.value for c in CallerClass],
                        help="repeatable")
    create.add_argument("--sub-reason", action="append", default=[], choices=[r.value for r in SubReason if r.value],
                        help="repeatable")
    create.add_argument("--size", type=int, required=True)
    create.add_argument("--seed", help="for a reproducible draw (default: a random one, stored with the batch)")
    create.add_argument("--form", default="standard", help="the review form (resources/qa/NAME.toml)")
    for verb, helptext in (("show", "the sampled calls"), ("export", "the batch's reviews"),
                           ("pull", "keep the batch on this PC"), ):
        p = verbs.add_parser(verb, parents=[common], help=helptext)
        p.add_argument("batch_id")
        if verb == "show":
            p.add_argument("--format", choices=("json", "table"), default="table")
        if verb == "export":
            p.add_argument("--format", choices=("csv",), default="csv")
            p.add_argument("--out", help="file to write (default: standard output)")
    review = what.add_parser("review", parents=[common], help="open the review window on a batch")
    review.add_argument("batch_id")
    what.add_parser("setup", parents=[common], help="the batch set-up window (three questions before listening)")
    sheet = what.add_parser("sheet", parents=[common], help="the meeting sheet of a batch")
    sheet.add_argument("batch_id")
    sheet.add_argument("--csv", metavar="FILE")
    sheet.add_argument("--html", metavar="FILE", help="a printable page")
    sheet.add_argument("--pdf", metavar="FILE", help="the printable page as an A4 PDF")
    sheet.add_argument("--show", action="store_true", help="open the sheet in a window (save it as PDF or CSV there)")
    actions = what.add_parser("actions", parents=[common], help="list the actions in your scope")
    actions.add_argument("--format", choices=("table", "csv", "json"), default="table")
    action = what.add_parser("action", parents=[common], help="create or move an action")
    averbs = action.add_subparsers(dest="action_command", required=True)
    add = averbs.add_parser("add", parents=[common])
    add.add_argument("--batch")
    add.add_argument("--kind", choices=ACTION_KINDS, required=True)
    add.add_argument("--title", required=True)
    add.add_argument("--owner", required=True)
    add.add_argument("--agent", help="the agent the action is about")
    add.add_argument("--due", type=_day, required=True)
    add.add_argument("--figure", choices=tuple(FIGURES), required=True)
    status = averbs.add_parser("status", parents=[common])
    status.add_argument("action_id")
    status.add_argument("status", choices=ACTION_STATES)
    status.add_argument("--expected-version", type=int, required=True)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from None


def run(args: argparse.Namespace, command=None) -> int:
    """`command` (default: the command line's own) with its errors said plainly, as exit codes."""
    from ..sync.client import AuthRefused, Refused, SyncFailure

    try:
        return (command or _run)(args)
    except AuthRefused as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except (Refused, FormError, ValueError) as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    except SyncFailure as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return EXIT_UNAVAILABLE


def _client():
    from ..sync.client import SyncClient
    from ..sync.credentials import Credentials

    saved = Credentials(AppPaths.detect().config).load()
    if saved is None:
        raise ValueError("not logged in; run: hangup-coach login --server URL (as a lead or qa device)")
    return SyncClient(saved.server, saved.token)


def _run(args: argparse.Namespace) -> int:
    command = args.qa_command
    if command == "batch" and args.batch_command == "create":
        return create_batch(args)
    if command == "batch" and args.batch_command == "show":
        with _client() as client:
            batch = client.qa("GET", f"batches/{args.batch_id}")
        if args.format == "json":
            shown = {k: batch[k] for k in ("id", "purpose", "filters", "size", "seed", "created_by", "created_at")}
            shown["form"] = {k: batch["form"][k] for k in ("name", "version", "fingerprint")}
            shown["calls"] = [c["call_id"] for c in batch["calls"]]
            shown["outcomes"] = {c["call_id"]: c["outcome"] for c in batch["calls"]}
            json.dump(shown, sys.stdout, ensure_ascii=False, indent=1)
            print()
        else:
            for c in batch["calls"]:
                print(f"{c['position'] + 1:>4}  {c['call_id']}  {c['agent_id']:<10}  {c['outcome']}")
        return 0
    if command == "batch" and args.batch_command == "export":
        with _client() as client:
            batch = client.qa("GET", f"batches/{args.batch_id}")
            found = client.qa("GET", f"batches/{args.batch_id}/reviews")["reviews"]
        text = reviews_csv(batch, found)
        if args.out:
            with open(args.out, "w", encoding="utf-8-sig", newline="") as f:   # BOM: Excel reads Chinese right
                f.write(text)
            print(f"{len(found)} review(s) written to {args.out}")
        else:
            sys.stdout.write(text)
        return 0
    if command == "batch" and args.batch_command == "pull":
        pulled = pull_batch(args)
        print(f"batch {pulled['id']}: {len(pulled['calls'])} calls kept on this PC")
        return 0
    if command == "sheet":
        return write_sheet(args)
    if command == "actions":
        with _client() as client:
            found = client.qa("GET", "actions")["actions"]
        print_actions(found, args.format)
        return 0
    if command == "action" and args.action_command == "add":
        body = {"kind": args.kind, "title": args.title, "owner": args.owner, "due": args.due.isoformat(),
                "figure": args.figure}
        if args.batch:
            body["batch_id"] = args.batch
        if args.agent:
            body["agent_id"] = args.agent
        with _client() as client:
            made = client.qa("POST", "actions", body)
        print(f"action {made['status']} (version {made['version']})\n{made['id']}")
        return 0
    with _client() as client:
        moved = client.qa("POST", f"actions/{args.action_id}/status",
                          {"status": args.status, "expected_version": args.expected_version})
    print(f"action {moved['id']}: {moved['status']} (version {moved['version']})")
    return 0


def create_batch(args: argparse.Namespace) -> int:
    from .qa import load_form

    form = load_form(args.form, AppPaths.detect().config)
    filters: dict = {}
    if args.since:
        filters["since"] = datetime.combine(args.since, datetime.min.time(), timezone.utc).isoformat()
    if args.until:   # the last day is included
        filters["until"] = datetime.combine(date.fromordinal(args.until.toordinal() + 1), datetime.min.time(),
                                            timezone.utc).isoformat()
    if args.agent:
        filters["agents"] = args.agent
    if args.outcome:
        filters["outcomes"] = args.outcome
    if args.caller_class:
        filters["classes"] = args.caller_class
    if args.sub_reason:
        filters["sub_reasons"] = args.sub_reason
    seed = args.seed or secrets.token_hex(4)
    body = {"purpose": args.purpose, "filters": filters, "size": args.size, "seed": seed,
            "form": {"name": form.name, "version": form.version, "source": form.source}}
    if args.team:
        body["teams"] = args.team
    with _client() as client:
        batch = client.qa("POST", "batches", body)
    print(f"{len(batch['calls'])} of {batch['size']} calls drawn (seed {batch['seed']}, form {form.name} "
          f"v{form.version}); review with: hangup-coach qa review {batch['id']}")
    print(batch["id"])
    return 0


def pull_batch(args: argparse.Namespace) -> dict:
    from ..store import qa as qa_store
    from ..store.db import open_db

    with _client() as client:
        batch = client.qa("GET", f"batches/{args.batch_id}")
    db = open_db(AppPaths.detect().database(args.db))
    try:
        qa_store.save_batch(db, batch, datetime.now(timezone.utc).isoformat())
    finally:
        db.conn.close()
    return batch


def reviews_csv(batch: dict, reviews: list[dict]) -> str:
    from ..core.qa_form import parse_form

    form = parse_form(batch["form"]["source"])
    outcomes = {c["call_id"]: c["outcome"] for c in batch["calls"]}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["batch_id", "call_id", "agent_id", "outcome", "reviewer_id", "reviewed_at",
                     *[f.key for f in form.fields]])
    for r in reviews:
        answers = r["answers"]
        writer.writerow([batch["id"], r["call_id"], r["agent_id"], outcomes.get(r["call_id"], ""), r["reviewer_id"],
                         r["updated_at"], *[";".join(v) if isinstance(v := answers.get(f.key, ""), list) else v
                                            for f in form.fields]])
    return out.getvalue()


ACTION_COLUMNS = ("id", "kind", "title", "owner", "agent_id", "due", "status", "figure", "version")


def print_actions(found: list[dict], fmt: str) -> None:
    rows = [{k: a.get(k) for k in ACTION_COLUMNS} for a in found]
    if fmt == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        print()
    elif fmt == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=ACTION_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    else:
        for a in rows:
            print(f"{a['id'][:8]}  {a['status']:<11}  {a['due']}  {a['kind']:<8}  {a['owner']:<8}  {a['figure']:<11}"
                  f"  {a['title']}")
        print(f"{len(rows)} action(s)")


def _gui_application():
    """Qt's text layout for the PDF needs a GUI application; on the command line an offscreen one."""
    import os

    from PySide6.QtGui import QGuiApplication

    if QGuiApplication.instance() is None:
        if not os.environ.get("DISPLAY") and not os.environ.get("WAYLAND_DISPLAY"):
            os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        _gui_application.app = QGuiApplication([])
    return QGuiApplication.instance()


def write_sheet(args: argparse.Namespace, show=None) -> int:
    from ..core.qa_form import parse_form
    from ..core.qa_sheet import Misfit, Review, roll_up
    from .qa import load_qa_texts
    from .qa_sheet_export import sheet_csv, sheet_html
    from .resources import load_texts, pick_language

    with _client() as client:
        batch = client.qa("GET", f"batches/{args.batch_id}")
        found = client.qa("GET", f"batches/{args.batch_id}/reviews")["reviews"]
        actions = [a for a in client.qa("GET", "actions")["actions"] if a.get("batch_id") == batch["id"]]
    form = parse_form(batch["form"]["source"])
    misfits = [Misfit(c["call_id"], c["agent_id"], c["call"]["policy_misfit"]) for c in batch["calls"]
               if c["call"].get("policy_misfit")]
    sheet = roll_up(form, [Review(r["call_id"], r["agent_id"], r["answers"]) for r in found], misfits)
    lang = pick_language(getattr(args, "lang", None))
    texts = {**load_texts(lang), **load_qa_texts(lang)}   # the card's words for the misfit reasons
    figures = {}
    db_path = AppPaths.detect().database(args.db)
    if db_path.exists():
        from ..store.db import open_db
        from .qa_sheet_export import action_figures
        from .resources import load_policy
        db = open_db(db_path)
        try:
            offset = int(datetime.now().astimezone().utcoffset().total_seconds() // 60)
            figures = action_figures(db, actions, load_policy(), date.today(), offset)
        finally:
            db.conn.close()
    if args.csv:
        with open(args.csv, "w", encoding="utf-8-sig", newline="") as f:
            f.write(sheet_csv(sheet, form, actions, lang, texts, figures))
    page = sheet_html(sheet, form, actions, texts, lang, batch, figures)
    if args.html:
        with open(args.html, "w", encoding="utf-8") as f:
            f.write(page)
    if args.pdf:
        from .qa_sheet_export import sheet_pdf
        _gui_application()
        sheet_pdf(page, args.pdf, texts["sheet_title"])
    print(f"meeting sheet of batch {batch['id']}: {sheet.reviewed} review(s)"
          + "".join(f"; written {p}" for p in (args.csv, args.html, args.pdf) if p))
    if show is not None:      # `--show`: the launcher's window (launch/qa.run_sheet)
        show(texts, page, sheet_csv(sheet, form, actions, lang, texts, figures), f"sheet-{batch['id'][:8]}")
    return 0
