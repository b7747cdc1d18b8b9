"""Who may do what to whose records: the one place the server decides it; every endpoint asks here.

A device acts in a role (agent, lead, qa, manager, admin) for one person (its agent id) in one
team of one site; a `qa` device may also look after more teams of its site, or all of them (its
`covers`, set when it is added): those are in its team scope too. Each action ("note.write",
"audit.read", ...) is granted to a role up to a scope: `own` (the person's own records), `team`, `site` or `centre`. A record's place (whose it
is, which team and site it belongs to) is in the narrowest scope that contains it, seen from the
device; the action is allowed when that scope is within the role's grant.

Domain modules (server/domain/) declare their own actions with `define`, next to their commands,
so the grants of a kind of record are read in one place and decided here.

Pure: no database, no HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

ROLES = ("agent", "lead", "qa", "manager", "admin")
SCOPES = ("own", "team", "site", "centre")          # narrow to wide
DEFAULT_TEAM = "default"                            # a device added without --team: the whole centre's one team
DEFAULT_SITE = "default"                            # ...without --site: the centre's one site


EVERY_TEAM = "*"                                    # covers: every team of the device's site


class Actor(Protocol):
    """A device, as the permission rules see it (storage.Device is one). It may also have
    `covers`: the further teams of its site it looks after, or (EVERY_TEAM,)."""
    agent_id: str
    role: str
    team: str
    site: str


@dataclass(frozen=True)
class Place:
    """Whose a record is and where it belongs. `agent_id` None: nobody's own (a case, a batch);
    `team` None: no one team's; `site` None: the whole centre's."""
    agent_id: str | None
    team: str | None
    site: str | None

    @classmethod
    def of(cls, actor: Actor) -> "Place":
        """The place of a record the actor makes for themselves."""
        return cls(actor.agent_id, actor.team, actor.site)


CENTRE = Place(None, None, None)


class Denied(Exception):
    """403: the role may not do this to a record in this place."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


# action → {role: widest scope}. A role not listed may not do it at all.
GRANTS: dict[str, dict[str, str]] = {}


def define(action: str, grants: dict[str, str]) -> str:
    """Declare an action and who may do it, up to which scope; returns the action's name."""
    if action in GRANTS:
        raise ValueError(f"action {action!r} is defined twice")
    for role, scope in grants.items():
        if role not in ROLES or scope not in SCOPES:
            raise ValueError(f"{action}: {role!r} → {scope!r} is not a role and a scope")
    GRANTS[action] = dict(grants)
    return action


# The card's own records, pushed offline-first (domain/records.py): each person writes their own
# calls, notes and block proposals; a reviewer writes their own reviews of calls in their reach.
CALL_WRITE = define("call.write", {"agent": "own", "lead": "own", "qa": "own", "manager": "own"})
NOTE_WRITE = define("note.write", {"agent": "own", "lead": "own", "qa": "own", "manager": "own"})
BLOCK_PROPOSE = define("block.propose", {"agent": "own", "lead": "own", "manager": "own"})
QA_REVIEW_WRITE = define("qa_review.write", {"lead": "team", "qa": "team"})   # QA batches are drawn per team
# What a card pulls: the evidence of the numbers ringing at its site, and (leads and up) the calls
# and notes of the teams they look after.
EVIDENCE_READ = define("evidence.read", {"agent": "site", "lead": "site", "qa": "site", "manager": "site"})
TEAM_READ = define("team.read", {"lead": "team", "qa": "team", "manager": "site"})
# The centre's records.
CASE_WRITE = define("case.write", {"lead": "centre", "manager": "centre", "admin": "centre"})
AUDIT_READ = define("audit.read", {"lead": "team", "manager": "site", "admin": "centre"})
DEVICE_READ = define("device.read", {"manager": "site", "admin": "centre"})
DEVICE_MANAGE = define("device.manage", {"admin": "centre"})
ME_READ = define("me.read", {role: "own" for role in ROLES})


def teams_of(actor: Actor) -> tuple[str, ...] | None:
    """The teams of its site `actor` looks after: its own, then those it covers; None: every one."""
    covers = tuple(getattr(actor, "covers", ()) or ())
    if EVERY_TEAM in covers:
        return None
    return (actor.team, *(t for t in covers if t != actor.team))


def scope_of(actor: Actor, place: Place) -> str:
    """The narrowest scope, seen from `actor`, that holds a record in `place`."""
    if place.agent_id is not None and place.agent_id == actor.agent_id:
        return "own"
    teams = teams_of(actor)
    if place.site == actor.site and place.team is not None and (teams is None or place.team in teams):
        return "team"
    if place.site is not None and place.site == actor.site:
        return "site"
    return "centre"


def grant(actor: Actor, action: str) -> str | None:
    """The widest scope in which `actor` may do `action`, or None."""
    if action not in GRANTS:
        raise KeyError(f"unknown action {action!r}")
    return GRANTS[action].get(actor.role)


def allowed(actor: Actor, action: str, place: Place) -> bool:
    widest = grant(actor, action)
    return widest is not None and SCOPES.index(scope_of(actor, place)) <= SCOPES.index(widest)


def check(actor: Actor, action: str, place: Place = CENTRE, what: str = "") -> None:
    """Denied unless `actor` may do `action` to a record in `place`; `what` names it in the message."""
    if allowed(actor, action, place):
        return
    widest = grant(actor, action)
    if widest is None:
        raise Denied(f"a {actor.role} device may not {action.replace('.', ' ')}")
    raise Denied(f"a {actor.role} device may {action.replace('.', ' ')} only in its {widest} scope"
                 f"{': not ' + what if what else ''} ({scope_of(actor, place)})")


@dataclass(frozen=True)
class Reach:
    """Which records a query may return to an actor: those whose columns equal `filters`
    (agent_id / team / site; none = the whole centre); a tuple value: any one of them."""
    scope: str
    filters: dict[str, str]


def reach(actor: Actor, action: str) -> Reach:
    """The records `actor` may `action` (a read), as equality filters; Denied if none."""
    widest = grant(actor, action)
    if widest is None:
        raise Denied(f"a {actor.role} device may not {action.replace('.', ' ')}")
    teams = teams_of(actor)
    team = {"site": actor.site} if teams is None else {"team": teams[0] if len(teams) == 1 else teams,
                                                      "site": actor.site}
    filters = {"own": {"agent_id": actor.agent_id}, "team": team,
               "site": {"site": actor.site}, "centre": {}}[widest]
    return Reach(widest, filters)


def matches(value, wanted) -> bool:
    """Whether a record's column `value` passes a Reach filter `wanted` (a value, or a tuple of them)."""
    return value in wanted if isinstance(wanted, tuple) else value == wanted
