"""Device tokens: issued, checked, expired and rotated (issue 16, docs/sync-api.md "Devices").

A token is 32 random bytes (URL-safe base64) shown once; the server keeps its sha256 only. A token
may expire (`add-device --expires DAYS`): from then on it is refused with 401 and reason "expired",
and the card says so. Rotating a device's token issues a new one and keeps the replaced one working
for a short grace (GRACE) so the device can pick up the new one without a gap; after that the old
one is refused with reason "replaced". Neither the token nor its hash is ever logged or audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, or_, select, update
from sqlalchemy.engine import Connection

from .. import permissions
from . import audit
from .engine import iso
from .schema import devices

GRACE = timedelta(minutes=60)      # the replaced token keeps working this long after a rotation
LONGEST_DAYS = 3660                # an expiry further away than ten years is a typo


class AuthError(Exception):
    """401: no, unknown, revoked, expired or replaced token (a role that may not is permissions.Denied,
    403). `reason` ("missing", "unknown", "revoked", "expired", "replaced") goes into the answer so
    the card can say what to do."""

    def __init__(self, message: str, reason: str = "unknown") -> None:
        super().__init__(message)
        self.status = 401
        self.message = message
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(32)


def issued(now: datetime, days: float | None) -> dict:
    """The devices columns of a token issued `now`, expiring after `days` (None: never)."""
    if days is not None and not 0 < days <= LONGEST_DAYS:
        raise ValueError(f"a token's expiry must be between 0 and {LONGEST_DAYS} days")
    return {"token_issued_at": iso(now), "token_expires_at": iso(now + timedelta(days=days)) if days else None}


def lookup(conn: Connection, digest: str):
    """The device row whose current or replaced token has this hash, or None."""
    return conn.execute(select(devices).where(
        or_(devices.c.token_hash == digest, devices.c.old_token_hash == digest))).mappings().first()


def check(row, digest: str, now: datetime) -> None:
    """AuthError unless `row` (lookup's) lets the token of hash `digest` in at `now`."""
    if row is None:
        raise AuthError("unknown token")
    if row["revoked_at"] is not None:
        raise AuthError("this device's token was revoked", "revoked")
    if hmac.compare_digest(row["token_hash"], digest):
        expires = row["token_expires_at"]
        if expires is not None and expires <= iso(now):
            raise AuthError(f"this device's token expired at {expires[:16].replace('T', ' ')} UTC: ask your team "
                            "lead for a new token, then log in again (hangup-coach login)", "expired")
        return
    if row["old_token_hash"] is not None and hmac.compare_digest(row["old_token_hash"], digest):
        if row["old_token_until"] is not None and iso(now) < row["old_token_until"]:
            return                                             # the grace after a rotation
        raise AuthError("this token was replaced by a newer one: log in with the new token", "replaced")
    raise AuthError("unknown token")


def still_good(device_id: str, digest: str | None, now: datetime):
    """check's rules as SQL, for a write transaction to ask about a token its process remembered
    (device_cache.py): the device is not revoked and, if `digest` is given, the token is its
    current one and unexpired, or the replaced one within its grace."""
    at = iso(now)
    rules = [devices.c.id == device_id, devices.c.revoked_at.is_(None)]
    if digest is not None:
        rules.append(or_(
            and_(devices.c.token_hash == digest,
                 or_(devices.c.token_expires_at.is_(None), devices.c.token_expires_at > at)),
            and_(devices.c.old_token_hash == digest, devices.c.old_token_until > at)))
    return exists().where(*rules)


KEEP = "keep"       # rotate(days=KEEP): the new token lives as long as the replaced one did


def rotate(storage, device_id: str, by=None, days: float | None | str = KEEP, grace: timedelta = GRACE
           ) -> tuple[dict, str] | None:
    """A new token for the device (returned once, with the device and its token's times); the
    replaced one keeps working for `grace`. `days`: the new token's lifetime, None for never, KEEP
    for the replaced one's (never, if it never expired). None if there is no such device;
    ValueError for a revoked one. Audited (times only, never a token or its hash)."""
    from .store import _device          # store imports this module for authenticate

    now = storage.clock()
    token = new_token()
    with storage.write() as conn:
        row = conn.execute(select(devices).where(devices.c.id == device_id)).mappings().first()
        if row is None:
            return None
        if row["revoked_at"] is not None:
            raise ValueError(f"device {device_id} is revoked: add a new device instead")
        if days == KEEP:
            days = None
            if row["token_expires_at"] and row["token_issued_at"]:
                lifetime = (datetime.fromisoformat(row["token_expires_at"])
                            - datetime.fromisoformat(row["token_issued_at"]))
                days = lifetime.total_seconds() / 86400
        values = dict(issued(now, days), token_hash=token_hash(token), old_token_hash=row["token_hash"],
                      old_token_until=iso(now + grace))
        conn.execute(update(devices).where(devices.c.id == device_id).values(**values))
        before = {"token_issued_at": row["token_issued_at"], "token_expires_at": row["token_expires_at"]}
        after = {"token_issued_at": values["token_issued_at"], "token_expires_at": values["token_expires_at"],
                 "old_token_until": values["old_token_until"]}
        device = _device(row)
        audit.append(conn, by, permissions.DEVICE_MANAGE, "device.token", device_id, device.place, before, after,
                     at=iso(now))
    storage.device_rows.drop(device_id)     # after the commit: this process reads the device afresh
    return dict(device.public(), **after), token

