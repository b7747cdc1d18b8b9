"""`hangup-coach recover SOURCE`: IT brings a kept-aside database (`calls.db.damaged-…`, a copy the
card kept elsewhere) or a journal (`calls.db.unsaved.json.damaged`) back into the agent's current
file. `--dry-run` lists what it would add and changes nothing. The source is only read."""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from pathlib import Path

from ..core.phone import mask

EXIT_OK, EXIT_NOTHING_READ, EXIT_BAD = 0, 1, 2


def add_command(sub, common) -> None:
    recover = sub.add_parser("recover", parents=[common],
                             help="bring a kept-aside database or journal back into the current file")
    recover.add_argument("source", type=Path, help="the kept-aside database or journal file")
    recover.add_argument("--dry-run", action="store_true", help="list what would be added; change nothing")


def read_source(path: Path) -> tuple[list[dict], list[dict], list[str]]:
    """Calls and notes of a database copy or a journal; raises ValueError if it is neither."""
    from ..store.recover import read_database_file

    with open(path, "rb") as f:
        head = f.read(16)
    if head == b"SQLite format 3\x00":
        try:
            return read_database_file(path)
        except sqlite3.DatabaseError as exc:
            raise ValueError(f"{path} cannot be read as a database: {exc}") from exc
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
        calls, notes = data["calls"], data["notes"]
        if not isinstance(calls, dict) or not isinstance(notes, dict):
            raise ValueError("calls and notes must be objects")
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path} is neither a call database nor a readable journal ({exc})") from exc
    return list(calls.values()), [dict(n, call_id=k) if isinstance(n, dict) else n for k, n in notes.items()], []


def run(args: argparse.Namespace) -> int:
    from ..store.calls import CallStore
    from ..store.db import StoreError, open_db
    from ..store.recover import merge
    from .paths import AppPaths

    paths = AppPaths.detect()
    paths.make_private()
    db_path = paths.database(args.db)
    source = args.source
    if not source.is_file():
        print(f"hangup-coach recover: {source} is not a file", file=sys.stderr)
        return EXIT_BAD
    if source.resolve() == db_path.resolve():
        print(f"hangup-coach recover: {source} is the current database itself", file=sys.stderr)
        return EXIT_BAD
    try:
        calls, notes, unreadable = read_source(source)
    except (OSError, ValueError) as exc:
        print(f"hangup-coach recover: {exc}", file=sys.stderr)
        return EXIT_BAD
    try:
        store = CallStore(open_db(db_path, check=not args.dry_run))
    except StoreError as exc:
        print(f"hangup-coach recover: {exc}", file=sys.stderr)
        return EXIT_BAD
    try:
        report = merge(store, calls, notes, dry_run=args.dry_run)
    finally:
        store.db.conn.close()
    numbers = {str(c.get("id")): c.get("caller_number") for c in calls if isinstance(c, dict)}
    verb = "would add" if args.dry_run else "added"
    for label, ids in (("call", report.added_calls), ("newer call", report.newer_calls),
                       ("note", report.added_notes), ("newer note", report.newer_notes)):
        for record_id in ids:
            print(f"{verb} {label} {record_id} ({mask(numbers.get(record_id))})")
    for line in unreadable + report.unreadable:
        print(f"could not read: {line}")
    print(f"{source} → {db_path}: {verb} {len(report.added_calls)} call(s), {len(report.newer_calls)} newer "
          f"call version(s), {len(report.added_notes)} note(s), {len(report.newer_notes)} newer note(s); "
          f"{len(unreadable) + len(report.unreadable)} unreadable")
    if not calls and not notes:
        return EXIT_NOTHING_READ
    return EXIT_OK
