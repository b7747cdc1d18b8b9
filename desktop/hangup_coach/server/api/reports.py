"""The report endpoint (docs/server.md, "Reports"): several teams' figures for a manager or lead."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from ..domain.reports import ReportError, parse_period, team_figures
from ..storage import Storage


def routes(storage: Storage, authenticate) -> list[Route]:
    async def teams(request: Request):
        """GET /v1/reports/teams?first=YYYY-MM-DD&last=YYYY-MM-DD&utc_offset=480"""
        device = await authenticate(request)
        params = request.query_params
        first, last, offset = parse_period(params.get("first"), params.get("last"), params.get("utc_offset"))
        return JSONResponse(await run_in_threadpool(team_figures, storage, device, first, last, offset))

    return [Route("/v1/reports/teams", teams)]


async def on_error(request: Request, exc: ReportError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=400)
