"""The recordings endpoints (docs/server.md, "Recordings"): a card uploads its call's recording, a
reviewer in the call's scope plays it."""

from __future__ import annotations

import os
import re
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse
from starlette.routing import Route

from ..domain.recordings import DEFAULT_DAYS, DEFAULT_MAX_BYTES, DEFAULT_QUOTA_BYTES, RecordingError, Recordings

__all__ = ["RecordingError", "from_env", "on_error", "routes"]

FOLDER_ENV = "HANGUP_COACH_SERVER_RECORDINGS"          # set by `hangup-coach server` for its workers
DRAIN_FACTOR = 4                                        # how far past the limit a refused body is still read
MAX_BYTES_ENV = "HANGUP_COACH_SERVER_RECORDING_MAX_BYTES"
DAYS_ENV = "HANGUP_COACH_SERVER_RECORDING_DAYS"
QUOTA_BYTES_ENV = "HANGUP_COACH_SERVER_RECORDING_QUOTA_BYTES"
CONTENT_RANGE = re.compile(r"bytes (\d{1,12})-(\d{1,12})/(\d{1,12})")
RETRY_QUOTA = 3600                                      # seconds a card waits after its day's quota is used


def from_env(storage, database: str) -> Recordings:
    """The server's recordings: the folder given, else `recordings/` beside a SQLite database (or
    in the current directory's `recordings/` for PostgreSQL, when nothing was given)."""
    folder = os.environ.get(FOLDER_ENV) or str(
        Path(database).expanduser().parent / "recordings" if "://" not in database else Path("recordings"))
    return Recordings(storage, Path(folder), int(os.environ.get(MAX_BYTES_ENV, DEFAULT_MAX_BYTES)),
                      float(os.environ.get(DAYS_ENV, DEFAULT_DAYS)),
                      int(os.environ.get(QUOTA_BYTES_ENV, DEFAULT_QUOTA_BYTES)))


def routes(recordings: Recordings, authenticate) -> list[Route]:
    async def upload(request: Request):
        """The whole WAV, or one part of it: `Content-Range: bytes START-END/SIZE` with
        `X-Content-SHA256` (the whole file's), resumed where `GET .../upload` says."""
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
        body = b"".join(chunks)
        span = request.headers.get("content-range")
        if span is None:
            saved = await run_in_threadpool(recordings.save, device, call_id, body)
        else:
            start, end, total = _span(span, len(body))
            saved = await run_in_threadpool(recordings.append, device, call_id,
                                            request.headers.get("x-content-sha256", ""), start, total, body)
        return JSONResponse(saved, status_code=201 if saved["complete"] else 200)

    async def progress(request: Request):
        device = await authenticate(request)
        size = request.query_params.get("size", "")
        if not size.isdigit():
            raise RecordingError("size: the recording's length in bytes is required", 422)
        return JSONResponse(await run_in_threadpool(recordings.offset, device, request.path_params["call_id"],
                                                    request.query_params.get("sha256", ""), int(size)))

    async def download(request: Request):
        device = await authenticate(request)
        path = await run_in_threadpool(recordings.path_for_reader, device, request.path_params["call_id"])
        return FileResponse(path, media_type="audio/wav")

    return [Route("/v1/recordings/{call_id}", upload, methods=["PUT"]),
            Route("/v1/recordings/{call_id}/upload", progress, methods=["GET"]),
            Route("/v1/recordings/{call_id}", download, methods=["GET"])]


def _span(header: str, length: int) -> tuple[int, int, int]:
    found = CONTENT_RANGE.fullmatch(header.strip())
    if found is None:
        raise RecordingError("Content-Range must be 'bytes START-END/SIZE'", 422)
    start, end, total = map(int, found.groups())
    if end < start or end - start + 1 != length or end >= total:
        raise RecordingError(f"Content-Range {header} does not match the {length:,} bytes sent", 422)
    return start, end, total


async def on_error(request: Request, exc: RecordingError) -> JSONResponse:
    return JSONResponse({"error": exc.message, **exc.extra}, status_code=exc.status,
                        headers={"Retry-After": str(RETRY_QUOTA)} if exc.status == 429 else None)
