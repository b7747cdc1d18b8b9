"""`hangup-coach blocklist ...`: every step of the IVR blocklist from the command line, acting as
the device the user logged in with (`hangup-coach login`, per user and HANGUP_COACH_HOME).

`propose` is written to the local database with its outbox entry (pushed by `hangup-coach sync`,
or the card's own sync), like a proposal from the card. Every other step needs the server and
says so plainly when it cannot be reached. The server decides who may do what (403 otherwise).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from datetime import datetime, timezone

from .blocklist_server import EXIT_FAILED, EXIT_REFUSED, BlocklistFailure, BlocklistServer
from .paths import AppPaths

SCOPES = ("day", "week", "month", "permanent")
STATUSES = ("proposed", "approved", "rejected", "active", "expired", "revoked")
LIVE = ("proposed", "approved", "active")
LIST_COLUMNS = ("number", "status", "scope", "reason", "automatic", "proposed_by", "decided_by", "operated_by",
                "expires_at", "review_at", "note")


def add_commands(sub, common: argparse.ArgumentParser) -> None:
    block = sub.add_parser("blocklist", parents=[common], help="the IVR blocklist: propose, decide, operate, review",
                           description="Each step of the IVR blocklist, as the device you logged in with.")
    steps = block.add_subparsers(dest="blocklist_command", required=True, metavar="STEP")
    propose = steps.add_parser("propose", parents=[common], help="propose blocking a number (through the outbox)")
    propose.add_argument("number")
    propose.add_argument("--scope", required=True, choices=SCOPES)
    propose.add_argument("--reason", required=True, metavar="KEY", help="a preset reason: harassment, abuse, out_of_scope")
    for name, text in (("approve", "approve the proposal for NUMBER"), ("activate", "carry out the approved block"),
                       ("confirm", "confirm an automatic block, or keep an active one until its next review")):
        step = steps.add_parser(name, parents=[common], help=text)
        step.add_argument("number")
        if name == "activate":
            step.add_argument("--expires-at", metavar="ISO-TIME", help="end sooner than the scope would")
    for name, text in (("reject", "reject the proposal for NUMBER"), ("revoke", "lift the active block of NUMBER")):
        step = steps.add_parser(name, parents=[common], help=text)
        step.add_argument("number")
        step.add_argument("--reason", required=True, metavar="TEXT")
    show = steps.add_parser("show", parents=[common], help="a number's blocks: who did what, why, on which calls")
    show.add_argument("number")
    listing = steps.add_parser("list", parents=[common], help="list blocks")
    listing.add_argument("--status", choices=STATUSES)
    listing.add_argument("--format", choices=("table", "csv", "json"), default="table")
    listing.add_argument("--unmasked", action="store_true", help="show full numbers (personal data!)")
    steps.add_parser("review", parents=[common], help="the review queue: proposals, blocks to activate, "
                                                      "automatic blocks to confirm, reviews due")
    export = steps.add_parser("export", parents=[common], help="active blocks for another PBX")
    export.add_argument("--format", required=True, choices=("csv", "asterisk", "freeswitch"))
    never = steps.add_parser("never-block", parents=[common], help="the centre's numbers never blocked (manager, admin)")
    changes = never.add_subparsers(dest="never_block_command", required=True, metavar="CHANGE")
    changes.add_parser("list", parents=[common], help="the numbers on the never-block list")
    add = changes.add_parser("add", parents=[common], help="never block NUMBER (the centre's lines, partners, VIPs)")
    add.add_argument("number")
    add.add_argument("--note", default="", metavar="TEXT", help="who the number is")
    remove = changes.add_parser("remove", parents=[common], help="take NUMBER off the never-block list")
    remove.add_argument("number")
    remove.add_argument("--reason", required=True, metavar="TEXT")
    for p in [*steps._name_parser_map.values(), *changes._name_parser_map.values()]:
        p.add_argument("--timeout", type=float, default=10.0, help=argparse.SUPPRESS)


def main(args: argparse.Namespace) -> int:
    from ..core.phone import normalise

    command = args.blocklist_command
    number = None
    if hasattr(args, "number"):
        found = normalise(args.number, "CN")
        if not found.known:
            print(f"hangup-coach blocklist: {args.number!r} is not a phone number", file=sys.stderr)
            return EXIT_REFUSED
        number = found.e164
    if command == "propose":
        return _propose(args, number)
    try:
        with BlocklistServer(AppPaths.detect(), args.timeout) as server:
            if command in ("approve", "reject", "activate", "revoke", "confirm"):
                return _step(server, "review" if command == "confirm" else command, number, args)
            if command == "list":
                return _list(server, args)
            if command == "show":
                return _show(server, number)
            if command == "review":
                return _queue(server)
            if command == "export":
                sys.stdout.write(server.get_text("/v1/blocklist/export", format=args.format))
                return 0
            if command == "never-block":
                return _never_block(server, args.never_block_command, number, args)
    except BlocklistFailure as exc:
        print(f"hangup-coach blocklist {command}: {exc}", file=sys.stderr)
        return exc.code
    return EXIT_FAILED


def _propose(args, number: str) -> int:
    from ..store.calls import CallStore
    from ..store.db import StoreError, open_db

    if args.reason not in ("harassment", "abuse", "out_of_scope"):
        print("hangup-coach blocklist propose: --reason must be harassment, abuse or out_of_scope", file=sys.stderr)
        return EXIT_REFUSED
    try:
        db = open_db(AppPaths.detect().database(args.db))
    except StoreError as exc:
        print(f"hangup-coach: {exc}", file=sys.stderr)
        return EXIT_FAILED
    try:
        live = db.execute("SELECT status FROM blocklist WHERE number = ? AND status IN ('proposed','approved',"
                          "'active')", [number]).fetchone()
        if live:
            print(f"hangup-coach blocklist propose: {_masked(number)} is already {live[0]} here; "
                  "`hangup-coach sync --once` brings the server's latest word", file=sys.stderr)
            return EXIT_FAILED
        CallStore(db).propose_block(number, args.scope, args.reason, "", None, datetime.now(timezone.utc))
    finally:
        db.conn.close()
    print(f"proposed: {_masked(number)} for a {args.scope} ({args.reason}); "
          "sent with the next sync (`hangup-coach sync --once`)")
    return 0


def _step(server: BlocklistServer, action: str, number: str, args) -> int:
    blocks = server.get_json("/v1/blocklist", number=number)["blocks"]
    live = [b for b in blocks if b["status"] in LIVE]
    if not live:
        raise BlocklistFailure(f"no proposed, approved or active block for {_masked(number)}", EXIT_FAILED)
    done = server.act(live[-1], action, getattr(args, "reason", "") if action in ("reject", "revoke") else "",
                      getattr(args, "expires_at", None))
    until = f", until {done['expires_at']}" if done.get("expires_at") and done["status"] == "active" else ""
    print(f"{_masked(number)}: {done['status']} ({done['scope']}{until}); version {done['version']}")
    return 0


def _list(server: BlocklistServer, args) -> int:
    params = {"status": args.status} if args.status else {}
    blocks = server.get_json("/v1/blocklist", **params)["blocks"]
    rows = [{k: (b[k] if k != "number" or args.unmasked else _masked(b[k])) for k in LIST_COLUMNS} for b in blocks]
    if args.format == "json":
        json.dump(rows, sys.stdout, ensure_ascii=False, indent=1)
        sys.stdout.write("\n")
    elif args.format == "csv":
        writer = csv.DictWriter(sys.stdout, fieldnames=LIST_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    else:
        _table(rows, LIST_COLUMNS)
        print(f"{len(rows)} block(s)")
    return 0


def _show(server: BlocklistServer, number: str) -> int:
    """Everything about a number's blocks, newest last: for lifting one after a complaint."""
    blocks = server.get_json("/v1/blocklist", number=number)["blocks"]
    if not blocks:
        raise BlocklistFailure(f"{_masked(number)} has never been proposed for a block", EXIT_FAILED)
    for block in blocks:
        found = server.get_json(f"/v1/blocklist/{block['id']}")
        print(f"{_masked(number)}  {block['status']}  {block['scope']}  {block['reason']}"
              f"{'  automatic' if block['automatic'] else ''}  until {block['expires_at'] or '-'}")
        for step in found["audit"]:
            why = f"  \"{step['note']}\"" if step["note"] else ""
            print(f"  {step['at'][:19]}  {step['action']:<8} by {step['actor']} ({step['role']}){why}")
        for call in found["evidence"]:
            print(f"  evidence: call {call['started_at'][:19] if call['started_at'] else '-'} agent {call['agent_id']}"
                  f" {call['caller_class']} warnings {call['warnings'] or 0} {call['disposition'] or ''}".rstrip())
    return 0


def _queue(server: BlocklistServer) -> int:
    queue = server.get_json("/v1/blocklist/queue")
    for part, title in (("proposals", "proposals waiting for a decision"), ("to_activate", "approved, to activate"),
                        ("to_confirm", "automatic blocks to confirm"), ("due", "active blocks due for review")):
        print(f"{title}: {len(queue[part])}")
        _table([{"number": _masked(b["number"]), "scope": b["scope"], "reason": b["reason"],
                 "proposed_by": b["proposed_by"], "calls": len(b["calls"]), "created_at": b["created_at"]}
                for b in queue[part]], ("number", "scope", "reason", "proposed_by", "calls", "created_at"), indent="  ")
    return 0


def _never_block(server: BlocklistServer, change: str, number: str | None, args) -> int:
    if change == "add":
        server.post_json("/v1/blocklist/never-block", {"number": number, "note": args.note})
        print(f"{_masked(number)}: on the never-block list")
    elif change == "remove":
        server.delete_json(f"/v1/blocklist/never-block/{number}", {"note": args.reason})
        print(f"{_masked(number)}: off the never-block list")
    else:
        listed = server.get_json("/v1/blocklist/never-block")["numbers"]
        _table([dict(n, number=_masked(n["number"])) for n in listed], ("number", "note", "added_by", "added_at"))
        print(f"{len(listed)} number(s) never blocked (besides those in the server's blocklist rules)")
    return 0


def _table(rows: list[dict], columns, indent: str = "") -> None:
    cells = [[("-" if r[c] is None else str(r[c])) for c in columns] for r in rows]
    if not cells:
        return
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    print(indent + "  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip())
    for row in cells:
        print(indent + "  ".join(v.ljust(w) for v, w in zip(row, widths)).rstrip())


def _masked(number: str) -> str:
    from ..core.phone import mask
    return mask(number)
