"""The recordings endpoints (docs/server.md, "Recordings"): a card uploads its call's recording, a
reviewer in the call's scope plays it."""

from __future__ import annotations

import os
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from ..domain.recordings import DEFAULT_DAYS, DEFAULT_MAX_BYTES, RecordingError, Recordings

__all__ = ["RecordingError", "from_env", "on_error", "routes"]

FOLDER_ENV = "HANGUP_COACH_SERVER_RECORDINGS"          # set by `hangup-coach server` for its workers
DRAIN_FACTOR = 4                                        # how far past the limit a refused body is still read
MAX_BYTES_ENV = "HANGUP_COACH_SERVER_RECORDING_MAX_BYTES"
DAYS_ENV = "HANGUP_COACH_SERVER_RECORDING_DAYS"


def from_env(storage, database: str) -> Recordings:
    """The server's recordings: the folder given, else `recordings/` beside a SQLite database (or
    in the current directory's `recordings/` for PostgreSQL, when nothing was given)."""
    folder = os.environ.get(FOLDER_ENV) or str(
        Path(database).expanduser().parent / "recordings" if "://" not in database else Path("recordings"))
    return Recordings(storage, Path(folder), int(os.environ.get(MAX_BYTES_ENV, DEFAULT_MAX_BYTES)),
                      float(os.environ.get(DAYS_ENV, DEFAULT_DAYS)))


def routes(recordings: Recordings, authenticate) -> list[Route]:
    async def upload(request: Request):
        device = await authenticate(request)
        call_id = request.path_params["call_id"]
        await run_in_threadpool(recordings.authorise_upload, device, call_id)   # before a byte is kept
        chunks, size = [], 0
        async for chunk in request.stream():   # read on even when too large (kept: none of it), so the card
            size += len(chunk)                 # hears the 413 rather than a broken connection; up to a point
            if size <= recordings.max_bytes:
                chunks.append(chunk)
            else:
                chunks.clear()
                if size > DRAIN_FACTOR * recordings.max_bytes:
                    break
        if size > recordings.max_bytes:
            raise recordings.too_large(size)
        saved = await run_in_threadpool(recordings.save, device, call_id, b"".join(chunks))
        return JSONResponse(saved, status_code=201)

    async def download(request: Request):
        device = await authenticate(request)
        path = await run_in_threadpool(recordings.path_for_reader, device, request.path_params["call_id"])
        return FileResponse(path, media_type="audio/wav")

    return [Route("/v1/recordings/{call_id}", upload, methods=["PUT"]),
            Route("/v1/recordings/{call_id}", download, methods=["GET"])]


async def on_error(request: Request, exc: RecordingError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status)
