"""The sync server's HTTP API (docs/sync-api.md) as a Starlette app.

The app keeps no state outside the database, so any number of server processes can serve one
PostgreSQL. Database work runs in Starlette's thread pool, never on the event loop.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os

from sqlalchemy.exc import DBAPIError
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ... import wire
from ..domain import cases
from . import blocklist as blocklist_api
from ..domain.qa import Qa, QaError
from .qa import on_qa_error, qa_routes
from .access_log import AccessLog, mask_numbers
from ..storage import AuthError, Device, Storage, iso

log = logging.getLogger("hangup_coach.server")
DATABASE_ENV = "HANGUP_COACH_SERVER_DATABASE"   # how `--workers N` children learn the database


def error(status: int, message: str, **extra) -> JSONResponse:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def create_app(storage: Storage, blocklist=None, worker=None) -> AccessLog:
    qa = Qa(storage)

    async def authorise(request: Request, *roles: str) -> Device:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        device = await run_in_threadpool(storage.authenticate, token.strip() if scheme.lower() == "bearer" else None)
        request.scope["hc.device"] = device.id          # for the access log (never the token)
        if roles and device.role not in roles:
            raise AuthError(403, f"a {device.role} device may not do this")
        return device

    async def health(request: Request):
        try:
            version = await run_in_threadpool(storage.schema_version)
        except DBAPIError as exc:
            log.error("health: the database is unavailable: %s", type(exc.orig).__name__)
            return JSONResponse({"status": "error", "database": storage.dialect, "schema": None}, status_code=503)
        return JSONResponse({"status": "ok", "database": storage.dialect, "schema": version})

    async def me(request: Request):
        device = await authorise(request)
        return JSONResponse({"device_id": device.id, "agent_id": device.agent_id, "role": device.role,
                             "team": device.team, "server_time": iso(storage.clock())})

    async def push(request: Request):
        device = await authorise(request, "agent", "lead", "qa")
        batch = wire.parse_push(await json_body(request, wire.MAX_BODY_BYTES))   # WireError → 422
        reviews = [r for r in batch.records if r.kind == "qa_review"]
        if reviews:
            await run_in_threadpool(qa.check_reviews, device, reviews)   # QaError → 422
        acked, server_time = await run_in_threadpool(storage.push, device, batch)
        return JSONResponse({"acked": acked, "server_time": server_time})

    async def changes(request: Request):
        await authorise(request, "agent", "lead", "qa")
        since, limit = pull_params(request)
        return JSONResponse(await run_in_threadpool(storage.changes, since, limit))

    async def profile(request: Request):
        await authorise(request, "agent", "lead", "qa")
        number = request.path_params["number"]
        if not wire.is_e164(number):
            return error(422, "the number must be E.164 (+ and 6-15 digits)")
        found = await run_in_threadpool(storage.profile, number)
        return JSONResponse(found) if found else error(404, "no calls or case for this number")

    async def put_cases(request: Request):
        device = await authorise(request, "lead", "admin")
        given = cases.parse_json(await json_body(request, cases.MAX_BODY_BYTES))   # CaseError → 422
        changed = await run_in_threadpool(storage.put_cases, given, device.id)
        return JSONResponse({"cases": len(given), "changed": changed, "server_time": iso(storage.clock())})

    async def team_changes(request: Request):
        device = await authorise(request, "lead")
        since, limit = pull_params(request)
        return JSONResponse(await run_in_threadpool(storage.team_changes, device.team, since, limit))

    async def list_devices(request: Request):
        await authorise(request, "admin")
        found = await run_in_threadpool(storage.list_devices)
        return JSONResponse({"devices": [d.public() for d in found]})

    async def add_device(request: Request):
        await authorise(request, "admin")
        body = await json_body(request, 10_000)
        if not isinstance(body, dict) or set(body) - {"agent_id", "role", "team"}:
            return error(422, "expected {\"agent_id\", \"role\", \"team\"}")
        agent, role, team = body.get("agent_id"), body.get("role"), body.get("team")
        if not isinstance(agent, str) or not isinstance(role, str) or not isinstance(team, (str, type(None))):
            return error(422, "agent_id and role must be strings, team a string or null")
        try:
            device, token = await run_in_threadpool(storage.add_device, agent, role, team)
        except ValueError as exc:
            return error(422, str(exc))
        return JSONResponse(dict(device.public(), token=token), status_code=201)

    async def revoke_device(request: Request):
        await authorise(request, "admin")
        device = await run_in_threadpool(storage.revoke_device, request.path_params["device_id"])
        return JSONResponse(device.public()) if device else error(404, "no such device")

    async def on_auth(request: Request, exc: AuthError):
        return error(exc.status, exc.message)

    async def on_wire(request: Request, exc: wire.WireError):
        extra = {"index": exc.index} if exc.index is not None else {}
        return error(400 if isinstance(exc, wire.BadParameter) else 422, exc.message, **extra)

    async def on_case(request: Request, exc: cases.CaseError):
        return error(422, str(exc), where=exc.where)

    async def on_database(request: Request, exc: DBAPIError):
        log.error("database error on %s %s: %s", request.method, mask_numbers(request.url.path),
                  type(exc.orig).__name__)
        return error(503, "the database is unavailable; try again later")

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
        Route("/v1/devices", list_devices, methods=["GET"]),
        Route("/v1/devices", add_device, methods=["POST"]),
        Route("/v1/devices/{device_id}/revoke", revoke_device, methods=["POST"]),
        *qa_routes(qa, authorise, json_body),
    ]
    if blocklist is not None:
        routes += blocklist_api.routes(blocklist, authorise, json_body)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if worker is not None:
            worker.start()          # the blocklist's background work (expiry, bursts, Kamailio)
        yield
        if worker is not None:
            await run_in_threadpool(worker.stop)

    app = Starlette(routes=routes, lifespan=lifespan, exception_handlers={
        AuthError: on_auth, wire.WireError: on_wire, cases.CaseError: on_case, HTTPException: on_http,
        DBAPIError: on_database, QaError: on_qa_error, blocklist_api.BlocklistError: blocklist_api.on_error})
    return AccessLog(app)


async def json_body(request: Request, limit: int):
    """The body as JSON; 413 past `limit` bytes (counted as it arrives, chunked or not), 400 if not JSON."""
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
    try:
        return json.loads(b"".join(chunks))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HTTPException(400, f"the body is not JSON: {exc}") from None


def pull_params(request: Request) -> tuple[int, int]:
    return wire.parse_cursor(request.query_params.get("since")), wire.parse_limit(request.query_params.get("limit"))


def app_from_env() -> AccessLog:
    """uvicorn's factory in each worker process: the database comes from the environment."""
    storage = Storage(os.environ[DATABASE_ENV])
    return create_app(storage, *blocklist_api.from_env(storage))
