"""The sync server's HTTP API (docs/sync-api.md) as a Starlette app.

The app keeps no state outside the database, so any number of server processes can serve one
PostgreSQL. Database work runs in Starlette's thread pool, never on the event loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import hangup_coach

from ... import wire
from .. import domain, permissions
from ..domain import cases, framework, records, schedule
from ..domain.framework import DomainKind
from ..domain.qa import Qa, QaError
from ..storage import AuthError, Device, Storage, iso
from ..storage import changes as stamps
from . import blocklist as blocklist_api
from . import recordings as recordings_api
from . import reports as reports_api
from . import tokens as tokens_api
from .access_log import AccessLog, mask_numbers
from .limits import RATE_ENV, DeviceRate, TooMany
from .protocol import ProtocolVersion
from .qa import on_qa_error, qa_routes

log = logging.getLogger("hangup_coach.server")
DATABASE_ENV = "HANGUP_COACH_SERVER_DATABASE"   # how `--workers N` children learn the database
NO_JOBS_ENV = "HANGUP_COACH_NO_JOBS"            # set: scheduled jobs are left to `hangup-coach server worker`


SERVER_VERSION = hangup_coach.__version__   # a card re-sends what it held for this server's upgrade when it changes
RETRY_AFTER = 2          # seconds a card waits before asking again after a 503 (busy, database away)


def error(status: int, message: str, **extra) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else \
        {"Retry-After": str(RETRY_AFTER)} if status in (429, 503) else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def create_app(storage: Storage, kinds: list[DomainKind] | None = None, blocklist=None, worker=None,
               rate: DeviceRate | None = None, recordings=None, jobs=None) -> AccessLog:
    """The API over `storage`, serving the domain kinds `kinds` (default: domain.KINDS), the
    blocklist's endpoints if given one, running `worker` (background work) while it serves, each
    device held to `rate` (default: limits.DEFAULT_RATE requests/s)."""
    kinds = domain.KINDS if kinds is None else kinds
    rate = rate or DeviceRate()
    qa = Qa(storage)

    async def authenticate(request: Request, remembered: bool = False) -> Device:
        """The request's device (401 without a valid token); what it may do is asked of
        permissions by each endpoint. `remembered`: a device this process looked up lately will do,
        without the database: only for a request whose own transaction checks the device is still
        live (a push; a pull or a ring-time lookup passes the device to its query as `live`)."""
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else None
        device = (storage.known_device(token) if remembered else None) or \
            await run_in_threadpool(storage.authenticate, token)
        request.scope["hc.device"] = device.id          # for the access log (never the token)
        rate.take(device.id)                            # TooMany → 429
        return device

    async def health(request: Request):
        try:
            version = await run_in_threadpool(storage.schema_version)
        except DBAPIError as exc:
            log.error("health: the database is unavailable: %s", type(exc.orig).__name__)
            return JSONResponse({"status": "error", "database": storage.dialect, "schema": None}, status_code=503,
                                headers={"Retry-After": str(RETRY_AFTER)})
        return JSONResponse({"status": "ok", "database": storage.dialect, "schema": version})

    async def me(request: Request):
        device = await authenticate(request)
        permissions.check(device, permissions.ME_READ, device.place)
        return JSONResponse({"device_id": device.id, "agent_id": device.agent_id, "role": device.role,
                             "team": device.team, "site": device.site, "server_time": iso(storage.clock()),
                             "protocol": wire.PROTOCOL, "client_protocol": request.state.protocol,
                             "server_version": SERVER_VERSION})

    async def push(request: Request):
        device = await authenticate(request, remembered=True)
        raw = await read_body(request, wire.MAX_BODY_BYTES)
        # Decoded, validated and stored in one trip to the thread pool: a 500-record batch costs the
        # event loop nothing, and ring-time lookups on this worker do not wait behind it.
        acked, server_time, skew = await run_in_threadpool(store_push, device, raw)
        skewed = {"clock_skew_seconds": round(skew)} if skew else {}     # the card says so on the card
        return JSONResponse({"acked": acked, "server_time": server_time, **skewed})

    def store_push(device: Device, raw: bytes):
        batch = wire.parse_push(decode_json(raw))
        reviews = [r for r in batch.records if r.kind == "qa_review"]
        return records.push(storage, device, batch,    # a review: of a batch's call (QaError → 422)
                            (lambda: qa.check_reviews(device, reviews)) if reviews else None)

    async def changes(request: Request):
        device = await authenticate(request, remembered=True)
        reach = permissions.reach(device, permissions.EVIDENCE_READ)
        since, limit = pull_params(request)
        return JSONResponse(await run_in_threadpool(storage.changes, reach, device.team, since, limit, device))

    async def profile(request: Request):
        device = await authenticate(request, remembered=True)
        reach = permissions.reach(device, permissions.EVIDENCE_READ)
        number = request.path_params["number"]
        if not wire.is_e164(number):
            return error(422, "the number must be E.164 (+ and 6-15 digits)")
        found = await run_in_threadpool(storage.profile, reach, number, device)
        return JSONResponse(found) if found else error(404, "no calls or case for this number")

    async def put_cases(request: Request):
        device = await authenticate(request)
        permissions.check(device, permissions.CASE_WRITE)
        given = cases.parse_json(await json_body(request, cases.MAX_BODY_BYTES))   # CaseError → 422
        changed = await run_in_threadpool(storage.put_cases, given, device)
        return JSONResponse({"cases": len(given), "changed": changed, "server_time": iso(storage.clock())})

    async def team_changes(request: Request):
        device = await authenticate(request, remembered=True)
        reach = permissions.reach(device, permissions.TEAM_READ)
        since, limit = pull_params(request)
        return JSONResponse(await run_in_threadpool(storage.team_changes, reach, since, limit, device))

    async def read_audit(request: Request):
        device = await authenticate(request)
        reach = permissions.reach(device, permissions.AUDIT_READ)
        since, limit = pull_params(request)
        kind, record_id = request.query_params.get("kind"), request.query_params.get("id")
        return JSONResponse(await run_in_threadpool(storage.read_audit, reach, since, limit, kind, record_id))

    async def list_devices(request: Request):
        device = await authenticate(request)
        reach = permissions.reach(device, permissions.DEVICE_READ)
        found = await run_in_threadpool(storage.list_devices, reach)
        return JSONResponse({"devices": [d.public() for d in found]})

    async def add_device(request: Request):
        device = await authenticate(request)
        permissions.check(device, permissions.DEVICE_MANAGE)
        body = await json_body(request, 10_000)
        names = ("agent_id", "role", "team", "site", "expires_days", "covers")
        if not isinstance(body, dict) or set(body) - set(names):
            return error(422, "expected {\"agent_id\", \"role\", \"team\", \"site\", \"expires_days\", \"covers\"}")
        agent, role, team, site, days, covers = (body.get(n) for n in names)
        if covers is not None and not (isinstance(covers, list) and all(isinstance(t, str) for t in covers)):
            return error(422, "covers must be a list of team names (a qa device's further teams), or [\"*\"] "
                              "for its whole site")
        if not isinstance(agent, str) or not isinstance(role, str) or \
                not all(isinstance(v, (str, type(None))) for v in (team, site)):
            return error(422, "agent_id and role must be strings, team and site strings or null")
        if days is not None and (isinstance(days, bool) or not isinstance(days, (int, float))):
            return error(422, "expires_days must be a number of days or null")
        try:
            made, token = await run_in_threadpool(storage.add_device, agent, role, team, site, device,
                                                  tuple(covers or ()), days)
        except ValueError as exc:
            return error(422, str(exc))
        return JSONResponse(dict(made.public(), token=token), status_code=201)

    async def revoke_device(request: Request):
        device = await authenticate(request)
        permissions.check(device, permissions.DEVICE_MANAGE)
        revoked = await run_in_threadpool(storage.revoke_device, request.path_params["device_id"], device)
        return JSONResponse(revoked.public()) if revoked else error(404, "no such device")

    def kind_routes(kind: DomainKind) -> list[Route]:
        async def create(request: Request):
            device = await authenticate(request)
            body = await json_body(request, framework.MAX_BODY_BYTES)
            return JSONResponse(await run_in_threadpool(framework.create, storage, device, kind, body), status_code=201)

        async def listed(request: Request):
            device = await authenticate(request)
            since, limit = pull_params(request)
            return JSONResponse(await run_in_threadpool(framework.changes, storage, device, kind, since, limit))

        async def one(request: Request):
            device = await authenticate(request)
            return JSONResponse(await run_in_threadpool(framework.get, storage, device, kind,
                                                        request.path_params["id"]))

        async def command(request: Request):
            device = await authenticate(request)
            body = await json_body(request, framework.MAX_BODY_BYTES)
            return JSONResponse(await run_in_threadpool(framework.run, storage, device, kind,
                                                        request.path_params["id"], request.path_params["command"],
                                                        body))

        base = f"/v1/{kind.name}"
        return [Route(base, create, methods=["POST"]), Route(base, listed, methods=["GET"]),
                Route(base + "/{id}", one, methods=["GET"]),
                Route(base + "/{id}/{command}", command, methods=["POST"])]

    async def on_auth(request: Request, exc: AuthError):
        return error(401, exc.message, reason=exc.reason)     # "expired": the card says so

    async def on_denied(request: Request, exc: permissions.Denied):
        return error(403, exc.message)

    async def on_wire(request: Request, exc: wire.WireError):
        extra = {"index": exc.index} if exc.index is not None else {}
        if isinstance(exc, wire.UpgradeRequired):
            extra["upgrade_required"] = True
        if isinstance(exc, wire.NewerThanServer):
            extra["newer_than_server"] = True       # the card keeps it until this server is upgraded
        return error(400 if isinstance(exc, wire.BadParameter) else 422, exc.message, **extra)

    async def on_case(request: Request, exc: cases.CaseError):
        return error(422, str(exc), where=exc.where)

    async def on_stale(request: Request, exc: framework.Stale):
        return error(409, exc.message, current=exc.current, yours=exc.yours)

    async def on_command(request: Request, exc: framework.CommandError):
        return error(exc.status, exc.message)

    async def on_not_found(request: Request, exc: framework.NotFound):
        return error(404, exc.message)

    async def on_database(request: Request, exc: DBAPIError):
        log.error("database error on %s %s: %s", request.method, mask_numbers(request.url.path),
                  type(exc.orig).__name__)
        return error(503, "the database is unavailable; try again later")

    async def on_too_many(request: Request, exc: TooMany):
        return JSONResponse({"error": exc.message}, status_code=429,
                            headers={"Retry-After": str(max(1, math.ceil(exc.wait)))})

    async def on_pool_timeout(request: Request, exc: PoolTimeout):
        log.warning("busy: no database connection free for %s %s within %s s", request.method,
                    mask_numbers(request.url.path), storage.engine.pool.timeout())
        return error(503, "the server is busy; try again shortly")

    async def on_http(request: Request, exc: HTTPException):
        return error(exc.status_code, exc.detail or "error")

    routes = [
        Route("/health", health),
        Route("/v1/me", me),
        Route("/v1/push", push, methods=["POST"]),
        Route("/v1/changes", changes),
        Route("/v1/profiles/{number}", profile),
        Route("/v1/cases", put_cases, methods=["PUT"]),
        Route("/v1/team/changes", team_changes),
        Route("/v1/audit", read_audit),
        Route("/v1/devices", list_devices, methods=["GET"]),
        Route("/v1/devices", add_device, methods=["POST"]),
        Route("/v1/devices/{device_id}/revoke", revoke_device, methods=["POST"]),
        *tokens_api.routes(storage, authenticate, json_body),
        *qa_routes(qa, authenticate, json_body),
        *reports_api.routes(storage, authenticate),
    ]
    if blocklist is not None:
        routes += blocklist_api.routes(blocklist, authenticate, json_body)
    if recordings is not None:
        routes += recordings_api.routes(recordings, authenticate)
    taken = {r.path for r in routes}
    for kind in kinds:
        if f"/v1/{kind.name}" in taken:
            raise ValueError(f"domain kind {kind.name!r} would hide an endpoint")
        routes += kind_routes(kind)
    @contextlib.asynccontextmanager
    async def lifespan(app):
        if worker is not None:
            worker.start()          # the blocklist's background work (expiry, bursts, Kamailio)
        if jobs is not None:
            jobs.start()            # scheduled jobs (domain/schedule.py): evidence retention
        yield
        if jobs is not None:
            await run_in_threadpool(jobs.stop)
        if worker is not None:
            await run_in_threadpool(worker.stop)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        QaError: on_qa_error, AuthError: on_auth, permissions.Denied: on_denied, wire.WireError: on_wire, cases.CaseError: on_case,
        framework.Stale: on_stale, framework.CommandError: on_command, framework.NotFound: on_not_found,
        HTTPException: on_http, DBAPIError: on_database, PoolTimeout: on_pool_timeout, TooMany: on_too_many, blocklist_api.BlocklistError: blocklist_api.on_error,
        recordings_api.RecordingError: recordings_api.on_error,
        reports_api.ReportError: reports_api.on_error})
    return AccessLog(ProtocolVersion(app))


async def json_body(request: Request, limit: int):
    """The body as JSON; 413 past `limit` bytes (counted as it arrives, chunked or not), 400 if not JSON."""
    return await run_in_threadpool(decode_json, await read_body(request, limit))


async def read_body(request: Request, limit: int) -> bytes:
    """The body's bytes; 413 past `limit` bytes (counted as it arrives, chunked or not)."""
    too_large = HTTPException(413, f"the body is over {limit:,} bytes")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def decode_json(raw: bytes):
    """JSON, or 400: also for what Python's decoder cannot take (a 200,000-deep array overflows its
    recursion; an integer of more than 4,300 digits is refused by int())."""
    try:
        return json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(400, f"the body is not JSON: {exc}") from None
    except RecursionError:
        raise HTTPException(400, "the body is not acceptable JSON: nested too deeply") from None
    except ValueError as exc:
        raise HTTPException(400, f"the body is not acceptable JSON: {str(exc)[:120]}") from None


def pull_params(request: Request) -> tuple[stamps.Cursor, int]:
    return stamps.parse(request.query_params.get("since")), wire.parse_limit(request.query_params.get("limit"))


def app_from_env() -> AccessLog:
    """uvicorn's factory in each worker process: the database comes from the environment."""
    storage = Storage(os.environ[DATABASE_ENV])
    blocklist, worker = blocklist_api.from_env(storage)
    rate = DeviceRate(float(os.environ[RATE_ENV])) if os.environ.get(RATE_ENV) else None
    jobs = None if os.environ.get(NO_JOBS_ENV) else schedule.from_env(storage)
    return create_app(storage, blocklist=blocklist, worker=worker, rate=rate,
                      recordings=recordings_api.from_env(storage, os.environ[DATABASE_ENV]), jobs=jobs)
