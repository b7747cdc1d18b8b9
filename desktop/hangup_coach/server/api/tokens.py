"""Rotating a device's token over HTTP (storage/tokens.py): an admin's `POST /v1/devices/{id}/rotate`
with an optional body `{"expires_days": n | null, "grace_minutes": m}` → the device, its new token
(once) and until when the replaced one still works."""

from __future__ import annotations

from datetime import timedelta

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from .. import permissions
from ..storage import Storage
from ..storage import tokens

LONGEST_GRACE_MINUTES = 7 * 24 * 60


def _number(value, low: float, high: float) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and low <= value <= high


def routes(storage: Storage, authenticate, json_body) -> list[Route]:
    async def rotate(request: Request):
        device = await authenticate(request)
        permissions.check(device, permissions.DEVICE_MANAGE)
        raw = await request.body()
        body = (await json_body(request, 10_000)) if raw else {}
        if not isinstance(body, dict) or set(body) - {"expires_days", "grace_minutes"}:
            return _refused('expected {"expires_days": n | null, "grace_minutes": m}')
        days = body.get("expires_days", tokens.KEEP)     # absent: as long as the replaced one; null: never
        grace = body.get("grace_minutes", tokens.GRACE.total_seconds() / 60)
        if days not in (None, tokens.KEEP) and not _number(days, 0.001, tokens.LONGEST_DAYS):
            return _refused(f"expires_days must be a number of days up to {tokens.LONGEST_DAYS}, or null")
        if not _number(grace, 0, LONGEST_GRACE_MINUTES):
            return _refused(f"grace_minutes must be 0 to {LONGEST_GRACE_MINUTES}")
        try:
            found = await run_in_threadpool(tokens.rotate, storage, request.path_params["device_id"], device, days,
                                            timedelta(minutes=grace))
        except ValueError as exc:
            return JSONResponse({"error": str(exc)}, status_code=409)
        if found is None:
            return JSONResponse({"error": "no such device"}, status_code=404)
        shown, token = found
        return JSONResponse(dict(shown, token=token))

    return [Route("/v1/devices/{device_id}/rotate", rotate, methods=["POST"])]


def _refused(message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=422)
