"""The protocol version of every request (wire.PROTOCOL_HEADER), as ASGI middleware: a garbled one
is a 400, one older than this server still speaks a 426 that says to upgrade; a newer one is
served (its unknown fields are kept); every answer says the server's version."""

from __future__ import annotations

from starlette.responses import JSONResponse

from ... import wire

HEADER = wire.PROTOCOL_HEADER.lower().encode("latin-1")


class ProtocolVersion:
    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        raw = dict(scope["headers"]).get(HEADER)
        try:
            version = wire.parse_protocol(raw.decode("latin-1") if raw is not None else None)
        except wire.BadParameter as exc:
            return await self._answer(400, exc.message, scope, receive, send)
        if version < wire.MIN_PROTOCOL:
            return await self._answer(426, f"this card speaks protocol {version}; this server needs "
                                           f"{wire.MIN_PROTOCOL} or newer: upgrade Hangup Coach", scope, receive, send)
        scope.setdefault("state", {})["protocol"] = version

        async def say_ours(message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (HEADER, str(wire.PROTOCOL).encode())]
            await send(message)

        await self.app(scope, receive, say_ours)

    @staticmethod
    async def _answer(status: int, message: str, scope, receive, send) -> None:
        response = JSONResponse({"error": message, "protocol": wire.PROTOCOL}, status_code=status,
                                headers={wire.PROTOCOL_HEADER: str(wire.PROTOCOL)})
        await response(scope, receive, send)
