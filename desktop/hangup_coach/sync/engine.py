"""One sync round: push the outbox, then pull profiles, the blocklist and (for a lead) the team.

Runs on the sync worker's thread with that thread's own connection. Its database work is
short: a read of at most 500 outbox rows, then, after the server answered, one transaction
that records the acknowledgements; each pulled page is one transaction with its cursor. No
transaction is open while a request is on the wire, so a note save on the card never waits
for the network.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Callable

from ..store import outbox, pulled
from .. import wire
from .client import BatchRefused, SyncClient

if TYPE_CHECKING:
    from ..store.database import Database

log = logging.getLogger(__name__)
PULL_LIMIT = 500                 # rows per pull page
PROFILES_PER_TRANSACTION = 20    # ≤ 1,000 evidence rows per write transaction


@dataclass
class RoundReport:
    pushed: int = 0               # record versions the server acknowledged
    refused: list[str] = field(default_factory=list)   # records kept locally, refused by the server
    held: list[str] = field(default_factory=list)      # kept until the card or the server is upgraded
    released: int = 0             # held records queued again: the card or the server was upgraded
    profiles: int = 0
    evidence: int = 0
    blocklist: int = 0
    team_calls: int = 0
    team_notes: int = 0
    resent_all: bool = False      # the server had lost what it acknowledged: everything queued again
    pending: int = 0              # still in the outbox after the round

    def summary(self) -> str:
        parts = [f"pushed {self.pushed}", f"pulled {self.profiles} caller profile(s) "
                 f"({self.evidence} call(s) of the team)", f"{self.blocklist} blocklist entr(y/ies)"]
        if self.team_calls or self.team_notes:
            parts.append(f"team: {self.team_calls} call(s), {self.team_notes} note(s)")
        if self.refused:
            parts.append(f"{len(self.refused)} refused by the server (kept locally)")
        if self.held:
            parts.append(f"{len(self.held)} kept until an upgrade (of the card or the server)")
        if self.released:
            parts.append(f"{self.released} held for an upgrade sent again")
        if self.resent_all:
            parts.append("the server had lost its data: everything was sent again")
        return ", ".join(parts) + f"; {self.pending} pending"


def _utc_now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def _card_version() -> str:
    from .. import __version__
    return __version__


class Syncer:
    def __init__(self, db: Database, client: SyncClient, now: Callable[[], str] = _utc_now,
                 card_version: str | None = None) -> None:
        """`card_version`: this card's version (default: the installed package's); records held for
        an upgrade of the card are sent again once it differs from the one that held them."""
        self.db, self.client, self.now = db, client, now
        self.card_version = card_version or _card_version()

    def round(self) -> RoundReport:
        report = RoundReport()
        role = self.identify(report)
        self.push(report)
        self.pull(report)
        if role == "lead":
            self.pull_team(report)
        report.pending = outbox.pending_count(self.db)
        return report

    def identify(self, report: RoundReport) -> str:
        """Ask the server who we are. A different device id for the same login means the server
        was rebuilt (it lost its database): queue everything again and pull from the start."""
        me = self.client.me()
        known = outbox.meta(self.db, "server_device_id")
        with outbox.write_transaction(self.db):
            if known is not None and known != me["device_id"]:
                log.warning("the server no longer knows device %s (now %s): sending everything again",
                            known, me["device_id"])
                outbox.resend_all(self.db)
                outbox.set_meta(self.db, "changes_cursor", "")
                outbox.set_meta(self.db, "team_cursor", "")
                report.resent_all = True
            report.released += outbox.release_held(self.db, self.card_version, str(me.get("server_version", "")))
            outbox.set_meta(self.db, "server_device_id", me["device_id"])
            outbox.set_meta(self.db, "role", me["role"])
            outbox.set_meta(self.db, "agent_id", me["agent_id"])
            outbox.set_meta(self.db, "server_version", str(me.get("server_version", "")))
        return me["role"]

    # ----- push -------------------------------------------------------------------------------
    def push(self, report: RoundReport) -> None:
        device = outbox.meta(self.db, "server_device_id")
        after = 0
        while True:
            entries = outbox.pending(self.db, outbox.BATCH_LIMIT, after_seq=after)
            if not entries:
                return
            records = self._checked(outbox.records(self.db, entries), report)
            if records:
                try:
                    acked = self.client.push(device, records)
                except BatchRefused as exc:
                    if exc.index is None or not 0 <= exc.index < len(records):
                        raise
                    if exc.upgrade_required:
                        self._hold(records[exc.index], exc.args[0], "card " + self.card_version, report)
                    elif exc.newer_than_server:
                        self._hold(records[exc.index], exc.args[0], "server " + self._server_version(), report)
                    else:
                        self._refuse(records[exc.index], exc.args[0], report)
                    continue        # the same batch again, without the refused record
                sent = {(r["kind"], r["id"], r["version"]) for r in records}
                report.pushed += outbox.mark_acked(self.db, [a for a in acked if a in sent], self.now())
            after = entries[-1].seq

    def _checked(self, records: list[dict], report: RoundReport) -> list[dict]:
        """Records the server would refuse are kept locally and reported, not sent: one bad or
        foreign record (another agent's, from before a new login) must not block the rest. What
        this card's own check cannot take is held for the card's next version (it may)."""
        me, good = outbox.meta(self.db, "agent_id"), []
        for record in records:
            try:
                owner = wire.parse_record(record).owner   # a review's owner is its reviewer
            except wire.WireError as exc:
                self._hold(record, exc.message, "card " + self.card_version, report)
            else:
                if owner is not None and owner != me:
                    self._refuse(record, f"recorded by agent {owner}, this card is logged in as {me}", report)
                else:
                    good.append(record)
        return good

    def _refuse(self, record: dict, why: str, report: RoundReport) -> None:
        log.error("the server refuses %s %s v%s: %s", record["kind"], record["id"], record["version"], why)
        with outbox.write_transaction(self.db):
            outbox.mark_rejected(self.db, record["kind"], record["id"], record["version"], why)
        report.refused.append(f"{record['kind']} {record['id']}: {why}")

    def _hold(self, record: dict, why: str, held_for: str, report: RoundReport) -> None:
        log.warning("%s %s v%s kept until %s is upgraded: %s", record["kind"], record["id"], record["version"],
                    held_for, why)
        with outbox.write_transaction(self.db):
            outbox.mark_held(self.db, record["kind"], record["id"], record["version"], why, held_for)
        report.held.append(f"{record['kind']} {record['id']}: {why}")

    def _server_version(self) -> str:
        return outbox.meta(self.db, "server_version", "")

    # ----- pull -------------------------------------------------------------------------------
    def pull(self, report: RoundReport) -> None:
        while True:
            since = outbox.meta(self.db, "changes_cursor", "")
            page = self.client.changes(since, PULL_LIMIT)
            stamp = self.now()
            profiles = [p for p in page["profiles"] if isinstance(p, dict) and wire.is_e164(p.get("number"))]
            blocks = [b for b in page["blocklist"]
                      if isinstance(b, dict) and b.get("id") and wire.is_e164(b.get("number"))]
            # A profile carries up to 50 calls: a page is applied a few profiles per transaction,
            # so the write lock is never held long. The cursor moves with the last of them; a
            # crash before that re-applies the page next time (upserts), never skips it.
            chunks = [profiles[i:i + PROFILES_PER_TRANSACTION]
                      for i in range(0, len(profiles), PROFILES_PER_TRANSACTION)] or [[]]
            for n, chunk in enumerate(chunks):
                with outbox.write_transaction(self.db):
                    for profile in chunk:
                        report.evidence += pulled.apply_profile(self.db, profile, stamp)
                        report.profiles += 1
                    if n == len(chunks) - 1:
                        for block in blocks:
                            report.blocklist += pulled.apply_block(self.db, block)
                        outbox.set_meta(self.db, "changes_cursor", page["cursor"])
            if not page["more"] or page["cursor"] == since:
                return

    def pull_team(self, report: RoundReport) -> None:
        while True:
            since = outbox.meta(self.db, "team_cursor", "")
            page = self.client.team_changes(since, PULL_LIMIT)
            stamp = self.now()
            with outbox.write_transaction(self.db):
                for call in page["calls"]:
                    if isinstance(call, dict):
                        report.team_calls += pulled.apply_team_call(self.db, call, call.get("version"), stamp)
                for note in page["notes"]:
                    if isinstance(note, dict):
                        report.team_notes += pulled.apply_team_note(self.db, note, note.get("version"))
                outbox.set_meta(self.db, "team_cursor", page["cursor"])
            if not page["more"] or page["cursor"] == since:
                return

    # ----- ring-time lookup -------------------------------------------------------------------
    def lookup(self, e164: str, timeout: float) -> bool:
        """Ask for one number's profile now; True when it was stored (the card may re-classify)."""
        profile = self.client.profile(e164, timeout)
        if profile is None or profile.get("number") != e164:
            return False
        with outbox.write_transaction(self.db):
            pulled.apply_profile(self.db, profile, self.now())
        return True
