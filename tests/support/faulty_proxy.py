"""A fault-injecting HTTP/1.1 proxy on 127.0.0.1, in front of a real server (tests only).

Each request the client sends takes the next fault from `proxy.faults` (a queue), or passes
when it is empty. The faults:

    "pass"       forward, answer with the server's response
    "5xx"        answer 503 without forwarding
    "garbage"    answer 200 with a body that is not JSON, without forwarding
    "bad_shape"  forward (the server stores the batch), answer 200 with JSON of the wrong shape
    "truncate"   forward, send the headers and half the body, close the connection
    "reset"      forward, close the connection without a response (the answer is lost)
    "slow"       forward, send the response only after `slow_seconds` (the client times out)
    "duplicate"  forward the request twice, answer with the second response
    "hold"       forward, then hold the response until `release` is set (`held` is set meanwhile):
                 the test kills the client or restarts the server in between
    "half_hold"  send the server the headers and half the body, set `held`, wait for `release`,
                 then close both sides (a server killed mid-batch never sees the rest)

`seen` lists (method, path, fault) for every request, to assert the scenario really ran.
"""

from __future__ import annotations

import collections
import socket
import socketserver
import threading
import time


class FaultyProxy:
    def __init__(self, target_port: int, slow_seconds: float = 3.0) -> None:
        self.target_port = target_port
        self.slow_seconds = slow_seconds
        self.faults: collections.deque[str] = collections.deque()
        self.seen: list[tuple[str, str, str]] = []
        self.held, self.release = threading.Event(), threading.Event()
        self._lock = threading.Lock()
        proxy = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                proxy._serve(self.request)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> "FaultyProxy":
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self._server.shutdown()
        self._server.server_close()

    def inject(self, *faults: str) -> None:
        with self._lock:
            self.faults.extend(faults)

    # ----- one client connection (keep-alive: several requests) ------------------------------
    def _serve(self, client: socket.socket) -> None:
        reader = client.makefile("rb")
        try:
            while True:
                request = _read_message(reader)
                if request is None:
                    return
                head, body = request
                method, path = head.split(b" ", 2)[:2]
                with self._lock:
                    fault = self.faults.popleft() if self.faults else "pass"
                    self.seen.append((method.decode(), path.decode(), fault))
                if not self._apply(fault, client, head, body):
                    return
        except OSError:
            return
        finally:
            reader.close()
            client.close()

    def _apply(self, fault: str, client: socket.socket, head: bytes, body: bytes) -> bool:
        """Answer one request; False when the connection is to be closed."""
        if fault == "5xx":
            client.sendall(_response(503, b'{"error": "injected"}'))
            return True
        if fault == "garbage":
            client.sendall(_response(200, b"<html>\x00\xff not json"))
            return True
        if fault == "half_hold":
            upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=30)
            upstream.sendall(head + body[: len(body) // 2])
            self.held.set()
            self.release.wait(60)
            upstream.close()
            return False
        response = self._forward(head, body)
        if fault == "duplicate":
            response = self._forward(head, body)
        if fault == "bad_shape":
            client.sendall(_response(200, b'{"acked": [{"kind": 1}, "x"], "server_time": null}'))
            return True
        if fault == "truncate":
            client.sendall(response[: len(response) - max(1, _body_length(response) // 2)])
            return False
        if fault == "reset":
            return False
        if fault == "slow":
            time.sleep(self.slow_seconds)
        if fault == "hold":
            self.held.set()
            self.release.wait(60)
        client.sendall(response)
        return True

    def _forward(self, head: bytes, body: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.target_port), timeout=30) as upstream:
            upstream.sendall(head + body)
            reader = upstream.makefile("rb")
            message = _read_message(reader)
            reader.close()
        if message is None:
            raise OSError("the server closed the connection")
        return message[0] + message[1]


def _read_message(reader) -> tuple[bytes, bytes] | None:
    """One HTTP/1.1 message (head with its blank line, body by Content-Length); None at EOF."""
    lines = []
    while True:
        line = reader.readline(65536)
        if not line:
            return None
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            break
    head = b"".join(lines)
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    body = reader.read(length) if length else b""
    return head, body


def _response(status: int, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
            .encode() + body)


def _body_length(response: bytes) -> int:
    return len(response) - response.index(b"\r\n\r\n") - 4
