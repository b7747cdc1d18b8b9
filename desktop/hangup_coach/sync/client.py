"""HTTP client for the centre's sync server (docs/sync-api.md), over httpx.

Every answer is checked before it is believed: a server that is down, slow, answers 5xx or
garbage, or closes the connection mid-response raises `Unavailable` (worth retrying later);
a refused token raises `AuthRefused` (retrying will not help); a refused push batch raises
`BatchRefused` with the index of the bad record.
"""

from __future__ import annotations

import logging
import ssl
from datetime import datetime, timezone
from typing import Any, Callable

import httpx

from .. import wire
from ..core.phone import mask

log = logging.getLogger(__name__)
# httpx logs every request line at INFO: a profile URL holds a full phone number.
logging.getLogger("httpx").setLevel(logging.WARNING)
logging.getLogger("httpcore").setLevel(logging.WARNING)

DEFAULT_TIMEOUT = 10.0   # seconds per request (connect, read, write each)


def utc_now() -> datetime:
    """This machine's clock (the one the card records calls by), which the server measures."""
    return datetime.now(timezone.utc)


class SyncFailure(Exception):
    """Base of every sync client error; the message is safe to show and log."""


class Unavailable(SyncFailure):
    """The server could not be reached or gave an unusable answer; try again later."""


class AuthRefused(SyncFailure):
    """401/403: the token is missing, unknown, revoked, expired or replaced, or the role may not do
    this. `reason`: the server's word for a 401 ("expired", "replaced", "revoked", ...), else ""."""

    def __init__(self, status: int, message: str, reason: str = "") -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason


class Refused(SyncFailure):
    """A QA request or a command the server turned down (404 not in scope, 409 stale version or a
    state that does not allow it, 422 not acceptable)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class BatchRefused(SyncFailure):
    """422 on a push: record `index` of the batch is not acceptable; nothing of it was stored.
    `upgrade_required`: only a newer card can send it; `newer_than_server`: only a newer server can
    take it (keep it for after that upgrade, do not drop it)."""

    def __init__(self, message: str, index: int | None, upgrade_required: bool = False,
                 newer_than_server: bool = False) -> None:
        super().__init__(message)
        self.index = index
        self.upgrade_required = upgrade_required
        self.newer_than_server = newer_than_server


class Stale(Refused):
    """409: someone changed the record since it was read. `current` is the server's version,
    `yours` the command as sent: show the person both."""

    def __init__(self, message: str, current: dict, yours: dict) -> None:
        super().__init__(409, message)
        self.current = current
        self.yours = yours


class SyncClient:
    def __init__(self, server: str, token: str, timeout: float = DEFAULT_TIMEOUT,
                 verify: bool | ssl.SSLContext = True, now: Callable[[], datetime] | None = None) -> None:
        """`now`: the card's clock (default utc_now), sent with pushes and compared with the server's."""
        self.server = server.rstrip("/")
        self.now = now or utc_now
        # Server's clock minus ours in seconds when more than wire.MAX_SKEW_SECONDS apart, else None:
        # the card says so (app/sync_setup.py). Set by me() and push().
        self.clock_skew: float | None = None
        if verify is True:   # the system's trust store, so a centre's own CA installed there works
            verify = ssl.create_default_context()
        self._http = httpx.Client(base_url=self.server, timeout=timeout, verify=verify,
                                  headers={"Authorization": f"Bearer {token}",
                                           wire.PROTOCOL_HEADER: str(wire.PROTOCOL)})

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> "SyncClient":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ----- endpoints --------------------------------------------------------------------------
    def me(self) -> dict:
        sent = self.now()
        body = self._call("GET", "/v1/me")
        _expect(body, {"device_id": str, "agent_id": str, "role": str})
        self._measure_clock(body.get("server_time"), sent, self.now())
        return body

    def _measure_clock(self, server_time, sent: datetime, answered: datetime) -> None:
        """The server's time against the middle of our request; a round trip is far below the margin."""
        try:
            theirs = datetime.fromisoformat(server_time)
        except (TypeError, ValueError):
            return
        if theirs.tzinfo is None:
            return
        skew = (theirs - (sent + (answered - sent) / 2)).total_seconds()
        self.clock_skew = round(skew) if abs(skew) > wire.MAX_SKEW_SECONDS else None

    def push(self, device_id: str, records: list[dict]) -> list[tuple[str, str, int]]:
        """Send one batch; the (kind, id, version) the server acknowledged."""
        sent_at = self.now().astimezone(timezone.utc).isoformat(timespec="milliseconds")   # the server measures our clock
        body = self._call("POST", "/v1/push", json={"device_id": device_id, "records": records, "sent_at": sent_at})
        skew = body.get("clock_skew_seconds") if isinstance(body, dict) else None
        self.clock_skew = skew if isinstance(skew, (int, float)) and not isinstance(skew, bool) else None
        _expect(body, {"acked": list})
        acked = []
        for item in body["acked"]:
            if not (isinstance(item, dict) and isinstance(item.get("kind"), str) and isinstance(item.get("id"), str)
                    and isinstance(item.get("version"), int) and not isinstance(item.get("version"), bool)):
                raise Unavailable(f"the server's answer is not usable: bad ack {str(item)[:80]}")
            acked.append((item["kind"], item["id"], item["version"]))
        return acked

    def changes(self, since: str, limit: int) -> dict:
        body = self._call("GET", "/v1/changes", params={"since": since, "limit": limit})
        _expect(body, {"profiles": list, "blocklist": list, "cursor": str, "more": bool})
        return body

    def team_changes(self, since: str, limit: int) -> dict:
        body = self._call("GET", "/v1/team/changes", params={"since": since, "limit": limit})
        _expect(body, {"calls": list, "notes": list, "cursor": str, "more": bool})
        return body

    def team_reports(self, first: str, last: str, utc_offset: int) -> dict:
        """The figures of the teams this device may read (GET /v1/reports/teams, docs/server.md "Reports");
        Refused with the server's reason for a period it will not add up."""
        body = self._call("GET", "/v1/reports/teams", params={"first": first, "last": last, "utc_offset": utc_offset})
        _expect(body, {"scope": str, "teams": list, "total": dict})
        return body

    def profile(self, e164: str, timeout: float) -> dict | None:
        """One number's profile, or None when the server has none (404)."""
        body = self._call("GET", f"/v1/profiles/{e164}", timeout=timeout, missing_ok=True,
                          shown=f"/v1/profiles/{mask(e164)}")
        if body is not None:
            _expect(body, {"number": str, "evidence": list})
        return body

    def command(self, kind: str, record_id: str, name: str, expected_version: int, **fields) -> dict:
        """Run a command on a server-owned record (docs/server.md); the record as it is now.
        Commands need the server: Unavailable says plainly that it cannot be reached."""
        path = f"/v1/{kind}/{record_id}/{name}"
        return self._command(path, dict(fields, expected_version=expected_version))

    def create(self, kind: str, **fields) -> dict:
        """Create a server-owned record (give `id` to make a retry after a lost answer safe)."""
        return self._command(f"/v1/{kind}", fields)

    def _command(self, path: str, body: dict) -> dict:
        try:
            response = self._http.post(path, json=body)
            content = response.content
        except httpx.TimeoutException:
            raise Unavailable("the server did not answer in time: the command may not have run; "
                              "look again when it is back") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise Unavailable(f"the server cannot be reached ({type(exc).__name__}): this needs the server") from None
        reply = _json(content)
        message = reply.get("error") if isinstance(reply, dict) and isinstance(reply.get("error"), str) else None
        if response.status_code in (401, 403):
            raise AuthRefused(response.status_code, message or "refused")
        if response.status_code == 409 and isinstance(reply, dict) and isinstance(reply.get("current"), dict):
            raise Stale(message or "changed meanwhile", reply["current"], reply.get("yours") or body)
        if response.status_code in (404, 409, 422):
            raise Refused(response.status_code, message or f"HTTP {response.status_code}")
        if response.status_code not in (200, 201) or not isinstance(reply, dict):
            raise Unavailable(f"the server could not run it now (HTTP {response.status_code}): try again later")
        return reply

    def upload_recording(self, call_id: str, content: bytes, sha256: str | None = None, start: int = 0,
                         total: int | None = None) -> dict:
        """A call's recording (WAV) to the server (server/api/recordings.py): the whole of it, or the
        part of a `total`-byte file (checksum `sha256`) starting at `start`. Refused with the server's
        words on 404 (the call is not there yet), 409 (the part does not start where the server's
        copy ends), 413 (too large), 415, 422, 429 (the agent's quota for the day is used)."""
        headers = {"Content-Type": "audio/wav"}
        if sha256 is not None:
            total = len(content) if total is None else total
            headers |= {"Content-Range": f"bytes {start}-{start + len(content) - 1}/{total}",
                        "X-Content-SHA256": sha256}
        return self._call("PUT", f"/v1/recordings/{call_id}", content=content, headers=headers)

    def recording_offset(self, call_id: str, sha256: str, size: int) -> int:
        """How many bytes of this recording the server already has (where the next part starts)."""
        body = self._call("GET", f"/v1/recordings/{call_id}/upload", params={"sha256": sha256, "size": size})
        _expect(body, {"offset": int})
        return body["offset"]

    def download_recording(self, call_id: str) -> bytes | None:
        """A call's uploaded recording, or None when the server has none (404)."""
        path = f"/v1/recordings/{call_id}"
        try:
            response = self._http.get(path)
            content = response.content
        except httpx.TimeoutException:
            raise Unavailable(f"GET {path}: the server did not answer in time") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise Unavailable(f"GET {path}: {type(exc).__name__}: {exc}") from None
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise AuthRefused(response.status_code, f"GET {path}: {response.status_code} refused")
        if response.status_code != 200:
            raise Unavailable(f"GET {path}: HTTP {response.status_code}")
        return content

    def qa(self, method: str, path: str, body: Any = None) -> Any:
        """A QA endpoint (server/api/qa.py): `path` under /v1/qa/; Refused with the server's words on 404/409/422."""
        return self._call(method, "/v1/qa/" + path, **({"json": body} if body is not None else {}))

    # ----- transport --------------------------------------------------------------------------
    def _call(self, method: str, path: str, missing_ok: bool = False, shown: str | None = None,
              **kwargs) -> Any:
        shown = shown or path
        try:
            response = self._http.request(method, path, **kwargs)
            content = response.content  # read it all here: a cut-off body raises now
        except httpx.TimeoutException:
            raise Unavailable(f"{method} {shown}: the server did not answer in time") from None
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise Unavailable(f"{method} {shown}: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if status == 404 and missing_ok:
            return None
        body = _json(content)
        message = body.get("error") if isinstance(body, dict) and isinstance(body.get("error"), str) else None
        if status in (401, 403):
            reason = body.get("reason") if isinstance(body, dict) and isinstance(body.get("reason"), str) else ""
            raise AuthRefused(status, f"{method} {shown}: {status} {message or 'refused'}", reason)
        if status == 422 and path == "/v1/push":
            index = body.get("index") if isinstance(body, dict) else None
            raise BatchRefused(message or "the server refused the batch",
                               index if isinstance(index, int) and not isinstance(index, bool) else None,
                               isinstance(body, dict) and body.get("upgrade_required") is True,
                               isinstance(body, dict) and body.get("newer_than_server") is True)
        if (status in (404, 409, 413, 415, 422) and path.startswith(("/v1/qa/", "/v1/recordings/"))
                or status == 429 and path.startswith("/v1/recordings/")
                or status == 400 and path.startswith("/v1/reports/")):
            raise Refused(status, f"{method} {shown}: {status} {message or 'refused'}")
        if status not in (200, 201):
            raise Unavailable(f"{method} {shown}: HTTP {status} {(message or '')[:200]}".rstrip())
        if body is _NOT_JSON:
            raise Unavailable(f"{method} {shown}: the answer is not JSON")
        return body


_NOT_JSON = object()


def _json(content: bytes) -> Any:
    import json
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return _NOT_JSON


def _expect(body: Any, shape: dict[str, type]) -> None:
    if not isinstance(body, dict):
        raise Unavailable("the server's answer is not usable: not a JSON object")
    for key, kind in shape.items():
        value = body.get(key)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise Unavailable(f"the server's answer is not usable: {key!r} missing or not {kind.__name__}")
