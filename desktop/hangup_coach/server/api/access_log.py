"""One JSON line per request, without tokens and without full phone numbers.

Only the method, the path (numbers masked: 138****8000), the status, the time taken, the client
address (the proxy's client when uvicorn trusts the proxy's headers), the device id and the
worker's process id are written; headers and bodies never are, so a token cannot reach the log.
"""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import datetime, timezone

from ...core.masking import mask_numbers

log = logging.getLogger("hangup_coach.server.access")


class AccessLog:
    """ASGI middleware around the app."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        status = {"code": 500}

        async def send_and_note(message):
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            client = scope.get("client")
            log.info(json.dumps({
                "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds"),
                "client": client[0] if client else None,
                "scheme": scope.get("scheme"),
                "method": scope["method"],
                "path": mask_numbers(scope["path"]),
                "status": status["code"],
                "ms": round((time.perf_counter() - started) * 1000, 2),
                "device": scope.get("hc.device"),
                "pid": os.getpid(),                     # which worker (--workers N)
            }, ensure_ascii=False))
