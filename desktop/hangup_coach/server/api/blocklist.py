"""The blocklist's HTTP endpoints (docs/blocklist.md). Decisions are in server/domain/blocklist.py
and core/blocklist.py (the centre's rules); this only reads requests and writes answers.

Who may call which is asked of server/permissions.py (the blocklist's actions, domain/blocklist.py):
GET  /v1/blocklist?status=S&number=N       the blocks in reach (block.read: a lead's team, a manager's site)
GET  /v1/blocklist/queue                   the review queue in reach, with evidence calls
GET  /v1/blocklist/export?format=F         csv | asterisk | freeswitch (text; block.export)
GET  /v1/blocklist/{id}                    one block, its audit trail and evidence calls
POST /v1/blocklist/{id}/{action}           approve | reject | review (block.decide), activate | revoke
                                           (block.operate), body {"expected_version": n, "note": "...",
                                           "expires_at": "..."}
GET  /v1/blocklist/never-block             the centre's never-block list (block.read)
POST /v1/blocklist/never-block             {"number": "+86…", "note": "..."} (never_block.manage)
DELETE /v1/blocklist/never-block/{number}  body {"note": "why"} (never_block.manage)
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from ...core.blocklist import BlockRules
from ..domain.blocklist import Blocklist, BlocklistError, background
from ..domain.jobs import Scheduler
from ..domain.kamailio import KamailioSync

RULES_ENV = "HANGUP_COACH_BLOCKLIST_RULES"     # the centre's blocklist.toml (else the shipped one)
KAMAILIO_ENV = "HANGUP_COACH_KAMAILIO_RPC"     # http://host:port/RPC of the Kamailio to keep in step
INTERVAL_ENV = "HANGUP_COACH_BLOCKLIST_TICK"   # seconds between the worker's rounds (default 1)
LEASE_ENV = "HANGUP_COACH_BLOCKLIST_LEASE"     # seconds before another process takes a dead one's work (30)
COMMAND_BODY_BYTES = 10_000


def load_rules(path: str | None = None) -> BlockRules:
    """The centre's rules (RulesError, naming the key, when malformed)."""
    from importlib.resources import files

    chosen = Path(path) if path else Path(str(files("hangup_coach.resources").joinpath("blocklist.toml")))
    return BlockRules.from_toml(chosen.read_text(encoding="utf-8"))


def from_env(storage) -> tuple[Blocklist, Scheduler]:
    rules = load_rules(os.environ.get(RULES_ENV))
    url = os.environ.get(KAMAILIO_ENV)
    blocklist = Blocklist(storage, rules, KamailioSync(url) if url else None)
    storage.push_hooks.append(blocklist.proposals_pushed)
    return blocklist, background(blocklist, float(os.environ.get(INTERVAL_ENV, "1")),
                                 float(os.environ.get(LEASE_ENV, "30")))


def routes(blocklist: Blocklist, authenticate, json_body) -> list[Route]:
    async def listing(request: Request):
        device = await authenticate(request)
        found = await run_in_threadpool(blocklist.list, device, request.query_params.get("status"),
                                        request.query_params.get("number"))
        return JSONResponse({"blocks": found})

    async def queue(request: Request):
        device = await authenticate(request)
        return JSONResponse(await run_in_threadpool(blocklist.queue, device))

    async def export(request: Request):
        device = await authenticate(request)
        text = await run_in_threadpool(blocklist.export, device, request.query_params.get("format", "csv"))
        return PlainTextResponse(text)

    async def one(request: Request):
        device = await authenticate(request)
        return JSONResponse(await run_in_threadpool(blocklist.get, device, request.path_params["block_id"]))

    async def command(request: Request):
        device = await authenticate(request)
        body = await json_body(request, COMMAND_BODY_BYTES)
        if not isinstance(body, dict) or set(body) - {"expected_version", "note", "expires_at"}:
            raise BlocklistError(422, 'expected {"expected_version", "note", "expires_at"}')
        note = body.get("note") or ""
        if not isinstance(note, str):
            raise BlocklistError(422, "note must be text")
        changed = await run_in_threadpool(blocklist.command, device, request.path_params["block_id"],
                                          request.path_params["action"], body.get("expected_version"), note,
                                          body.get("expires_at"))
        return JSONResponse(changed)

    async def never_block(request: Request):
        device = await authenticate(request)
        body = await json_body(request, COMMAND_BODY_BYTES)
        if not isinstance(body, dict) or not isinstance(body.get("number"), str):
            raise BlocklistError(422, 'expected {"number": "+86…", "note": "..."}')
        await run_in_threadpool(blocklist.never_block_add, device, body["number"], str(body.get("note") or ""))
        return JSONResponse({"number": body["number"]}, status_code=201)

    async def never_block_list(request: Request):
        device = await authenticate(request)
        return JSONResponse({"numbers": await run_in_threadpool(blocklist.never_block_list, device)})

    async def never_block_remove(request: Request):
        device = await authenticate(request)
        body = await json_body(request, COMMAND_BODY_BYTES)
        if not isinstance(body, dict) or not isinstance(body.get("note"), str):
            raise BlocklistError(422, 'expected {"note": "why"}')
        await run_in_threadpool(blocklist.never_block_remove, device, request.path_params["number"], body["note"])
        return JSONResponse({"number": request.path_params["number"], "removed": True})

    return [
        Route("/v1/blocklist", listing),
        Route("/v1/blocklist/never-block", never_block_list, methods=["GET"]),
        Route("/v1/blocklist/never-block/{number}", never_block_remove, methods=["DELETE"]),
        Route("/v1/blocklist/queue", queue),
        Route("/v1/blocklist/export", export),
        Route("/v1/blocklist/never-block", never_block, methods=["POST"]),
        Route("/v1/blocklist/{block_id}", one),
        Route("/v1/blocklist/{block_id}/{action}", command, methods=["POST"]),
    ]


async def on_error(request: Request, exc: BlocklistError):
    return JSONResponse({"error": exc.message, **exc.extra}, status_code=exc.status)
