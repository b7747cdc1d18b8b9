"""QA review batches, their sampled calls and the follow-up actions: the server's own records.

A batch is drawn once, by command, from the calls of the reviewer's scope (a lead's or `qa`
device's team): the purpose, filters, size, seed and locked form are stored with the sample
itself (each sampled call's row and note as they were), so calls that sync later never change a
batch already drawn. Reviews are the reviewers' own records (pushed through the outbox, kind
`qa_review`); this module reads them per batch. Actions change only through commands that carry
the version the caller saw (409 when it is stale).

Who does what is decided by the permission module (the actions below): a lead's scope is its
team; a `qa` device's is its team and the teams it covers (more teams of its site, or the whole
site, set when it is added). A batch is drawn from teams in the reviewer's scope and belongs to
them: a reviewer reads it only when it looks after every one. An agent reads only the reviews of
its own calls and the actions that name it; a manager reads its site's.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text, and_, select, update

from ...core.qa_form import FormError, parse_form
from ...core.qa_sample import Filters, draw
from ...core.qa_sheet import ACTION_KINDS, ActionError, check_figure, check_transition
from .. import permissions
from ..permissions import Place
from ..storage import audit
from ..storage import Device, Storage, iso
from ..storage.engine import reach_clause
from ..storage.schema import metadata, records

BATCH_DRAW = permissions.define("qa_batch.draw", {"lead": "team", "qa": "team"})
BATCH_READ = permissions.define("qa_batch.read", {"lead": "team", "qa": "team", "manager": "site"})
REVIEW_READ = permissions.define("qa_review.read", {"agent": "own", "lead": "team", "qa": "team", "manager": "site"})
ACTION_WRITE = permissions.define("qa_action.write", {"lead": "team", "qa": "team"})
ACTION_READ = permissions.define("qa_action.read", {"agent": "own", "lead": "team", "qa": "team", "manager": "site"})
MAX_BATCH = 1000
MAX_BODY_BYTES = 200_000

qa_batches = Table(
    "qa_batches", metadata,
    Column("id", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("team", String(64), nullable=False),          # the reviewer's team when drawn
    Column("teams", Text),                               # the teams drawn from, comma-separated (NULL: team)
    Column("site", String(64), nullable=False, server_default="default"),
    Column("purpose", String(20), nullable=False),
    Column("filters", Text, nullable=False),             # JSON (core.qa_sample.Filters)
    Column("size", Integer, nullable=False),
    Column("seed", String(64), nullable=False),
    Column("form_name", String(64), nullable=False),
    Column("form_version", Integer, nullable=False),
    Column("form_fingerprint", String(64), nullable=False),
    Column("form_source", Text, nullable=False),
    Column("created_by", String(64), nullable=False),    # the reviewer's agent id
    Column("created_at", String(40), nullable=False),
)
qa_batch_calls = Table(
    "qa_batch_calls", metadata,
    Column("batch_id", String(64), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("call_id", String(64), nullable=False),
    Column("agent_id", String(64), nullable=False),
    Column("outcome", String(40), nullable=False),
    Column("call", Text, nullable=False),                # the call's row (JSON) when drawn
    Column("note", Text, nullable=False),
)
qa_actions = Table(
    "qa_actions", metadata,
    Column("id", String(64), primary_key=True),
    Column("version", BigInteger, nullable=False),
    Column("team", String(64), nullable=False),
    Column("site", String(64), nullable=False, server_default="default"),
    Column("batch_id", String(64)),
    Column("kind", String(20), nullable=False),          # training | process | system
    Column("title", Text, nullable=False),
    Column("owner", String(64), nullable=False),         # who does it
    Column("agent_id", String(64)),                      # the agent it is about, if one
    Column("due", String(10), nullable=False),           # YYYY-MM-DD
    Column("status", String(20), nullable=False),
    Column("figure", String(20), nullable=False),        # core.qa_sheet.FIGURES
    Column("created_by", String(64), nullable=False),
    Column("created_at", String(40), nullable=False),
    Column("done_at", String(40)),
    Column("updated_at", String(40), nullable=False),
)


class QaError(ValueError):
    """A batch or action request that cannot be carried out (422), or a stale version (409)."""

    def __init__(self, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.message, self.status = message, status


@dataclass
class Qa:
    storage: Storage

    # ----- batches ------------------------------------------------------------------------------
    def create_batch(self, device: Device, body: dict) -> dict:
        permissions.reach(device, BATCH_DRAW)                 # a role that may not draw at all: 403 first
        if not isinstance(body, dict) or set(body) - {"purpose", "filters", "size", "seed", "form", "teams"}:
            raise QaError('expected {"purpose", "filters", "size", "seed", "form", "teams"?}')
        purpose, size, seed = body.get("purpose"), body.get("size"), str(body.get("seed", ""))
        if purpose not in ("problems", "techniques"):
            raise QaError("purpose must be problems or techniques")
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_BATCH:
            raise QaError(f"size must be a whole number from 1 to {MAX_BATCH}")
        if not seed or len(seed) > 64:
            raise QaError("seed must be 1-64 characters")
        teams = body.get("teams")
        if teams is not None and (not isinstance(teams, list) or not teams
                                  or not all(isinstance(t, str) and 0 < len(t) <= 64 for t in teams)):
            raise QaError("teams must be a list of team names")
        for team in teams or ():
            permissions.check(device, BATCH_DRAW, Place(None, team, device.site), f"team {team}")
        try:
            filters = Filters.from_dict(body.get("filters") or {})
        except (TypeError, ValueError) as exc:
            raise QaError(f"filters: {exc}") from None
        form_body = body.get("form") or {}
        try:
            form = parse_form(form_body.get("source", ""), "form")
        except FormError as exc:
            raise QaError(str(exc)) from None
        if (form_body.get("name"), form_body.get("version")) != (form.name, form.version):
            raise QaError("the form's name and version differ from its text")
        batch_id = str(uuid.uuid4())
        now = iso(self.storage.clock())
        query = select(records.c.id, records.c.team, records.c.data).where(records.c.kind == "call")
        if teams:
            query = query.where(records.c.site == device.site, records.c.team.in_(teams))
        else:                                                 # every team the reviewer looks after
            for column, value in permissions.reach(device, BATCH_DRAW).filters.items():
                query = query.where(reach_clause(records.c[column], value))
        with self.storage.write() as conn:
            rows = conn.execute(query).all()
            calls = {rid: dict(json.loads(data), id=rid) for rid, _, data in rows}
            pool = [c for c in calls.values() if filters.matches(c)]
            drawn_from = sorted(set(teams) if teams else {team for rid, team, _ in rows if calls[rid] in pool}
                                or {device.team})
            sample = draw(pool, size, seed)
            notes = dict(conn.execute(select(records.c.call_id, records.c.data).where(
                records.c.kind == "note", records.c.call_id.in_([cid for cid, _ in sample]))).all()) if sample else {}
            conn.execute(qa_batches.insert().values(
                id=batch_id, version=1, team=device.team, teams=",".join(drawn_from), site=device.site,
                purpose=purpose, filters=json.dumps(filters.to_dict()),
                size=size, seed=seed, form_name=form.name, form_version=form.version,
                form_fingerprint=form.fingerprint, form_source=form.source, created_by=device.agent_id,
                created_at=now))
            for position, (call_id, outcome) in enumerate(sample):
                call = calls[call_id]
                note = json.loads(notes[call_id])["text"] if call_id in notes else ""
                conn.execute(qa_batch_calls.insert().values(
                    batch_id=batch_id, position=position, call_id=call_id, agent_id=call.get("agent_id", ""),
                    outcome=outcome, call=json.dumps(call), note=note))
            audit.append(conn, device, "qa_batch_create", "qa_batch", batch_id, _place(device), None,
                         {"purpose": purpose, "filters": filters.to_dict(), "size": size, "seed": seed,
                          "teams": drawn_from, "form": [form.name, form.version, form.fingerprint],
                          "calls": [c for c, _ in sample]}, now)
        return self.batch(device, batch_id)

    def batch(self, device: Device, batch_id: str) -> dict:
        with self.storage.engine.connect() as conn:
            row = self._batch_row(conn, device, batch_id, BATCH_READ)
            calls = conn.execute(select(qa_batch_calls).where(qa_batch_calls.c.batch_id == batch_id)
                                 .order_by(qa_batch_calls.c.position)).mappings().all()
        return {"id": row["id"], "version": row["version"], "team": row["team"], "teams": _teams(row),
                "site": row["site"], "purpose": row["purpose"],
                "filters": json.loads(row["filters"]), "size": row["size"], "seed": row["seed"],
                "form": {"name": row["form_name"], "version": row["form_version"],
                         "fingerprint": row["form_fingerprint"], "source": row["form_source"]},
                "created_by": row["created_by"], "created_at": row["created_at"],
                "calls": [{"position": c["position"], "call_id": c["call_id"], "agent_id": c["agent_id"],
                           "outcome": c["outcome"], "call": json.loads(c["call"]), "note": c["note"]} for c in calls]}

    def batches(self, device: Device) -> list[dict]:
        """The batches the reader looks after every team of (newest first)."""
        permissions.reach(device, BATCH_READ)
        with self.storage.engine.connect() as conn:
            rows = conn.execute(select(qa_batches).order_by(qa_batches.c.created_at.desc())).mappings().all()
        return [{k: r[k] for k in ("id", "purpose", "size", "form_name", "created_by", "created_at")}
                for r in rows if _within(device, BATCH_READ, r)]

    @staticmethod
    def _batch_row(conn, device: Device, batch_id: str, action: str):
        """The batch, if the reader may `action` it (404 when it is not in their scope; 403 for a
        role that may not at all)."""
        permissions.reach(device, action)
        row = conn.execute(select(qa_batches).where(qa_batches.c.id == batch_id)).mappings().first()
        if row is None or not _within(device, action, row):
            raise QaError("no such batch in your scope", 404)
        return row

    # ----- reviews ------------------------------------------------------------------------------
    def batch_reviews(self, device: Device, batch_id: str) -> list[dict]:
        """The reviews pushed for a batch's calls, with the form the batch locked (others are left out)."""
        batch = self.batch(device, batch_id)
        in_batch = [c["call_id"] for c in batch["calls"]]
        if not in_batch:
            return []
        return sorted((r for r in self._reviews(records.c.call_id.in_(in_batch))
                       if r["batch_id"] == batch_id and r["form_fingerprint"] == batch["form"]["fingerprint"]),
                      key=lambda r: r["call_id"])

    def check_reviews(self, device: Device, reviews: list) -> None:
        """Pushed reviews (wire.Record, kind qa_review): each of a call in a batch of the reviewer's
        scope, naming that call's agent, made with the batch's locked form and answering it."""
        forms: dict = {}
        with self.storage.engine.connect() as conn:
            for record in reviews:
                data = record.data
                batch = conn.execute(select(qa_batches).where(qa_batches.c.id == data["batch_id"])).mappings().first()
                if batch is None or not _within(device, permissions.QA_REVIEW_WRITE, batch):
                    raise QaError(f"review {record.id}: batch {data['batch_id']} is not in your scope")
                sampled = conn.execute(select(qa_batch_calls.c.agent_id).where(
                    qa_batch_calls.c.batch_id == batch["id"], qa_batch_calls.c.call_id == data["call_id"])).scalar()
                if sampled is None:
                    raise QaError(f"review {record.id}: call {data['call_id']} is not in batch {batch['id']}")
                if sampled != data["agent_id"]:
                    raise QaError(f"review {record.id}: the call is agent {sampled}'s, not {data['agent_id']}'s")
                if data["form_fingerprint"] != batch["form_fingerprint"]:
                    raise QaError(f"review {record.id}: made with another form than the batch locked")
                form = forms.get(batch["id"]) or forms.setdefault(batch["id"], parse_form(batch["form_source"]))
                try:
                    form.check_answers(data["answers"])
                except FormError as exc:
                    raise QaError(f"review {record.id}: {exc}") from None

    def my_reviews(self, device: Device) -> list[dict]:
        """The reviews of the calls in the reader's reach: an agent's own calls, never anyone else's."""
        calls = select(records.c.id).where(records.c.kind == "call")
        for column, value in permissions.reach(device, REVIEW_READ).filters.items():
            calls = calls.where(reach_clause(records.c[column], value))
        return self._reviews(records.c.call_id.in_(calls.scalar_subquery()))

    def _reviews(self, where) -> list[dict]:
        with self.storage.engine.connect() as conn:
            rows = conn.execute(select(records.c.id, records.c.version, records.c.data)
                                .where(records.c.kind == "qa_review", where)).all()
        return [dict(json.loads(data), id=rid, version=version) for rid, version, data in rows]

    # ----- actions ------------------------------------------------------------------------------
    def create_action(self, device: Device, body: dict) -> dict:
        permissions.reach(device, ACTION_WRITE)
        keys = {"batch_id", "kind", "title", "owner", "agent_id", "due", "figure", "team"}
        if not isinstance(body, dict) or set(body) - keys:
            raise QaError(f"expected some of {', '.join(sorted(keys))}")
        kind, title, owner, due = body.get("kind"), body.get("title"), body.get("owner"), body.get("due")
        team = body.get("team", device.team)
        if kind not in ACTION_KINDS:
            raise QaError(f"kind must be one of {', '.join(ACTION_KINDS)}")
        if not isinstance(title, str) or not 0 < len(title.strip()) <= 500:
            raise QaError("title must be 1-500 characters")
        if not isinstance(owner, str) or not 0 < len(owner) <= 64:
            raise QaError("owner must be 1-64 characters")
        if not isinstance(team, str) or not 0 < len(team) <= 64:
            raise QaError("team must be 1-64 characters")
        if not isinstance(due, str) or len(due) != 10 or due[4] != "-" or due[7] != "-":
            raise QaError("due must be a date YYYY-MM-DD")
        try:
            check_figure(body.get("figure"))
        except ActionError as exc:
            raise QaError(str(exc)) from None
        place = Place(None, team, device.site)
        permissions.check(device, ACTION_WRITE, place, f"team {team}")
        now = iso(self.storage.clock())
        action_id = str(uuid.uuid4())
        with self.storage.write() as conn:
            conn.execute(qa_actions.insert().values(
                id=action_id, version=1, team=team, site=device.site, batch_id=body.get("batch_id"), kind=kind,
                title=title.strip(), owner=owner, agent_id=body.get("agent_id"), due=due, status="open",
                figure=body["figure"], created_by=device.agent_id, created_at=now, updated_at=now))
            audit.append(conn, device, "qa_action_create", "qa_action", action_id, place, None,
                         {k: body.get(k) for k in ("batch_id", "kind", "title", "owner", "agent_id", "due", "figure")}
                         | {"team": team}, now)
        return self._action(action_id)

    def set_status(self, device: Device, action_id: str, status: str, expected_version) -> dict:
        permissions.reach(device, ACTION_WRITE)
        with self.storage.write() as conn:
            row = conn.execute(select(qa_actions).where(qa_actions.c.id == action_id)).mappings().first()
            if row is None or not permissions.allowed(device, ACTION_WRITE, Place(None, row["team"], row["site"])):
                raise QaError("no such action in your scope", 404)
            if expected_version != row["version"]:
                raise QaError(f"the action changed meanwhile (version {row['version']}, you saw {expected_version})",
                              409)
            try:
                check_transition(row["status"], status)
            except ActionError as exc:
                raise QaError(str(exc)) from None
            now = iso(self.storage.clock())
            values = {"status": status, "version": row["version"] + 1, "updated_at": now}
            if status == "done":
                values["done_at"] = now
            conn.execute(update(qa_actions).where(and_(qa_actions.c.id == action_id,
                                                       qa_actions.c.version == row["version"])).values(**values))
            audit.append(conn, device, "qa_action_status", "qa_action", action_id,
                         Place(None, row["team"], row["site"]),
                         {"status": row["status"], "version": row["version"]},
                         {"status": status, "version": values["version"]}, now)
        return self._action(action_id)

    def actions(self, device: Device) -> list[dict]:
        """The actions in the reader's reach: a reviewer's teams', a manager's site's; an agent's
        own, those that name it (as the agent they are about, or as their owner)."""
        reach = permissions.reach(device, ACTION_READ)
        query = select(qa_actions)
        if reach.scope == "own":
            query = query.where((qa_actions.c.agent_id == device.agent_id) | (qa_actions.c.owner == device.agent_id))
        else:
            for column, value in reach.filters.items():
                query = query.where(reach_clause(qa_actions.c[column], value))
        with self.storage.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query.order_by(qa_actions.c.due, qa_actions.c.id)).mappings()]

    def _action(self, action_id: str) -> dict:
        with self.storage.engine.connect() as conn:
            return dict(conn.execute(select(qa_actions).where(qa_actions.c.id == action_id)).mappings().first())


def _teams(batch) -> list[str]:
    return batch["teams"].split(",") if batch["teams"] else [batch["team"]]


def _within(device: Device, action: str, batch) -> bool:
    """A batch is in the reader's scope when every team it was drawn from is."""
    return all(permissions.allowed(device, action, Place(None, team, batch["site"])) for team in _teams(batch))


def _place(device: Device) -> Place:
    """A batch belongs to the reviewer's team (and site), not to one agent."""
    return Place(None, device.team, device.site)
